// bench/flow/harness.h - what the generated-program benchmarks share: the program compiled
// into this executable, rows by field name, checksums, timing and the engine loop.
//
// Each workload (agg_bench.cpp, join_bench.cpp, shop_bench.cpp) is its own executable,
// linked with one program's `flowc gen-cpp` output: kernels.cpp and plan.cpp, whose
// `main` is renamed away (CMakeLists.txt), so this harness reads the program through
// `flow_gen::flow_plan_json` and `flow_gen::flow_kernels` and runs it in an in-memory
// Engine (engine.h), exactly as `EXE run --input` does, minus the JSON parsing.
#pragma once

#include "flow/rt/engine.h"
#include "flow/rt/plan.h"
#include "flow/rt/rows.h"

#include <absl/container/flat_hash_set.h>
#include <absl/strings/string_view.h>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flow_gen {
// Defined by the generated plan.cpp (declared in its program.h).
extern const FlowKernelFn flow_kernels[];
extern const std::size_t flow_kernel_count;
extern const char flow_plan_json[];
extern const std::size_t flow_plan_json_size;
}  // namespace flow_gen

namespace flow::bench {

using flow::rt::OwnedRow;

// ---- Options -------------------------------------------------------------------------------

struct Options {
    std::uint64_t events = 10'000'000;  // timed input events
    std::uint64_t keys = 100'000;       // group keys (agg) or table rows (join)
    std::uint64_t batch = 256;          // events ingested between runUntilIdle calls
    std::uint64_t seed = 42;
    int flowReps = 1;                   // engine runs (each on a fresh engine)
    int baseReps = 3;                   // baseline runs, interleaved: base, flow, base, base
    std::uint64_t checkpointEvery = 0;  // 0: the engine's default
    bool baseOnly = false;              // skip the engine (profiling the baseline)
    bool flowOnly = false;              // skip the baseline (profiling the engine)
    std::uint64_t interleave = 0;       // events per turn of flow and guarded (0: apart)
    bool ingestAll = true;        // batches by Engine::ingestAll (else one by one)
    bool alternateIngest = false;  // ...every other group of inputs only, each timed apart
};

/// Parses --events N (also 10M, 500k), --keys, --batch, --seed, --flow-reps, --base-reps,
/// --checkpoint-every, --flow-only, --base-only, --interleave N, --one-by-one,
/// --alternate-ingest; exits with usage on anything else.
Options parseOptions(int argc, char** argv, const char* usage, std::uint64_t defaultEvents,
                     std::uint64_t defaultBatch);

// ---- The program -----------------------------------------------------------------------

/// Set (before main) by jit_kernels.cpp in the `_llvm` executables: the kernels of the
/// same program JIT-compiled by the LLVM backend, in place of the generated C++ ones.
extern const FlowKernelFn* (*jitKernelsHook)(std::size_t& count);

/// The program compiled into this executable: its parsed plan and kernels.
struct Program {
    rt::plan::Program plan;
    const FlowKernelFn* kernels = nullptr;

