// flow/rt/codec.h - the compact binary row format, schema-driven and bounds-checked.
//
// A row is: a bitmap of absent optional fields (one bit per optional field, in field
// order; omitted when the schema has none), then each present field in order:
//   bool        1 byte, 0 or 1
//   int, timestamp, duration   zigzag LEB128 varint (at most 10 bytes)
//   enum        LEB128 varint below the number of values
//   float       8 bytes, IEEE 754 little endian
//   string      LEB128 length, then that many bytes of valid UTF-8
// Decoding never reads outside its input, rejects trailing bytes and non-minimal
// varints: every value has exactly one encoding.
#pragma once

#include "flow/rt/status.h"
#include "flow/rt/value.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace flow::rt {

/// Longest string a decoder accepts (untrusted input is bounded).
inline constexpr std::size_t kMaxStringBytes = 16u << 20;

Status encodeRow(const Schema& schema, const Row& row, std::string& out);
Status decodeRow(const Schema& schema, std::string_view bytes, Row& out);

/// Primitive encoders and a bounds-checked reader, shared by the envelope and stores.
/// The encoders are inline: every record of every event goes through them, and each
/// appends its bytes to `out` at once.
inline void putVarint(std::string& out, std::uint64_t v) {
    char b[10];
    std::size_t n = 0;
    while (v >= 0x80) {
        b[n++] = static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    b[n++] = static_cast<char>(v);
    out.append(b, n);
}
inline void putZigzag(std::string& out, std::int64_t v) {
    putVarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
inline void putFixed32(std::string& out, std::uint32_t v) {
    char b[4];
    for (int i = 0; i < 4; ++i) {
        b[i] = static_cast<char>(v >> (8 * i));  // little-endian on any host
    }
    out.append(b, 4);
}
inline void putFixed64(std::string& out, std::uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<char>(v >> (8 * i));
    }
    out.append(b, 8);
}
inline void putBytes(std::string& out, std::string_view s) {  // varint length + bytes
    putVarint(out, s.size());
    out.append(s);
}

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool varint(std::uint64_t& v);
    bool zigzag(std::int64_t& v);
    bool fixed32(std::uint32_t& v);
    bool fixed64(std::uint64_t& v);
    bool bytes(std::string_view& s, std::size_t max = kMaxStringBytes);
    bool raw(std::size_t n, std::string_view& s);
    bool byte(std::uint8_t& b);
    std::size_t remaining() const { return in_.size() - pos_; }
    std::size_t position() const { return pos_; }
    std::string_view rest() const { return in_.substr(pos_); }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

bool validUtf8(std::string_view s);

}  // namespace flow::rt
