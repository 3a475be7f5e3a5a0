// codegen/cpp/cpp_names.cpp - identifier mangling and string literals for generated C++.
#include "codegen/cpp/cpp_names.h"

namespace flow::cppgen {

namespace {

constexpr std::string_view kPrefix = "f_";
constexpr char kEscape = 'Z';
constexpr const char* kHex = "0123456789abcdef";

bool isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

}  // namespace

std::string mangle(std::string_view name) {
    std::string out(kPrefix);
    for (char c : name) {
        auto byte = static_cast<unsigned char>(c);
        if (c != kEscape && isAlnum(c)) {
            out += c;
        } else if (c == '_' && out.back() != '_') {
            out += c;
        } else if (c == '.') {
            out += kEscape;
            out += '_';
        } else {
            out += kEscape;
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
    return out;
}

bool demangle(std::string_view mangled, std::string& name) {
    name.clear();
    if (mangled.substr(0, kPrefix.size()) != kPrefix) {
        return false;
    }
    for (std::size_t i = kPrefix.size(); i < mangled.size(); ++i) {
        char c = mangled[i];
        if (c != kEscape) {
            name += c;
            continue;
        }
        if (i + 1 < mangled.size() && mangled[i + 1] == '_') {
            name += '.';
            ++i;
            continue;
        }
        if (i + 2 >= mangled.size() || hexValue(mangled[i + 1]) < 0 ||
            hexValue(mangled[i + 2]) < 0) {
            return false;
        }
        name += static_cast<char>(hexValue(mangled[i + 1]) * 16 + hexValue(mangled[i + 2]));
        i += 2;
    }
    return mangle(name) == mangled;
}

std::string stringLiteral(std::string_view bytes) {
    std::string out = "\"";
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto byte = static_cast<unsigned char>(bytes[i]);
        char c = bytes[i];
        switch (c) {
        case '"':
            out += "\\\"";
            continue;
        case '\\':
            out += "\\\\";
            continue;
        case '?':
            out += "\\?";
            continue;
        case '\n':
            out += "\\n";
            continue;
        case '\t':
            out += "\\t";
            continue;
        case '\r':
            out += "\\r";
            continue;
        case '/':
            if (i > 0 && bytes[i - 1] == '*') {
                out += "\\057";  // `*/` stays harmless even if the literal sits in a comment
                continue;
            }
            break;
        default:
            break;
        }
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
        } else {
            out += '\\';
            out += static_cast<char>('0' + (byte >> 6));
            out += static_cast<char>('0' + ((byte >> 3) & 7));
            out += static_cast<char>('0' + (byte & 7));
        }
    }
    out += '"';
    return out;
}

std::string commentPath(std::string_view path) {
    std::string out;
    for (char c : path) {
        bool ok = isAlnum(c) || c == '.' || c == '_' || c == '/' || c == '+' || c == '-';
        out += ok ? c : '_';
    }
    return out;
}

}  // namespace flow::cppgen
