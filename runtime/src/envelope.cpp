// runtime/src/envelope.cpp - the event envelope and deterministic event ids.
#include "flow/rt/envelope.h"

#include "flow/rt/codec.h"

#include <cstring>
#include <sys/random.h>
#include <xxhash.h>

namespace flow::rt {

void EventId::toHex(char* out) const {
    static const char* digits = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
        out[15 - i] = digits[(hi >> (4 * i)) & 0xF];
        out[31 - i] = digits[(lo >> (4 * i)) & 0xF];
    }
}

std::string EventId::toHex() const {
    std::string s(kHexSize, '0');
    toHex(s.data());
    return s;
}

bool EventId::fromHex(std::string_view s, EventId& out) {
    if (s.size() != 32) {
        return false;
    }
    std::uint64_t parts[2] = {0, 0};
    for (std::size_t i = 0; i < 32; ++i) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else {
            return false;
        }
        parts[i / 16] = (parts[i / 16] << 4) | static_cast<std::uint64_t>(d);
    }
    out.hi = parts[0];
    out.lo = parts[1];
    return true;
}

namespace {

EventId idOf(XXH128_hash_t h) {
    EventId id{h.high64, h.low64};
    if (id.isZero()) {
        id.lo = 1;  // zero means "no id"
    }
    return id;
}

/// The id of `data` in `domain`: the hash of the domain, a zero byte, and the data's
/// parts. Built on the stack: every derived event and request id comes through here.
EventId hash128(std::string_view domain, std::initializer_list<std::string_view> parts) {
    std::size_t size = domain.size() + 1;
    for (std::string_view part : parts) {
        size += part.size();
    }
    char small[128];
    std::string big;
    char* buf = small;
    if (size > sizeof small) {
        big.resize(size);
        buf = big.data();
    }
    char* p = buf;
    std::memcpy(p, domain.data(), domain.size());
    p += domain.size();
    *p++ = '\0';
    for (std::string_view part : parts) {
        if (!part.empty()) {
            std::memcpy(p, part.data(), part.size());
            p += part.size();
        }
    }
    return idOf(XXH3_128bits(buf, size));
}

}  // namespace

EventId deriveEventId(const EventId& causation, std::uint32_t index) {
    char data[20];  // the causation (hi, lo), then the index, little-endian
    wire::fixed32(wire::fixed64(wire::fixed64(data, causation.hi), causation.lo), index);
    return hash128("flow.emit", {std::string_view(data, sizeof data)});
}

EventId deriveEventId(const EventId& causation, std::string_view emitter, std::uint32_t index) {
    char head[16 + wire::kMaxVarint];  // the causation, then the emitter's length
    const char* headEnd = wire::varint(
        wire::fixed64(wire::fixed64(head, causation.hi), causation.lo), emitter.size());
    char tail[4];
    wire::fixed32(tail, index);
    return hash128("flow.emit", {std::string_view(head, static_cast<std::size_t>(headEnd - head)),
                                 emitter, std::string_view(tail, sizeof tail)});
}

EventId requestId(std::string_view idempotencyKey) {
    return hash128("flow.request", {idempotencyKey});
}

EventId randomEventId() {
    unsigned char buf[16];
    std::size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = getrandom(buf + got, sizeof buf - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        }
    }
    EventId id;
    std::memcpy(&id.hi, buf, 8);
    std::memcpy(&id.lo, buf + 8, 8);
    if (id.isZero()) {
        id.lo = 1;
    }
    return id;
}

namespace {

// Format 2's flags: which ids are not written because they equal another.
constexpr std::uint8_t kCausationIsId = 1;           // an input, a command's request
constexpr std::uint8_t kCorrelationIsCausation = 2;  // an input, or what one caused directly
constexpr std::uint8_t kKnownFlags = kCausationIsId | kCorrelationIsCausation;

}  // namespace

