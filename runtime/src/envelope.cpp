// runtime/src/envelope.cpp - the event envelope and deterministic event ids.
#include "flow/rt/envelope.h"

#include "flow/rt/codec.h"

#include <cinttypes>
#include <cstdio>
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

// ---- The log's dictionary of types -------------------------------------------------------------

namespace {

constexpr std::string_view kTypesHeader = "flow log types 1\n";
constexpr std::string_view kTypesChecksum = "checksum ";
constexpr std::size_t kMaxTypesFileBytes = kMaxLogTypes * (kMaxTypeBytes + 1) + 64;

bool validTypeName(std::string_view name) {
    return !name.empty() && name.size() <= kMaxTypeBytes &&
           name.find('\n') == std::string_view::npos && validUtf8(name);
}

std::string checksumLine(std::string_view body) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016" PRIx64,
                  static_cast<std::uint64_t>(XXH3_64bits(body.data(), body.size())));
    return std::string(kTypesChecksum) + hex + "\n";
}

}  // namespace

std::uint32_t LogTypes::find(std::string_view name) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == name) {
            return static_cast<std::uint32_t>(i + 1);
        }
    }
    return 0;
}

const std::string* LogTypes::name(std::uint32_t number) const {
    if (number == 0 || number > names_.size()) {
        return nullptr;
    }
    return &names_[number - 1];
}

Result<std::uint32_t> LogTypes::add(std::string_view name) {
    if (!validTypeName(name)) {
        return Status::invalid("not a type name a log can keep: '" + std::string(name) + "'");
    }
    if (find(name) != 0) {
        return Status::invalid("the log names type '" + std::string(name) + "' already");
    }
    if (names_.size() >= kMaxLogTypes) {
        return Status::invalid("a log names at most " + std::to_string(kMaxLogTypes) + " types");
    }
    names_.emplace_back(name);
    return static_cast<std::uint32_t>(names_.size());
}

std::string LogTypes::encode() const {
    std::string out(kTypesHeader);
    for (const std::string& n : names_) {
        out += n;
        out += '\n';
    }
    out += checksumLine(out);
    return out;
}

Status LogTypes::decode(std::string_view text, const std::string& what, LogTypes& out) {
    auto bad = [&](const std::string& why) {
        return Status::corruption(what + ": " + why);
    };
    if (text.size() > kMaxTypesFileBytes) {
        return bad("too large for a dictionary of types");
    }
    if (text.substr(0, kTypesHeader.size()) != kTypesHeader) {
        return bad("not a dictionary of types (expected the line 'flow log types 1')");
    }
    // The last line is the checksum of everything before it.
    std::size_t last = text.size() < 2 ? std::string_view::npos : text.rfind('\n', text.size() - 2);
    if (text.back() != '\n' || last == std::string_view::npos || last + 1 < kTypesHeader.size()) {
        return bad("truncated");
    }
    std::string_view body = text.substr(0, last + 1);
    if (text.substr(last + 1) != checksumLine(body)) {
        return bad("checksum mismatch");
    }
    LogTypes types;
    std::size_t at = kTypesHeader.size();
    while (at < body.size()) {
        std::size_t end = body.find('\n', at);
        std::string_view name = body.substr(at, end - at);
        if (!validTypeName(name) || types.find(name) != 0 || types.size() >= kMaxLogTypes) {
            return bad("line " + std::to_string(types.size() + 2) + " is not a new type name");
        }
        types.names_.emplace_back(name);
        at = end + 1;
    }
    out = std::move(types);
    return Status::ok();
}

Status LogTypes::load(FileSystem& fs, const std::string& dir, LogTypes& out) {
    const std::string path = joinPath(dir, kFileName);
    if (!fs.exists(path)) {
        out = LogTypes();
        return Status::ok();
    }
    std::string text;
    FLOW_RT_TRY(fs.readFile(path, text));
    return decode(text, path, out);
}

