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
#include <cstring>
#include <string>
#include <string_view>

namespace flow::rt {

/// Longest string a decoder accepts (untrusted input is bounded).
inline constexpr std::size_t kMaxStringBytes = 16u << 20;

Status encodeRow(const Schema& schema, const Row& row, std::string& out);
Status decodeRow(const Schema& schema, std::string_view bytes, Row& out);

/// Primitive encoders and a bounds-checked reader, shared by the envelope and stores.
/// The encoders are inline: every record of every event goes through them.
///
/// The `wire` ones write at a pointer and return the end of what they wrote: a caller
/// encoding many values makes room once (`Room`) for the most they can take.
namespace wire {

inline constexpr std::size_t kMaxVarint = 10;

inline char* varint(char* p, std::uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<char>(v);
    return p;
}
inline char* zigzag(char* p, std::int64_t v) {
    return varint(p, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
inline char* fixed32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        *p++ = static_cast<char>(v >> (8 * i));  // little-endian on any host
    }
    return p;
}
inline char* fixed64(char* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        *p++ = static_cast<char>(v >> (8 * i));
    }
    return p;
}
inline char* bytes(char* p, std::string_view s) {  // varint length + bytes
    p = varint(p, s.size());
    if (!s.empty()) {
        std::memcpy(p, s.data(), s.size());
    }
    return p + s.size();
}
/// The most `bytes` writes for `s`.
inline std::size_t bytesBound(std::string_view s) {
    return kMaxVarint + s.size();
}

/// Room for at most `bound` bytes at the end of `out`, given back by `done`: grows `out`
/// once instead of once per value.
class Room {
public:
    Room(std::string& out, std::size_t bound) : out_(out), start_(out.size()) {
        out.resize(start_ + bound);
    }
    char* at() { return out_.data() + start_; }
    /// Ends the room at `end` (within it): `out` keeps what was written before `end`.
    void done(const char* end) { out_.resize(static_cast<std::size_t>(end - out_.data())); }

private:
    std::string& out_;
    std::size_t start_;
};

}  // namespace wire

inline void putVarint(std::string& out, std::uint64_t v) {
    char b[wire::kMaxVarint];
    out.append(b, static_cast<std::size_t>(wire::varint(b, v) - b));
}
inline void putZigzag(std::string& out, std::int64_t v) {
    char b[wire::kMaxVarint];
    out.append(b, static_cast<std::size_t>(wire::zigzag(b, v) - b));
}
inline void putFixed32(std::string& out, std::uint32_t v) {
    char b[4];
    wire::fixed32(b, v);
    out.append(b, 4);
}
inline void putFixed64(std::string& out, std::uint64_t v) {
    char b[8];
    wire::fixed64(b, v);
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
