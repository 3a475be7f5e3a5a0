// flow/rt/envelope.h - the event envelope and deterministic event ids.
//
// A stored record is the envelope followed by the payload (the row, see codec.h):
//   format byte (3) | flags | id (16) | [causation (16)] | [correlation (16)]
//   | time (zigzag) | seq (varint) | version (varint) | ingest (varint) | depth (varint)
//   | type number (varint) | payload (rest)
// The type number is the type's place in the dictionary its log keeps (LogTypes, the
// file `types` in the log's directory). Formats 1 and 2 named the type in every record,
// and carried a key; they are still read.
#pragma once

#include "flow/rt/file_system.h"
#include "flow/rt/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
    /// The type's number in the dictionary of the log the record is in (format 3), or 0
    /// when the record names the type (formats 1 and 2, and envelopes kept away from
    /// their log, such as a window's events in a snapshot).
    std::uint32_t typeNumber = 0;
    /// The key as text, in records written before the engine stopped writing it: an
    /// event's key is its key field, which `trace` reads from the row (as key
    /// partitioning will). Empty in the records it writes now, which saves each record
    /// the key a second time.
    std::string key;
};

/// The envelope formats. 3, written to logs, names the type by its number in the log's
/// dictionary and has no key. 2, written where a record is kept away from its log, names
/// the type; it leaves out the causation id when it is the event's own (inputs) and the
/// correlation id when it is the causation (inputs and what they caused directly), with
/// a flag byte saying which, as format 3 does. Format 1, with every id, is still read:
/// data directories written before format 2 stay readable.
inline constexpr std::uint8_t kEnvelopeFormat = 3;
inline constexpr std::uint8_t kEnvelopeFormat2 = 2;
inline constexpr std::uint8_t kEnvelopeFormat1 = 1;
inline constexpr std::size_t kMaxTypeBytes = 1024;
inline constexpr std::size_t kMaxKeyBytes = 64 * 1024;
/// At most this many types in one log's dictionary.
inline constexpr std::size_t kMaxLogTypes = 1u << 16;

/// The dictionary of event types a log keeps: its records (format 3) carry a type's
/// number, one byte, instead of its name. Type n is the n-th name added, from 1. Names
/// are only ever added, never renumbered, so a number names the same type for the life
/// of the log, whichever version of the program reads it. A type is added, and the
/// dictionary made durable, before the first record that names it is written.
class LogTypes {
public:
    /// The number of `name`, or 0 if the log has not named it yet.
    std::uint32_t find(std::string_view name) const;
    /// The name of type `number`, or null if the dictionary has no such number.
    const std::string* name(std::uint32_t number) const;
    /// Adds `name`, which must not be in yet, and returns its number; InvalidArgument
    /// past kMaxLogTypes or for a name that is not a valid type name.
    Result<std::uint32_t> add(std::string_view name);
    std::size_t size() const { return names_.size(); }

    /// The file form: a first line `flow log types 1`, one name per line in number
    /// order, and a last line `checksum ` and 16 hex digits (XXH3-64 of what precedes).
    std::string encode() const;
    /// Reads the file form; Corruption (with `what` in its message) for anything else.
    static Status decode(std::string_view text, const std::string& what, LogTypes& out);

    /// The dictionary of the log in `dir`: empty if the log has none yet.
    static Status load(FileSystem& fs, const std::string& dir, LogTypes& out);
    /// Writes the dictionary of the log in `dir` atomically and durably.
    Status save(FileSystem& fs, const std::string& dir) const;
    static constexpr const char* kFileName = "types";

private:
    std::vector<std::string> names_;
};

/// Appends the record of `env` and `payload` to `out`: format 3 when the envelope has a
/// type number, else format 2 (the type by name).
void encodeEnvelope(const Envelope& env, std::string_view payload, std::string& out);
/// The same without a payload, written at `p`, which has room for envelopeBound(env)
/// bytes; returns the end. (Records are encoded into the engine's buffer this way:
/// no zeroed growth of a string per record.)
std::size_t envelopeBound(const Envelope& env);
char* writeEnvelope(char* p, const Envelope& env);
/// Decodes an envelope and returns the payload as a view into `record`. A format 3
/// record's type is looked up in `types`, its log's dictionary: without one, or for a
/// number the dictionary does not have, it is Corruption.
Status decodeEnvelope(std::string_view record, Envelope& env, std::string_view& payload,
                      const LogTypes* types = nullptr);

}  // namespace flow::rt
