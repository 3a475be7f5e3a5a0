// runtime/src/codec.cpp - the compact binary row format, schema-driven and bounds-checked.
#include "flow/rt/codec.h"

#include <cstring>

namespace flow::rt {

const char* fieldTypeName(FieldType t) {
    switch (t) {
    case FieldType::Bool:
        return "bool";
    case FieldType::Int:
        return "int";
    case FieldType::Float:
        return "float";
    case FieldType::String:
        return "string";
    case FieldType::Timestamp:
        return "timestamp";
    case FieldType::Duration:
        return "duration";
    case FieldType::Enum:
        return "enum";
    }
    return "?";
}

int Schema::indexOf(const std::string& field) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == field) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

bool valueFits(const Value& v, const FieldSpec& spec) {
    if (isNone(v)) {
        return spec.optional;
    }
    switch (spec.type) {
    case FieldType::Bool:
        return std::holds_alternative<bool>(v);
    case FieldType::Int:
    case FieldType::Timestamp:
    case FieldType::Duration:
        return std::holds_alternative<std::int64_t>(v);
    case FieldType::Enum:
        return std::holds_alternative<std::int64_t>(v) && asInt(v) >= 0 &&
               static_cast<std::uint64_t>(asInt(v)) < spec.enumValues.size();
    case FieldType::Float:
        return std::holds_alternative<double>(v);
    case FieldType::String:
        return std::holds_alternative<std::string>(v);
    }
    return false;
}

std::string valueToString(const Value& v) {
    switch (v.index()) {
    case 0:
        return "none";
    case 1:
        return asBool(v) ? "true" : "false";
    case 2:
        return std::to_string(asInt(v));
    case 3: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", asFloat(v));
        return buf;
    }
    default:
        return "\"" + asString(v) + "\"";
    }
}

std::string rowToString(const Row& r) {
    std::string out = "(";
    for (std::size_t i = 0; i < r.size(); ++i) {
        out += (i ? ", " : "") + valueToString(r[i]);
    }
    return out + ")";
}

// ---- Primitives -----------------------------------------------------------------------

bool Reader::varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos_ >= in_.size()) {
            return false;
        }
        auto b = static_cast<std::uint8_t>(in_[pos_++]);
        if (shift == 63 && b > 1) {
            return false;  // more than 64 bits
        }
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            // A final zero group after the first byte is a longer spelling of a smaller
            // number: refused, so every value has exactly one encoding.
            return shift == 0 || b != 0;
        }
    }
    return false;
}

bool Reader::zigzag(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!varint(u)) {
        return false;
    }
    v = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
}

bool Reader::fixed32(std::uint32_t& v) {
    if (remaining() < 4) {
        return false;
    }
    v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 4;
    return true;
}

