// unit/codegen/cpp_names_test.cpp - mangle() and stringLiteral(), the only ways user text
// reaches generated C++: names that are keywords, macros or reserved, names that could
// collide once escaped, and strings C++ could read differently from what they hold.
#include "codegen/cpp/cpp_names.h"

#include <catch2/catch.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

using namespace flow::cppgen;

namespace {

/// What a C++ compiler may use as an identifier of ours: [A-Za-z_][A-Za-z0-9_]*, no
/// `__` anywhere and no `_` + capital at the start ([lex.name]), not a keyword.
bool isSafeIdentifier(const std::string& s) {
    static const std::set<std::string> kKeywords = {
        "alignas", "alignof", "and",      "asm",      "auto",     "bool",     "class",
        "default", "delete",  "errno",    "int",      "main",     "new",      "register",
        "struct",  "this",    "operator", "template", "typename", "volatile", "union"};
    if (s.empty() || kKeywords.count(s) != 0 || (s[0] >= '0' && s[0] <= '9')) {
        return false;
    }
    for (char c : s) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    bool reservedStart = s[0] == '_' && s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z';
    return s.find("__") == std::string::npos && !reservedStart;
}

/// The bytes a C++ compiler reads from a narrow string literal, for the escapes
/// stringLiteral() writes (simple escapes and octal); "?" marks anything else.
std::string readLiteral(const std::string& literal) {
    REQUIRE(literal.size() >= 2);
    REQUIRE(literal.front() == '"');
    REQUIRE(literal.back() == '"');
    std::string out;
    for (std::size_t i = 1; i + 1 < literal.size(); ++i) {
        char c = literal[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        char e = literal[++i];
        switch (e) {
        case '"':
        case '\\':
        case '?':
            out += e;
            break;
        case 'n':
            out += '\n';
            break;
        case 't':
            out += '\t';
            break;
        case 'r':
            out += '\r';
            break;
        default: {
            // Octal: up to three digits, as C++ reads them.
            int value = 0;
            int digits = 0;
            while (digits < 3 && literal[i] >= '0' && literal[i] <= '7') {
                value = value * 8 + (literal[i] - '0');
                ++i;
                ++digits;
            }
            --i;
            out += digits == 0 ? '?' : static_cast<char>(value);
        }
        }
    }
    return out;
}

/// Whether a literal holds a `\x` escape, which would take in every hex digit after it.
bool hasHexEscape(const std::string& literal) {
    for (std::size_t i = 0; i + 1 < literal.size(); ++i) {
        if (literal[i] == '\\') {
            if (literal[i + 1] == 'x') {
                return true;
            }
            ++i;  // the escaped character
        }
    }
    return false;
}

}  // namespace

TEST_CASE("mangle turns C++ keywords and library names into identifiers of ours") {
    for (const char* name :
         {"class", "int",  "new",      "delete",   "default",  "register",  "main",
          "errno", "this", "operator", "template", "typename", "volatile",  "union",
          "auto",  "goto", "and",      "not",      "asm",      "alignas",   "co_await",
          "NULL",  "EOF",  "assert",   "unix",     "linux",    "INT64_MIN", "std"}) {
        std::string m = mangle(name);
        INFO(name << " -> " << m);
        CHECK(m == std::string("f_") + name);
        CHECK(isSafeIdentifier(m));
    }
    CHECK(mangle("main") != "main");
    CHECK(mangle("errno") == "f_errno");
}

TEST_CASE("mangle never writes a reserved identifier") {
    CHECK(mangle("_Bool") == "f_Z5fBool");        // `_` + capital
    CHECK(mangle("_Capital") == "f_Z5fCapital");  // f__Capital would hold `__`
    CHECK(mangle("__x") == "f_Z5f_x");            // double underscore at the start
    CHECK(mangle("x__y") == "f_x_Z5fy");          // and inside
    CHECK(mangle("x___") == "f_x_Z5f_");          // and at the end
    CHECK(mangle("_") == "f_Z5f");
    CHECK(mangle("") == "f_");
    for (const char* name : {"_Bool", "_Capital", "__x", "x__y", "x___", "_", "a_", "___"}) {
        INFO(name);
        CHECK(isSafeIdentifier(mangle(name)));
    }
}

TEST_CASE("mangle keeps apart names that escaping could merge") {
    // Pairs where one is the escaped spelling of the other, and the generator's own names.
    std::vector<std::string> names = {
        "x__y",
        "x_Z5fy",
        "Z",
        "Z5a",
        "Z5a5a",
        "Z_",
        "a.b",
        "aZ_b",
        "a_b",
        "a._b",
        "a_.b",
        "f_x",
        "x",
        "f_f_x",
        "_",
        "Z5f",
        "k0_S",
        "a0",
        "t0",
        "ctx",
        "args",
        "kLayout",
        "Orders.OrderPlaced.v2",
        "Orders_OrderPlaced",
        "Ünï",
        "é",
        "😀",
        "a b",
        "a\nb",
        "a-b",
        "9lives",
    };
    names.emplace_back(std::string("a\0b", 3));
    std::set<std::string> seen;
    std::set<std::string> mangled;
    for (const std::string& n : names) {
        if (!seen.insert(n).second) {
            continue;
        }
        std::string m = mangle(n);
        INFO("'" << n << "' -> " << m);
        CHECK(mangled.insert(m).second);
        CHECK(isSafeIdentifier(m));
        std::string back;
        CHECK(demangle(m, back));
        CHECK(back == n);
    }
}

TEST_CASE("mangle escapes bytes that cannot stand for themselves") {
    CHECK(mangle("Orders.OrderPlaced.v2") == "f_OrdersZ_OrderPlacedZ_v2");
    CHECK(mangle("Z") == "f_Z5a");
    CHECK(mangle("é") == "f_Zc3Za9");
    CHECK(mangle("😀") == "f_Zf0Z9fZ98Z80");
    CHECK(mangle("9lives") == "f_9lives");  // the prefix keeps a digit from leading
    CHECK(mangle(std::string("a\0b", 3)) == "f_aZ00b");
}

TEST_CASE("demangle refuses what mangle never writes") {
    std::string name;
    CHECK_FALSE(demangle("x", name));
    CHECK_FALSE(demangle("f_Z", name));     // a cut escape
    CHECK_FALSE(demangle("f_Z5", name));    // a cut escape
    CHECK_FALSE(demangle("f_Zgg", name));   // not hex
    CHECK_FALSE(demangle("f_ZFF", name));   // upper-case hex
    CHECK_FALSE(demangle("f_Z61", name));   // `a` escaped: mangle writes it as itself
    CHECK_FALSE(demangle("f_a__b", name));  // a second `_` as itself
    CHECK(demangle("f_a_Z5fb", name));
    CHECK(name == "a__b");
}

TEST_CASE("stringLiteral writes every byte so that C++ reads it back unchanged") {
    std::vector<std::string> strings = {
        "",
        "plain",
        "?\?/",
        "?\?=?\?/?\?'?\?(?\?)?\?!?\?<?\?>?\?-",
        "\\x41BC",             // text that looks like an escape
        "\"quoted\" \\ back",  // quotes and backslashes
        "line\nbreak\ttab\rreturn",
        "\x01"
        "23",  // a control byte, then octal digits
        "\x7f"
        "fe",  // DEL, then hex digits
        "\xc3\xa9"
        "ab",                   // UTF-8, then hex digits
        "\xf0\x9f\x98\x80!",    // an emoji
        "*/ /* // R\"(x)\" $",  // comment markers, a raw string opener
        "trailing backslash \\",
        "ends with ?",
        "??",
    };
    strings.emplace_back(std::string("nul\0inside", 10));
    strings.emplace_back(std::string("\0", 1));
    std::string everyByte;
    for (int b = 0; b < 256; ++b) {
        everyByte += static_cast<char>(b);
    }
    strings.push_back(everyByte);
    std::string longRun;
    for (int i = 0; i < 100000; ++i) {
        longRun += "ab?\?/\xc3\xa9\\\"\n"[i % 10];
    }
    strings.push_back(longRun);
    for (const std::string& s : strings) {
        std::string literal = stringLiteral(s);
        INFO(literal.substr(0, 200));
        CHECK(readLiteral(literal) == s);
        // Printable ASCII only, no trigraph, no hex escape, no `*/`, one line.
        bool printable = true;
        for (char c : literal) {
            printable = printable && c >= 0x20 && c < 0x7f;
        }
        CHECK(printable);
        CHECK(literal.find("??") == std::string::npos);
        CHECK(literal.find("*/") == std::string::npos);
        CHECK_FALSE(hasHexEscape(literal));
    }
}

TEST_CASE("stringLiteral escapes cannot run into the characters after them") {
    // An octal escape is always three digits, so the digits that follow stay characters.
    CHECK(stringLiteral("\x01"
                        "23") == "\"\\00123\"");
    CHECK(stringLiteral("\xff"
                        "fe") == "\"\\377fe\"");
    CHECK(stringLiteral("\xc3\xa9"
                        "ab") == "\"\\303\\251ab\"");
    CHECK(stringLiteral(std::string("\0"
                                    "7",
                                    2)) == "\"\\0007\"");
    CHECK(stringLiteral("\\x41BC") == "\"\\\\x41BC\"");
    CHECK(stringLiteral("?\?/") == "\"\\?\\?/\"");
    CHECK(stringLiteral("*/") == "\"*\\057\"");
}

TEST_CASE("commentPath keeps user text from ending or continuing a comment") {
    CHECK(commentPath("examples/shop/shop.flow") == "examples/shop/shop.flow");
    CHECK(commentPath("a b/c*/d\\") == "a_b/c_/d_");
    CHECK(commentPath("?\?/x.flow") == "__/x.flow");
    CHECK(commentPath("\xc3\xa9.flow") == "__.flow");
}