    static Program load();  // exits on a bad plan
    std::int32_t event(std::string_view name) const;
    std::int32_t table(std::string_view name) const;
    /// The layout of an event's version (index into its versions, -1: the latest).
    const rt::plan::Layout& eventLayout(std::int32_t event, int version = -1) const;
    const rt::plan::Layout& tableRow(std::int32_t table) const;
};

/// A field's offset in a layout, found by name once (exits if it is missing).
std::uint32_t offsetOf(const rt::plan::Layout& layout, std::string_view field);

inline std::int64_t getInt(const void* row, std::uint32_t off) {
    std::int64_t v;
    std::memcpy(&v, static_cast<const std::uint8_t*>(row) + off, 8);
    return v;
}
inline bool getBool(const void* row, std::uint32_t off) {
    return static_cast<const std::uint8_t*>(row)[off] != 0;
}
inline std::string_view getStr(const void* row, std::uint32_t off) {
    FlowStr s;
    std::memcpy(&s, static_cast<const std::uint8_t*>(row) + off, sizeof s);
    return {s.ptr, static_cast<std::size_t>(s.len)};
}

/// A string as absl's hash maps look it up without a copy (Debian's absl has its own
/// string_view, not std::string_view).
inline absl::string_view asKey(std::string_view s) {
    return {s.data(), s.size()};
}

/// Builds an OwnedRow field by field: strings are copied into the row on `done()`.
class RowBuilder {
public:
    explicit RowBuilder(const rt::plan::Layout& layout) : row_(&layout) {}
    RowBuilder& i64(std::uint32_t off, std::int64_t v);
    RowBuilder& boolean(std::uint32_t off, bool v);
    RowBuilder& str(std::uint32_t off, std::string v);
    OwnedRow done();

private:
    OwnedRow row_;
    std::deque<std::string> strings_;  // stable addresses for the FlowStrs
};

// ---- Checksums -----------------------------------------------------------------------------

/// A hash of a sequence of values, the same whether the values come from ABI rows or from
/// the baselines' own structs.
class RowHash {
public:
    RowHash& i64(std::int64_t v);
    RowHash& boolean(bool v);
    RowHash& str(std::string_view s);
    RowHash& none();
    std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = 0x243F6A8885A308D3ull;
};

/// Every field of an ABI row, in layout order.
std::uint64_t hashAbiRow(const rt::plan::Layout& layout, const void* row);

/// An order-independent digest of a set of rows (or events): count and a sum of hashes.
struct Digest {
    std::uint64_t count = 0;
    std::uint64_t sum = 0;
    void add(std::uint64_t h) {
        ++count;
        sum += h * 0x9E3779B97F4A7C15ull + (h >> 29);
    }
    bool operator==(const Digest&) const = default;
};

/// Digest of every row of a table of the engine.
Digest tableDigest(rt::Engine& engine, const Program& program, std::int32_t table);

// ---- Input ---------------------------------------------------------------------------------

std::uint64_t splitmix64(std::uint64_t& state);

/// One pre-generated input event: what `Engine::ingest` takes.
struct Input {
    std::int32_t event = -1;
    std::int32_t version = 0;  // index into the event's versions
    std::int64_t time = 0;
    rt::EventId id;
    OwnedRow row;
};

inline constexpr std::int64_t kEpoch2024 = 1704067200000000;  // 2024-01-01T00:00:00Z

// ---- Timing --------------------------------------------------------------------------------

/// Wall and thread CPU time of the timed sections only.
class Stopwatch {
public:
    void start();
    void stop();
    double wall() const { return wall_; }
    double cpu() const { return cpu_; }

private:
    std::chrono::steady_clock::time_point w0_;
    timespec c0_{};
    double wall_ = 0;
    double cpu_ = 0;
};

struct Rate {
    double wall = 0;  // seconds
    double cpu = 0;
    std::uint64_t events = 0;
    double perWall() const { return wall > 0 ? static_cast<double>(events) / wall : 0; }
    double perCpu() const { return cpu > 0 ? static_cast<double>(events) / cpu : 0; }
};

long peakRssMb();

// ---- The engine loop -----------------------------------------------------------------------

/// A fresh in-memory engine of the program (EngineOptions::dataDir empty), opened in a
/// scratch directory of its own: without a data directory the engine still writes its
/// periodic checkpoints to `./snapshot`, and loads a `./snapshot` it finds on open, so
/// runs in one directory would see each other's state (see README.md).
class EngineRun {
public:
    EngineRun(const Program& program, const Options& options);  // exits on failure
    ~EngineRun();  // destroys the engine, then leaves and removes the directory
    EngineRun(const EngineRun&) = delete;
    EngineRun& operator=(const EngineRun&) = delete;
    rt::Engine& engine() { return *engine_; }

private:
    std::string previous_;
    std::string dir_;
    std::unique_ptr<rt::Engine> engine_;
};

/// How often the timed loops stop the clock to look at what was emitted, in events.
inline constexpr std::size_t kObserveEvery = 256;

/// Where a timed loop may hand the processor to the other side when runWorkload runs the
/// engine and the guarded program in turns (--interleave): each side runs in a thread of
/// its own, and only one runs at a time. A loop asks `due(done)` (cheap: false when the
/// sides are not interleaved) with the events it has timed so far and, if it is, stops its
/// clock and calls `pass()`, which returns when the other side has had its turn.
class Turns {
public:
    /// This thread's turns, if it is a side of an interleaved run and `take`.
    explicit Turns(bool take = true);
    bool due(std::uint64_t done) const { return done >= next_; }
    void pass();

private:
    std::uint64_t every_ = 0;
    std::uint64_t next_ = ~std::uint64_t{0};
};

/// Ingests `inputs` in batches of `options.batch`, running the engine until idle after
/// each batch; times only ingest and runUntilIdle (and clearEmitted). Every kObserveEvery
/// events (whole batches), `observe` (untimed) sees emitted(): the inputs and every event
/// they caused since it last looked. Exits on an engine error. In an interleaved run it
/// takes its turns (Turns) unless `takeTurns` is false (an untimed phase, such as loading
/// a table the timed events join with).
Rate drive(rt::Engine& engine, const std::vector<Input>& inputs, const Options& options,
           const std::function<void(const std::vector<rt::EventRecord>&)>& observe,
           bool takeTurns = true);

// ---- Running and reporting -------------------------------------------------------------

/// What a run computed, as named digests (tables, emitted streams, counters).
using Results = std::vector<std::pair<std::string, Digest>>;

struct Run {
    Rate rate;
    Results results;
};

/// Runs the baselines and the engine alternately (base, guarded, flow, base, guarded, ... as
/// many times as the options say), prints each run, checks every run's results against
/// the first baseline's, and prints the RESULT line run.sh reads: the best run of each
/// side by events per CPU-second. Returns the exit status: 1 if any result differed.
/// `guarded`, when given, is the hand-written program with the engine's guarantees
/// (Journal below), run as often as `base`.
/// With `options.interleave` (and `guarded`): the baseline once, then `flowReps` times the
/// engine and the guarded program together, in turns of that many events (Turns), so that
/// both see the machine in the same state; the RESULT line then has each pair's ratio and
/// their median (`ratio_guarded_cpu`).
int runWorkload(const char* workload, const Options& options, const std::function<Run()>& flow,
                const std::function<Run()>& base, const std::string& note,
                const std::function<Run()>& guarded = {});

// ---- The guarantees, by hand -----------------------------------------------------------

/// What a hand-written program needs to give its inputs the guarantees the engine gives
/// them, in the plainest form: ingestion idempotent by event id (a retried input is
/// ignored: a set of every id admitted, as the engine keeps) and a log of every event it
/// admitted or derived, from which its state can be rebuilt and a request traced. Records
/// are the program's own compact encoding (the baselines write fixed fields and
/// length-prefixed strings), framed by a length, appended to memory blocks as the
/// engine's in-memory log does; the engine's guarantees beyond these (checkpoints, undo of
/// a failed event, schema versions in the envelope) are not counted.
class Journal {
public:
    /// True if `id` was not admitted before; it is from now on.
    bool admit(const rt::EventId& id) { return ids_.insert(id).second; }
    /// A record of `size` bytes at the end of the log, for the caller to fill (Writer).
    char* append(std::uint32_t size);
    std::uint64_t records() const { return records_; }