bool Reader::fixed64(std::uint64_t& v) {
    if (remaining() < 8) {
        return false;
    }
    v = 0;
    for (int i = 0; i < 8; ++i) {
        v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return true;
}

bool Reader::bytes(std::string_view& s, std::size_t max) {
    std::uint64_t n = 0;
    if (!varint(n) || n > max || n > remaining()) {
        return false;
    }
    s = in_.substr(pos_, n);
    pos_ += n;
    return true;
}

bool Reader::raw(std::size_t n, std::string_view& s) {
    if (n > remaining()) {
        return false;
    }
    s = in_.substr(pos_, n);
    pos_ += n;
    return true;
}

bool Reader::byte(std::uint8_t& b) {
    if (pos_ >= in_.size()) {
        return false;
    }
    b = static_cast<std::uint8_t>(in_[pos_++]);
    return true;
}

bool validUtf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

// ---- Rows -------------------------------------------------------------------------------

Status encodeRow(const Schema& schema, const Row& row, std::string& out) {
    if (row.size() != schema.fields.size()) {
        return Status::invalid(schema.name + ": row has " + std::to_string(row.size()) +
                               " fields, schema has " + std::to_string(schema.fields.size()));
    }
    std::size_t optionals = 0;
    for (const FieldSpec& f : schema.fields) {
        optionals += f.optional ? 1 : 0;
    }
    std::size_t bitmapAt = out.size();
    out.append((optionals + 7) / 8, '\0');
    std::size_t opt = 0;
    for (std::size_t i = 0; i < row.size(); ++i) {
        const FieldSpec& f = schema.fields[i];
        const Value& v = row[i];
        if (!valueFits(v, f)) {
            return Status::invalid(schema.name + "." + f.name + ": value " + valueToString(v) +
                                   " is not a " + (f.optional ? "optional " : "") +
                                   fieldTypeName(f.type));
        }
        if (f.optional) {
            if (isNone(v)) {
                out[bitmapAt + opt / 8] =
                    static_cast<char>(out[bitmapAt + opt / 8] | (1 << (opt % 8)));
                ++opt;
                continue;
            }
            ++opt;
        }
        switch (f.type) {
        case FieldType::Bool:
            out.push_back(asBool(v) ? '\1' : '\0');
            break;
        case FieldType::Int:
        case FieldType::Timestamp:
        case FieldType::Duration:
            putZigzag(out, asInt(v));
            break;
        case FieldType::Enum:
            putVarint(out, static_cast<std::uint64_t>(asInt(v)));
            break;
        case FieldType::Float: {
            std::uint64_t bits = 0;
            double d = asFloat(v);
            std::memcpy(&bits, &d, 8);
            putFixed64(out, bits);
            break;
        }
        case FieldType::String:
            putBytes(out, asString(v));
            break;
        }
    }
    return Status::ok();
}

Status decodeRow(const Schema& schema, std::string_view bytes, Row& out) {
    out.clear();
    out.reserve(schema.fields.size());
    Reader r(bytes);
    std::size_t optionals = 0;
    for (const FieldSpec& f : schema.fields) {
        optionals += f.optional ? 1 : 0;
    }
    std::string_view bitmap;
    if (!r.raw((optionals + 7) / 8, bitmap)) {
        return Status::corruption(schema.name + ": truncated row");
    }
    std::size_t opt = 0;
    for (const FieldSpec& f : schema.fields) {
        if (f.optional) {
            bool absent = (static_cast<std::uint8_t>(bitmap[opt / 8]) >> (opt % 8)) & 1;
            ++opt;
            if (absent) {
                out.emplace_back();
                continue;
            }
        }
        auto bad = [&](const char* what) {
            return Status::corruption(schema.name + "." + f.name + ": " + what + " at byte " +
                                      std::to_string(r.position()));
        };
        switch (f.type) {
        case FieldType::Bool: {
            std::uint8_t b = 0;
            if (!r.byte(b) || b > 1) {
                return bad("invalid bool");
            }
            out.emplace_back(b == 1);
            break;
        }
        case FieldType::Int:
        case FieldType::Timestamp:
        case FieldType::Duration: {
            std::int64_t v = 0;
            if (!r.zigzag(v)) {
                return bad("invalid integer");
            }
            out.emplace_back(v);
            break;
        }
        case FieldType::Enum: {
            std::uint64_t v = 0;
            if (!r.varint(v) || v >= f.enumValues.size()) {
                return bad("invalid enum value");
            }
            out.emplace_back(static_cast<std::int64_t>(v));
            break;
        }
        case FieldType::Float: {
            std::uint64_t bits = 0;
            if (!r.fixed64(bits)) {
                return bad("truncated float");
            }
            double d = 0;
            std::memcpy(&d, &bits, 8);
            out.emplace_back(d);
            break;
        }
        case FieldType::String: {
            std::string_view s;
            if (!r.bytes(s)) {
                return bad("invalid string length");
            }
            if (!validUtf8(s)) {
                return bad("string is not valid UTF-8");
            }
            out.emplace_back(std::string(s));
            break;
        }
        }
    }
    // Unused bits of the bitmap must be zero, and nothing may follow the last field.
    if (optionals % 8 != 0 && !bitmap.empty() &&
        (static_cast<std::uint8_t>(bitmap.back()) >> (optionals % 8)) != 0) {
        return Status::corruption(schema.name + ": invalid optional-field bitmap");
    }
    if (r.remaining() != 0) {
        return Status::corruption(schema.name + ": " + std::to_string(r.remaining()) +
                                  " trailing bytes");
    }
    return Status::ok();
}

}  // namespace flow::rt