void encodeEnvelope(const Envelope& env, std::string_view payload, std::string& out) {
    std::uint8_t flags = 0;
    if (env.causation == env.id) {
        flags |= kCausationIsId;
    }
    if (env.correlation == env.causation) {
        flags |= kCorrelationIsCausation;
    }
    // One growth of `out` for the whole envelope: the ids, five varints and two strings.
    wire::Room room(out, 2 + 3 * 16 + 5 * wire::kMaxVarint + wire::bytesBound(env.type) +
                             wire::bytesBound(env.key) + payload.size());
    char* p = room.at();
    *p++ = static_cast<char>(kEnvelopeFormat);
    *p++ = static_cast<char>(flags);
    p = wire::fixed64(p, env.id.hi);
    p = wire::fixed64(p, env.id.lo);
    if ((flags & kCausationIsId) == 0) {
        p = wire::fixed64(p, env.causation.hi);
        p = wire::fixed64(p, env.causation.lo);
    }
    if ((flags & kCorrelationIsCausation) == 0) {
        p = wire::fixed64(p, env.correlation.hi);
        p = wire::fixed64(p, env.correlation.lo);
    }
    p = wire::zigzag(p, env.time);
    p = wire::varint(p, env.seq);
    p = wire::varint(p, env.version);
    p = wire::varint(p, env.ingest);
    p = wire::varint(p, env.depth);
    p = wire::bytes(p, env.type);
    p = wire::bytes(p, env.key);
    if (!payload.empty()) {
        std::memcpy(p, payload.data(), payload.size());
        p += payload.size();
    }
    room.done(p);
}

Status decodeEnvelope(std::string_view record, Envelope& env, std::string_view& payload) {
    Reader r(record);
    std::uint8_t format = 0;
    if (!r.byte(format) || (format != kEnvelopeFormat && format != kEnvelopeFormat1)) {
        return Status::corruption("unknown envelope format");
    }
    // Format 1 (logs written before format 2) has all three ids, and no flags.
    std::uint8_t flags = 0;
    if (format == kEnvelopeFormat && (!r.byte(flags) || (flags & ~kKnownFlags) != 0)) {
        return Status::corruption("truncated or invalid envelope");
    }
    if (!r.fixed64(env.id.hi) || !r.fixed64(env.id.lo)) {
        return Status::corruption("truncated or invalid envelope");
    }
    if ((flags & kCausationIsId) != 0) {
        env.causation = env.id;
    } else if (!r.fixed64(env.causation.hi) || !r.fixed64(env.causation.lo)) {
        return Status::corruption("truncated or invalid envelope");
    }
    if ((flags & kCorrelationIsCausation) != 0) {
        env.correlation = env.causation;
    } else if (!r.fixed64(env.correlation.hi) || !r.fixed64(env.correlation.lo)) {
        return Status::corruption("truncated or invalid envelope");
    }
    // One encoding per envelope: an id written out although it equals the one its flag
    // names would be written differently by encodeEnvelope.
    if (format == kEnvelopeFormat &&
        (((flags & kCausationIsId) == 0 && env.causation == env.id) ||
         ((flags & kCorrelationIsCausation) == 0 && env.correlation == env.causation))) {
        return Status::corruption("non-canonical envelope");
    }
    std::uint64_t version = 0, depth = 0;
    std::string_view type, key;
    if (!r.zigzag(env.time) || !r.varint(env.seq) || !r.varint(version) || version == 0 ||
        version > 0xFFFF || !r.varint(env.ingest) || !r.varint(depth) || depth > 0xFFFFFFFFu ||
        !r.bytes(type, kMaxTypeBytes) || !r.bytes(key, kMaxKeyBytes)) {
        return Status::corruption("truncated or invalid envelope");
    }
    if (type.empty() || !validUtf8(type)) {
        return Status::corruption("invalid event type in envelope");
    }
    env.version = static_cast<std::uint32_t>(version);
    env.depth = static_cast<std::uint32_t>(depth);
    env.type.assign(type);
    env.key.assign(key);
    payload = r.rest();
    return Status::ok();
}

}  // namespace flow::rt