    /// Fills a record: fixed-size integers and ids, strings with a 32-bit length.
    class Writer {
    public:
        explicit Writer(char* at) : at_(at) {}
        Writer& u8(std::uint8_t v) {
            *at_++ = static_cast<char>(v);
            return *this;
        }
        Writer& i64(std::int64_t v) {
            std::memcpy(at_, &v, 8);
            at_ += 8;
            return *this;
        }
        Writer& id(const rt::EventId& v) {
            return i64(static_cast<std::int64_t>(v.hi)).i64(static_cast<std::int64_t>(v.lo));
        }
        Writer& str(std::string_view v) {
            auto n = static_cast<std::uint32_t>(v.size());
            std::memcpy(at_, &n, 4);
            std::memcpy(at_ + 4, v.data(), v.size());
            at_ += 4 + v.size();
            return *this;
        }
        static constexpr std::uint32_t kId = 16;
        static std::uint32_t strSize(std::string_view v) {
            return 4 + static_cast<std::uint32_t>(v.size());
        }

    private:
        char* at_;
    };

private:
    static constexpr std::size_t kBlock = std::size_t{1} << 20;
    absl::flat_hash_set<rt::EventId> ids_;
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::size_t used_ = kBlock;
    std::uint64_t records_ = 0;
};

}  // namespace flow::bench
