// flow/rt/json_edge.h - events as JSON lines: input lines checked against the program, and
// the lines written for stored events.
//
// Input (`flowc run --input EVENTS.jsonl`), one object per line; time, version and id
// may be left out:
//   {"event":"Stock.StockAdjusted","time":"2024-01-01T00:00:00Z","data":{"delta":5},
//    "version":1,"id":"<32 lowercase hex digits>"}
// or a command to run, with its parameters (its id is the request id):
//   {"command":"Orders.PlaceOrder","time":"2024-01-01T00:00:00Z","data":{"order_id":"o1",..}}
// Output adds the envelope, in this order:
//   {"event":..,"time":..,"data":{..},"id":..,"seq":..,"causation":..,"correlation":..,
//    "version":..}
// Values in `data` follow rowToJson/jsonToRow (rows.h). The input is untrusted: a line is
// bounded in size and nesting, and every way it can be wrong is an error with a reason,
// never a crash and never a guess.
#pragma once

#include "flow/rt/envelope.h"
#include "flow/rt/plan.h"
#include "flow/rt/rows.h"
#include "flow/rt/status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flow::rt {

/// Longest input line (without its newline), and deepest nesting of objects and arrays.
inline constexpr std::size_t kMaxEventLineBytes = 1u << 20;
inline constexpr int kMaxEventLineDepth = 64;

/// One checked input line: the payload is a row of the chosen version's layout, as the
/// line wrote it (the engine upcasts older versions); envelope fields the line left out
/// are for the engine to fill in.
struct InputEvent {
    std::int32_t event = -1;    // index into plan::Program::events
    std::int32_t command = -1;  // or, for a command line, into plan::Program::commands
    /// Index into plan::Event::versions (not the version number), as Engine::ingest
    /// takes it: the line's "version", else the latest.
    std::int32_t version = 0;
    OwnedRow row;                      // a command's parameters
    std::optional<std::int64_t> time;  // UTC microseconds
    std::optional<EventId> id;
};

/// Runs kernel `kernel` of the program with `args` (Engine::callKernel); strings it
/// writes must live until the next call.
using KernelCaller = std::function<std::int32_t(std::int32_t kernel, void** args)>;

/// Reads input lines against one program, which must outlive the edge and the rows it
/// returns (they point at the program's layouts).
///
/// Defaults: with a KernelCaller, the edge runs every event version's Defaults kernel
/// once, when it is made. A field a line leaves out takes its declared default
/// (plan::Field::hasDefault); a left-out optional field without one is none; any other
/// left-out field is an error.
class JsonEdge {
public:
    explicit JsonEdge(const plan::Program& program, const KernelCaller& runKernel = {});

    /// Parses one line (without its newline). An error's message is the reason alone,
    /// "unknown event 'Stock.Adjusted'; did you mean 'Stock.StockAdjusted'?": the caller
    /// adds the file and line number. Safe to call from several threads.
    Result<InputEvent> parse(std::string_view line) const;

private:
    Result<InputEvent> parseCommand(const nlohmann::json& name, const nlohmann::json* time,
                                    const nlohmann::json* id, const nlohmann::json* data) const;

    const plan::Program& program_;
    std::map<std::string, std::int32_t, std::less<>> byName_;
    /// Per event, per version: its defaults row (empty: none), or why it has none.
    std::vector<std::vector<OwnedRow>> defaults_;
    std::vector<std::vector<std::string>> defaultsErrors_;
};

/// The output line (without a newline) of a stored event: `row` is a row of the layout of
/// `event`'s version at index `version` (which "version" prints, by its number). Zero
/// causation or correlation ids print as null. Never throws: bytes that are not UTF-8
/// (which a checked row never holds) print as U+FFFD.
std::string eventToJson(const plan::Program& program, std::int32_t event, std::int32_t version,
                        const Envelope& envelope, const void* row);

}  // namespace flow::rt
