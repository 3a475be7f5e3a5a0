// flow/rt/envelope.h - the event envelope and deterministic event ids.
//
// A stored record is the envelope followed by the payload (the row, see codec.h):
//   format byte (1) | id (16) | causation (16) | correlation (16) | time (zigzag)
//   | seq (varint) | version (varint) | ingest (varint) | depth (varint)
//   | type (bytes) | key (bytes) | payload (rest)
#pragma once

#include "flow/rt/status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace flow::rt {

/// A 128-bit event or request id, printed as 32 lowercase hex digits.
struct EventId {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    bool isZero() const { return hi == 0 && lo == 0; }
    static constexpr std::size_t kHexSize = 32;
    std::string toHex() const;
    /// Writes the 32 hex digits to `out` (no terminator).
    void toHex(char* out) const;
    static bool fromHex(std::string_view s, EventId& out);
    friend bool operator==(const EventId&, const EventId&) = default;
    friend auto operator<=>(const EventId&, const EventId&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const EventId& id) {
        return H::combine(std::move(h), id.hi, id.lo);
    }
};

/// The id of the `index`-th event emitted while processing `causation`: the same on
/// every replay, so a replay after a crash emits nothing new (XXH3-128).
EventId deriveEventId(const EventId& causation, std::uint32_t index);
/// The same for an event emitted by `emitter` (a service's name): several services may
/// react to one event, and each one's emissions need their own ids.
EventId deriveEventId(const EventId& causation, std::string_view emitter, std::uint32_t index);
/// The id of a command request carrying the client's idempotency key.
EventId requestId(std::string_view idempotencyKey);
/// A fresh random id (getrandom) for a request without an idempotency key.
EventId randomEventId();

struct Envelope {
    EventId id;
    EventId causation;
    EventId correlation;
    std::int64_t time = 0;  // event time, UTC microseconds
    std::uint64_t seq = 0;  // position in the owner's log
    std::uint32_t version = 1;
    /// The position, in the order requests entered the estate, of the request (input
    /// event, command) that caused this event; shared by everything it caused.
    std::uint64_t ingest = 0;
    /// Causal distance from that request: 0 for the input itself, 1 for what a command
    /// or a reaction to it emitted, and so on. Services process events in (ingest,
    /// depth) order, which makes processing, replay and tests deterministic.
    std::uint32_t depth = 0;
    std::string type;  // "Orders.OrderPlaced"
    /// The key as text, in records written before the engine stopped writing it: an
    /// event's key is its key field, which `trace` reads from the row (as key
    /// partitioning will). Empty in the records it writes now, which saves each record
    /// the key a second time.
    std::string key;
};

/// The envelope format written: 2 leaves out the causation id when it is the event's
/// own (inputs) and the correlation id when it is the causation (inputs and what they
/// caused directly), with a flag byte saying which. Format 1, with every id, is still
/// read: data directories written before format 2 stay readable.
inline constexpr std::uint8_t kEnvelopeFormat = 2;
inline constexpr std::uint8_t kEnvelopeFormat1 = 1;
inline constexpr std::size_t kMaxTypeBytes = 1024;
inline constexpr std::size_t kMaxKeyBytes = 64 * 1024;

void encodeEnvelope(const Envelope& env, std::string_view payload, std::string& out);
/// Decodes an envelope and returns the payload as a view into `record`.
Status decodeEnvelope(std::string_view record, Envelope& env, std::string_view& payload);

}  // namespace flow::rt
