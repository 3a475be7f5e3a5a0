// flow/rt/engine.h - the engine: runs a compiled program's services in one process.
//
// Every request that enters the estate (an input event, a `given`, a command) gets the
// next ingest stamp; every event it causes carries that stamp and its causal depth.
// The engine processes events in waves of (ingest, depth): all services finish depth d
// of a request before any starts depth d+1, and a request is finished before the next
// one starts. Within a wave a service reads its inputs in a fixed order. Processing
// is therefore a function of the logs' contents alone, so a replay after a crash, a
// test and a run on the same inputs all see the same interleaving.
#pragma once

#include "flow/rt/envelope.h"
#include "flow/rt/event_log.h"
#include "flow/rt/plan.h"
#include "flow/rt/rows.h"
#include "flow/rt/status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace flow::rt {

enum class OnError : std::uint8_t {
    Skip,  // report the event's runtime error, count it, go on
    Stop,  // report it and stop without committing what the event did
};

struct EngineOptions {
    std::string dataDir;  // empty: logs and state in memory (tests)
    FsyncPolicy fsync = FsyncPolicy::Batch;
    std::string store = "memory";  // or "rocksdb"
    OnError onError = OnError::Skip;
    std::uint64_t checkpointEvery = 50'000;  // events processed between checkpoints
    bool salvage = false;
    /// Whether `ingest` adds each input to `emitted()` (tests and `expect emitted` read
    /// them); `run`, which never reads them, turns it off. Events the program emits are
    /// always added.
    bool recordInputs = true;
};

/// One event as clients see it: what `expect emitted`, `--input` and trace show.
struct EventRecord {
    std::int32_t type = -1;
    std::int32_t service = -1;  // the owner
    std::uint64_t seq = 0;
    Envelope envelope;
    OwnedRow row;  // the type's latest version
};

struct CommandResult {
    bool accepted = false;
    bool failed = false;     // a runtime error, not a rejection
    bool duplicate = false;  // its request id was accepted before: nothing ran
    std::string reason;      // rejection reason or error message
    std::vector<EventRecord> events;
};

/// One input of Engine::ingestAll: what Engine::ingest takes.
struct IngestInput {
    std::int32_t event = -1;
    std::int32_t version = 0;
    OwnedRow row;
    std::optional<std::int64_t> time;
    std::optional<EventId> id;
};

/// A runtime error in a kernel, located at its source site.
struct RuntimeError {
    std::string message;  // "int overflow in Orders: command PlaceOrder (shop.flow:160)"
    std::int32_t code = 0;
};

class Engine {
public:
    Engine(const plan::Program& program, const FlowKernelFn* kernels, EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Opens (or creates) the logs and stores and recovers: loads each service's last
    /// checkpoint and indexes what it emitted after it, so a replay emits nothing twice.
    Status open();

    /// Appends an event as if its owner had emitted it (a test's `given`, an input
    /// line). `id`: a deterministic id makes re-ingestion idempotent (false: it was
    /// already in the log). `time`: event time, else the clock. A row passed as an
    /// rvalue is handed to the event's consumers without a copy. When no event waits
    /// anywhere and one service reads the event's owner's log, that service processes it
    /// before this returns (what `runUntilIdle` would do next, in the same order); what it
    /// causes is processed by `runUntilIdle`.
    Result<bool> ingest(std::int32_t event, std::int32_t version, OwnedRow&& row,
                        std::optional<std::int64_t> time, std::optional<EventId> id);
    /// The same with a copy of `row`. (A row moves with a walk of its strings: taking an
    /// rvalue by reference saves one move per input.)
    Result<bool> ingest(std::int32_t event, std::int32_t version, const OwnedRow& row,
                        std::optional<std::int64_t> time, std::optional<EventId> id) {
        return ingest(event, version, OwnedRow(row), time, std::move(id));
    }
    /// ingest of each input in turn (passing its row as an rvalue: it may be taken), with what the
    /// next input will touch first (its slot in the set of ingested ids, and the group it goes to
    /// when a view finds it by the event's fields) fetched while one is ingested, and its hashes
    /// computed once: a batch in hand costs less than the same inputs one by one. Returns
    /// how many were appended (the others were in the logs already), or the first error:
    /// the inputs before it were ingested, the rest were not.
    Result<std::size_t> ingestAll(std::span<IngestInput> inputs);
    /// Runs a command to completion: accepted (its events appended), rejected or failed.
    /// A request id whose events are already in the logs is accepted without running.
    CommandResult command(std::int32_t command, const OwnedRow& params, const EventId& requestId);
    /// Processes waves until no service has anything left to read.
    Status runUntilIdle();
    /// Makes everything appended durable and checkpoints every service.
    Status checkpoint();

    /// The clock that stamps commands and events given without a time (tests start it
    /// at 2000-01-01T00:00:00Z); advancing it moves every watermark.
    void setClock(std::int64_t micros) { clock_ = micros; }
    std::int64_t clock() const { return clock_; }
    Status advanceTime(std::int64_t micros);

    /// Runs an expression query: FLOW_OK with `out` filled, FLOW_FALSE for no row.
    std::int32_t query(std::int32_t query, const void* params, void* out);
    /// Runs a `from` query: its rows in order.
    Result<std::vector<OwnedRow>> scan(std::int32_t query, const OwnedRow& params);
    /// A table's rows sorted by key, as (key, row).
    std::vector<std::pair<OwnedRow, OwnedRow>> rows(std::int32_t table);
    /// The row of `table` with key `key` (a row of its key layout), or null.
    const void* lookup(std::int32_t table, const void* key);

    /// Calls a kernel of the program with the engine as its context (tables, queries);
    /// strings it returns live until the next call.
    std::int32_t callKernel(std::int32_t kernel, void** args);

    /// Every event appended since the engine opened (or since clearEmitted), in order;
    /// inputs only with `EngineOptions::recordInputs`.
    const std::vector<EventRecord>& emitted() const { return emitted_; }
    void clearEmitted() { emitted_.clear(); }
    /// Reads every event of every log (for dump --events and trace).
    Status allEvents(std::vector<EventRecord>& out);

    const std::vector<RuntimeError>& errors() const { return errors_; }
    std::uint64_t lateEvents() const;
    const plan::Program& program() const { return program_; }
    std::uint64_t eventsProcessed() const { return processed_; }
    /// Events whose processing failed with a runtime error (--on-error): their effects
    /// on the service's tables and the events they would have emitted were discarded.
    std::uint64_t eventsFailed() const { return failed_; }

    struct Impl;

private:
    struct Ahead;  // what ingestAll worked out for an input before its ingest
    Result<bool> ingestWith(std::int32_t event, std::int32_t version, OwnedRow&& row,
                            std::optional<std::int64_t> time, std::optional<EventId> id,
                            const Ahead* ahead);
    Ahead fetchAhead(const IngestInput& in);

    const plan::Program& program_;
    const FlowKernelFn* kernels_;
    EngineOptions options_;
    std::int64_t clock_ = 946684800000000;  // 2000-01-01T00:00:00Z
    std::vector<EventRecord> emitted_;
    std::vector<RuntimeError> errors_;
    std::uint64_t processed_ = 0;
    std::uint64_t failed_ = 0;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flow::rt