Status LogTypes::save(FileSystem& fs, const std::string& dir) const {
    return fs.writeFileAtomic(joinPath(dir, kFileName), encode());
}

// ---- Envelopes ---------------------------------------------------------------------------------

std::size_t envelopeBound(const Envelope& env) {
    // The format and flags, the ids, six varints, and the type and key by name.
    return 2 + 3 * 16 + 6 * wire::kMaxVarint +
           (env.typeNumber != 0 ? 0 : wire::bytesBound(env.type) + wire::bytesBound(env.key));
}

char* writeEnvelope(char* p, const Envelope& env) {
    std::uint8_t flags = 0;
    if (env.causation == env.id) {
        flags |= kCausationIsId;
    }
    if (env.correlation == env.causation) {
        flags |= kCorrelationIsCausation;
    }
    const bool numbered = env.typeNumber != 0;
    *p++ = static_cast<char>(numbered ? kEnvelopeFormat : kEnvelopeFormat2);
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
    if (numbered) {
        p = wire::varint(p, env.typeNumber);
    } else {
        p = wire::bytes(p, env.type);
        p = wire::bytes(p, env.key);
    }
    return p;
}

void encodeEnvelope(const Envelope& env, std::string_view payload, std::string& out) {
    // One growth of `out` for the whole record.
    wire::Room room(out, envelopeBound(env) + payload.size());
    char* p = writeEnvelope(room.at(), env);
    if (!payload.empty()) {
        std::memcpy(p, payload.data(), payload.size());
        p += payload.size();
    }
    room.done(p);
}

Status decodeEnvelope(std::string_view record, Envelope& env, std::string_view& payload,
                      const LogTypes* types) {
    Reader r(record);
    std::uint8_t format = 0;
    if (!r.byte(format) || format < kEnvelopeFormat1 || format > kEnvelopeFormat) {
        return Status::corruption("unknown envelope format");
    }
    // Format 1 (logs written before format 2) has all three ids, and no flags.
    std::uint8_t flags = 0;
    if (format != kEnvelopeFormat1 && (!r.byte(flags) || (flags & ~kKnownFlags) != 0)) {
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
    if (format != kEnvelopeFormat1 &&
        (((flags & kCausationIsId) == 0 && env.causation == env.id) ||
         ((flags & kCorrelationIsCausation) == 0 && env.correlation == env.causation))) {
        return Status::corruption("non-canonical envelope");
    }
    std::uint64_t version = 0, depth = 0;
    if (!r.zigzag(env.time) || !r.varint(env.seq) || !r.varint(version) || version == 0 ||
        version > 0xFFFF || !r.varint(env.ingest) || !r.varint(depth) || depth > 0xFFFFFFFFu) {
        return Status::corruption("truncated or invalid envelope");
    }
    if (format == kEnvelopeFormat) {
        std::uint64_t number = 0;
        if (!r.varint(number) || number == 0 || number > kMaxLogTypes) {
            return Status::corruption("truncated or invalid envelope");
        }
        const std::string* name =
            types != nullptr ? types->name(static_cast<std::uint32_t>(number)) : nullptr;
        if (name == nullptr) {
            return Status::corruption("the record's type number " + std::to_string(number) +
                                      " is not in its log's dictionary of types");
        }
        env.type.assign(*name);
        env.typeNumber = static_cast<std::uint32_t>(number);
        env.key.clear();
    } else {
        std::string_view type, key;
        if (!r.bytes(type, kMaxTypeBytes) || !r.bytes(key, kMaxKeyBytes)) {
            return Status::corruption("truncated or invalid envelope");
        }
        if (type.empty() || !validUtf8(type)) {
            return Status::corruption("invalid event type in envelope");
        }
        env.type.assign(type);
        env.typeNumber = 0;
        env.key.assign(key);
    }
    env.version = static_cast<std::uint32_t>(version);
    env.depth = static_cast<std::uint32_t>(depth);
    payload = r.rest();
    return Status::ok();
}

}  // namespace flow::rt
