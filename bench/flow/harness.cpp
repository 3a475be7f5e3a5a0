// bench/flow/harness.cpp - the shared part of the generated-program benchmarks.
#include "harness.h"

#include <absl/container/flat_hash_set.h>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>

namespace flow::bench {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "flow bench: %s\n", message.c_str());
    std::exit(2);
}

std::uint64_t parseCount(const std::string& text) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (...) {
        die("not a number: '" + text + "'");
    }
    std::string suffix = text.substr(used);
    if (suffix == "k" || suffix == "K") {
        v *= 1e3;
    } else if (suffix == "m" || suffix == "M") {
        v *= 1e6;
    } else if (!suffix.empty()) {
        die("not a number: '" + text + "'");
    }
    if (v < 0) {
        die("negative: '" + text + "'");
    }
    return static_cast<std::uint64_t>(v);
}

std::uint64_t mix64(std::uint64_t h) {
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

}  // namespace

Options parseOptions(int argc, char** argv, const char* usage, std::uint64_t defaultEvents,
                     std::uint64_t defaultBatch) {
    Options o;
    o.events = defaultEvents;
    o.batch = defaultBatch;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                die(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--events") {
            o.events = parseCount(value());
        } else if (a == "--keys") {
            o.keys = std::max<std::uint64_t>(1, parseCount(value()));
        } else if (a == "--batch") {
            o.batch = std::max<std::uint64_t>(1, parseCount(value()));
        } else if (a == "--seed") {
            o.seed = parseCount(value());
        } else if (a == "--flow-reps") {
            o.flowReps = static_cast<int>(parseCount(value()));
        } else if (a == "--base-reps") {
            o.baseReps = static_cast<int>(parseCount(value()));
        } else if (a == "--checkpoint-every") {
            o.checkpointEvery = parseCount(value());
        } else if (a == "--flow-only") {
            o.flowOnly = true;
        } else if (a == "--base-only") {
            o.baseOnly = true;
        } else if (a == "--interleave") {
            o.interleave = parseCount(value());
        } else if (a == "--one-by-one") {
            o.ingestAll = false;
        } else if (a == "--alternate-ingest") {
            o.alternateIngest = true;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--events N] [--keys N] [--batch N] [--seed N]\n"
                         "          [--flow-reps N] [--base-reps N] [--checkpoint-every N]\n"
                         "          [--flow-only | --base-only | --interleave N]\n"
                         "          [--one-by-one | --alternate-ingest]\n%s\n",
                         argv[0], usage);
            std::exit(a == "--help" || a == "-h" ? 0 : 2);
        }
    }
    if (o.flowOnly) {
        o.baseReps = 0;
    }
    if (o.baseOnly) {
        o.flowReps = 0;
    }
    if (o.interleave > 0 && (o.flowOnly || o.baseOnly)) {
        die("--interleave runs both sides: not with --flow-only or --base-only");
    }
    if (o.alternateIngest && !o.ingestAll) {
        die("--alternate-ingest times both ways of ingesting: not with --one-by-one");
    }
    return o;
}

// ---- The program ---------------------------------------------------------------------------

const FlowKernelFn* (*jitKernelsHook)(std::size_t& count) = nullptr;

Program Program::load() {
    auto parsed = rt::plan::parsePlan(
        std::string_view(flow_gen::flow_plan_json, flow_gen::flow_plan_json_size));
    if (!parsed) {
        die("cannot read the compiled plan: " + parsed.status().toString());
    }
    Program p;
    p.plan = std::move(*parsed);
    p.kernels = flow_gen::flow_kernels;
    std::size_t count = flow_gen::flow_kernel_count;
    if (jitKernelsHook != nullptr) {
        // The _llvm executables: the same program's kernels from the LLVM JIT.
        p.kernels = jitKernelsHook(count);
    }
    if (count != p.plan.kernels.size()) {
        die("the kernel table does not match the plan");
    }
    return p;
}

std::int32_t Program::event(std::string_view name) const {
    for (const auto& e : plan.events) {
        if (e.name == name) {
            return e.id;
        }
    }
    die("no event '" + std::string(name) + "' in the program");
}

std::int32_t Program::table(std::string_view name) const {
    for (const auto& t : plan.tables) {
        if (t.name == name) {
            return t.id;
        }
    }
    die("no table '" + std::string(name) + "' in the program");
}

const rt::plan::Layout& Program::eventLayout(std::int32_t event, int version) const {
    const auto& versions = plan.events[static_cast<std::size_t>(event)].versions;
    std::size_t v = version < 0 ? versions.size() - 1 : static_cast<std::size_t>(version);
    return plan.layouts[static_cast<std::size_t>(versions[v].layout)];
}

const rt::plan::Layout& Program::tableRow(std::int32_t table) const {
    return plan
        .layouts[static_cast<std::size_t>(plan.tables[static_cast<std::size_t>(table)].rowLayout)];
}

std::uint32_t offsetOf(const rt::plan::Layout& layout, std::string_view field) {
    int i = layout.find(field);
    if (i < 0) {
        die("no field '" + std::string(field) + "' in " + layout.name);
    }
    return layout.fields[static_cast<std::size_t>(i)].offset;
}

RowBuilder& RowBuilder::i64(std::uint32_t off, std::int64_t v) {
    std::memcpy(static_cast<std::uint8_t*>(row_.data()) + off, &v, 8);
    return *this;
}

RowBuilder& RowBuilder::boolean(std::uint32_t off, bool v) {
    static_cast<std::uint8_t*>(row_.data())[off] = v ? 1 : 0;
    return *this;
}

RowBuilder& RowBuilder::str(std::uint32_t off, std::string v) {
    strings_.push_back(std::move(v));
    const std::string& s = strings_.back();
    FlowStr f{s.data(), static_cast<std::int64_t>(s.size())};
    std::memcpy(static_cast<std::uint8_t*>(row_.data()) + off, &f, sizeof f);
    return *this;
}

OwnedRow RowBuilder::done() {
    row_.adoptStrings();  // copies the strings in; strings_ (a deque) never moved them
    strings_.clear();
    return std::move(row_);
}

// ---- Checksums -----------------------------------------------------------------------------

RowHash& RowHash::i64(std::int64_t v) {
    h_ = mix64(h_ ^ (static_cast<std::uint64_t>(v) + 0x9E3779B97F4A7C15ull));
    return *this;
}

RowHash& RowHash::boolean(bool v) {
    return i64(v ? 0x51 : 0x50);
}

RowHash& RowHash::str(std::string_view s) {
    std::uint64_t f = 0xCBF29CE484222325ull;
    for (char c : s) {
        f = (f ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    }
    h_ = mix64(h_ ^ f ^ (s.size() << 56));
    return *this;
}

RowHash& RowHash::none() {
    return i64(0x7F7F7F7F7F7F7F7Fll);
}

std::uint64_t hashAbiRow(const rt::plan::Layout& layout, const void* row) {
    RowHash h;
    const auto* base = static_cast<const std::uint8_t*>(row);
    for (const rt::plan::Field& f : layout.fields) {
        std::uint32_t off = f.offset;
        if (f.type.optional) {
            if (base[off] == 0) {
                h.none();
                continue;
            }
            off += f.type.scalar == rt::plan::Scalar::Bool ? 1 : 8;
        }
        switch (f.type.scalar) {
        case rt::plan::Scalar::Bool:
            h.boolean(getBool(base, off));
            break;
        case rt::plan::Scalar::String:
            h.str(getStr(base, off));
            break;
        default:  // int, float (its bits), timestamp, duration, enum
            h.i64(getInt(base, off));
            break;
        }
    }
    return h.value();
}

Digest tableDigest(rt::Engine& engine, const Program& program, std::int32_t table) {
    Digest d;
    const rt::plan::Layout& layout = program.tableRow(table);
    for (const auto& [key, row] : engine.rows(table)) {
        d.add(hashAbiRow(layout, row.data()));
    }
    return d;
}

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    return mix64(z);
}

// ---- Timing --------------------------------------------------------------------------------

void Stopwatch::start() {
    w0_ = std::chrono::steady_clock::now();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0_);
}

void Stopwatch::stop() {
    timespec c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    auto w1 = std::chrono::steady_clock::now();
    wall_ += std::chrono::duration<double>(w1 - w0_).count();
    cpu_ += static_cast<double>(c1.tv_sec - c0_.tv_sec) +
            static_cast<double>(c1.tv_nsec - c0_.tv_nsec) * 1e-9;
}

long peakRssMb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stol(line.substr(6)) / 1024;
        }
    }
    return 0;
}

// ---- The engine loop -----------------------------------------------------------------------

EngineRun::EngineRun(const Program& program, const Options& options) {
    std::error_code ec;
    previous_ = fs::current_path(ec).string();
    std::string pattern = (fs::temp_directory_path(ec) / "flow-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr || ::chdir(pattern.c_str()) != 0) {
        die("cannot make a scratch directory " + pattern);
    }
    dir_ = pattern;
    rt::EngineOptions eo;
    eo.dataDir = "";          // logs and state in memory
    eo.recordInputs = false;  // as `EXE run` does: the harness observes emitted events only
    if (options.checkpointEvery > 0) {
        eo.checkpointEvery = options.checkpointEvery;
    }
    engine_ = std::make_unique<rt::Engine>(program.plan, program.kernels, eo);
    if (rt::Status st = engine_->open(); !st) {
        die("cannot open the engine: " + st.toString());
    }
}

EngineRun::~EngineRun() {
    engine_.reset();
    static bool told = false;
    std::error_code ec;
    if (!told && fs::exists(fs::path(dir_) / "snapshot", ec)) {
        told = true;
        std::printf("  note: the in-memory engine wrote checkpoints to ./snapshot (kept out of "
                    "the way in a scratch directory)\n");
    }
    if (::chdir(previous_.c_str()) != 0) {
        std::fprintf(stderr, "flow bench: cannot return to %s\n", previous_.c_str());
    }
    fs::remove_all(dir_, ec);
}

namespace {

/// Two threads that run one at a time, taking turns (runWorkload's interleaved runs).
class Alternation {
public:
    /// Waits for `side`'s first turn (side 0 goes first).
    void begin(int side) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return turn_ == side; });
    }
    /// Gives the turn to the other side, unless it has finished, and waits for it back.
    void pass(int side) {
        std::unique_lock lock(mutex_);
        if (finished_[1 - side]) {
            return;
        }
        turn_ = 1 - side;
        ++handovers_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return turn_ == side; });
    }
    /// `side` is done: the other runs to its end.
    void end(int side) {
        std::lock_guard lock(mutex_);
        finished_[side] = true;
        turn_ = 1 - side;
        changed_.notify_all();
    }
    /// How many times a side gave the turn to the other (a side's end not counted).
    std::uint64_t handovers() {
        std::lock_guard lock(mutex_);
        return handovers_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int turn_ = 0;
    bool finished_[2] = {false, false};
    std::uint64_t handovers_ = 0;
};

/// The side this thread is in an interleaved run, if it is one.
struct TurnSide {
    Alternation* alternation = nullptr;
    int side = 0;
    std::uint64_t every = 0;
};
thread_local TurnSide turnSide;

/// Runs `fn` in this thread as `side` of `alternation`, in turns of `every` events. The
/// side ends however `fn` leaves (the other side must not wait for it).
template <typename Fn>
void runAsSide(Alternation& alternation, int side, std::uint64_t every, Fn&& fn) {
    struct Ending {
        Alternation& alternation;
        int side;
        ~Ending() {
            alternation.end(side);
            turnSide = TurnSide{};
        }
    };
    turnSide = TurnSide{&alternation, side, every};
    alternation.begin(side);
    Ending ending{alternation, side};
    fn();
}

}  // namespace

Turns::Turns(bool take) {
    if (take && turnSide.alternation != nullptr) {
        every_ = turnSide.every;
        next_ = every_;
    }
}

void Turns::pass() {
    turnSide.alternation->pass(turnSide.side);
    next_ += every_;
}

namespace {

/// A hand-written program's rate over the engine's (0 when the engine has none); or any
/// time over another.
double ratio(double hand, double flowRate) {
    return flowRate > 0 ? hand / flowRate : 0;
}

/// --alternate-ingest's report: the CPU time of the groups of inputs ingested one by one
/// and by Engine::ingestAll, each side without its slowest 2% (the groups in which the set
/// of ids grew, or the log mapped a block, fall on one side or the other by their
/// position, and take as long as a hundred others).
void printIngestAb(std::vector<double> (&groupCpu)[2]) {
    double kept[2] = {0, 0};
    for (int side = 0; side < 2; ++side) {
        std::vector<double>& t = groupCpu[side];
        std::sort(t.begin(), t.end());
        const std::size_t keep = t.size() - t.size() / 50;
        for (std::size_t j = 0; j < keep; ++j) {
            kept[side] += t[j];
        }
    }
    std::printf("  ingest A/B: %zu groups one by one, %zu by ingestAll; CPU s over all but "
                "each side's slowest 2%%: %.4f one by one, %.4f by ingestAll\n",
                groupCpu[0].size(), groupCpu[1].size(), kept[0], kept[1]);
    std::printf("INGEST_AB one_by_one=%.4f ingest_all=%.4f ratio=%.3f\n", kept[0], kept[1],
                ratio(kept[0], kept[1]));
}

}  // namespace

Rate drive(rt::Engine& engine, const std::vector<Input>& inputs, const Options& options,
           const std::function<void(const std::vector<rt::EventRecord>&)>& observe,
           bool takeTurns) {
    Stopwatch sw;
    const std::size_t n = inputs.size();
    const std::size_t batch = options.batch;
    // The clock stops only to observe, every kObserveEvery events (rounded up to whole
    // batches): reading the thread's CPU clock is a system call.
    const std::size_t every = (std::max(batch, kObserveEvery) + batch - 1) / batch * batch;
    // The engine takes each row over (a batch by ingestAll, or one input at a time, as
    // `EXE run` hands it the rows it parsed): they are copied from the inputs (which every
    // run reads again) before the clock starts.
    std::vector<rt::IngestInput> rows;
    Turns turns(takeTurns);
    // With --alternate-ingest, each group of inputs between two observations is timed
    // apart, every other one by ingestAll: [0] one by one, [1] by ingestAll.
    std::vector<double> groupCpu[2];
    bool all = options.ingestAll;
    for (std::size_t i = 0; i < n;) {
        std::size_t end = std::min(n, i + every);
        rows.clear();
        for (std::size_t j = i; j < end; ++j) {
            const Input& in = inputs[j];
            rows.push_back(rt::IngestInput{in.event, in.version, in.row, in.time, in.id});
        }
        const std::size_t first = i;
        if (options.alternateIngest) {
            all = !all;
        }
        const double cpuBefore = sw.cpu();
        sw.start();
        engine.clearEmitted();  // what `observe` saw last time
        while (i < end) {
            std::size_t batchEnd = std::min(end, i + batch);
            if (all) {
                // A batch in hand: the next input's state is fetched while one is ingested.
                auto appended = engine.ingestAll(
                    std::span<rt::IngestInput>(rows).subspan(i - first, batchEnd - i));
                if (!appended || *appended != batchEnd - i) {
                    die("ingestAll failed in the inputs from " + std::to_string(i) + ": " +
                        (appended ? std::string("a duplicate id") : appended.status().toString()));
                }
                i = batchEnd;
            }
            for (; i < batchEnd; ++i) {
                rt::IngestInput& in = rows[i - first];
                auto appended =
                    engine.ingest(in.event, in.version, std::move(in.row), in.time, in.id);
                if (!appended || !*appended) {
                    die("ingest failed at input " + std::to_string(i) + ": " +
                        (appended ? std::string("a duplicate id") : appended.status().toString()));
                }
            }
            if (rt::Status st = engine.runUntilIdle(); !st) {
                die("runUntilIdle: " + st.toString());
            }
        }
        sw.stop();
        groupCpu[all ? 1 : 0].push_back(sw.cpu() - cpuBefore);
        if (observe) {
            observe(engine.emitted());
        }
        if (turns.due(i)) {
            turns.pass();
        }
    }
    engine.clearEmitted();
    if (options.alternateIngest) {
        printIngestAb(groupCpu);
    }
    if (!engine.errors().empty()) {
        die("the engine reported " + std::to_string(engine.errors().size()) +
            " runtime errors; the first: " + engine.errors().front().message);
    }
    return Rate{sw.wall(), sw.cpu(), n};
}

// ---- Running and reporting -------------------------------------------------------------

namespace {

void printRun(const char* side, const char* workload, const Rate& r) {
    std::printf("  %-5s %-4s %10llu events  %7.2f s wall  %7.2f s cpu  %11.0f ev/s  %11.0f "
                "ev/cpu-s  peak RSS %ld MB\n",
                workload, side, static_cast<unsigned long long>(r.events), r.wall, r.cpu,
                r.perWall(), r.perCpu(), peakRssMb());
    std::fflush(stdout);
}

/// Prints each result against the baseline's (only the differences if `quiet`).
bool checkResults(const char* what, const Results& got, const Results& want, bool quiet) {
    bool ok = got.size() == want.size();
    for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
        const Digest& g = got[i].second;
        const Digest& w = want[i].second;
        bool same = got[i].first == want[i].first && g == w;
        ok = ok && same;
        if (quiet && same) {
            continue;
        }
        std::printf("    %-26s %-4s %10llu / %016llx   base %10llu / %016llx  %s\n",
                    got[i].first.c_str(), what, static_cast<unsigned long long>(g.count),
                    static_cast<unsigned long long>(g.sum),
                    static_cast<unsigned long long>(w.count),
                    static_cast<unsigned long long>(w.sum), same ? "ok" : "MISMATCH");
    }
    if (got.size() != want.size()) {
        std::printf("    %zu results, the baseline has %zu: MISMATCH\n", got.size(), want.size());
    }
    std::fflush(stdout);
    return ok;
}

}  // namespace

char* Journal::append(std::uint32_t size) {
    const std::size_t need = 4 + std::size_t{size};
    if (kBlock - used_ < need) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(std::max(kBlock, need)));
        used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::memcpy(at, &size, 4);
    used_ += need;
    ++records_;
    return at + 4;
}

namespace {

/// The best of `rates` by events per CPU-second.
Rate best(const std::vector<Rate>& rates) {
    Rate b;
    for (const Rate& r : rates) {
        if (b.events == 0 || r.perCpu() > b.perCpu()) {
            b = r;
        }
    }
    return b;
}

/// Prints the RESULT line run.sh and vs.sh read: the rates of the engine (`f`), the baseline
/// (`b`) and the guarded program (`g`), the ratios of the hand-written ones to the engine's
/// (`guardedRatio` the guarded program's, as the caller computed it), then `extra`.
void printResult(const char* workload, const Rate& f, const Rate& b, const Rate& g,
                 double guardedRatio, const char* check, const std::string& note,
                 const std::string& extra) {
    std::printf("RESULT workload=%s events=%llu flow_cpu=%.0f flow_wall=%.0f base_cpu=%.0f "
                "base_wall=%.0f ratio_cpu=%.2f ratio_wall=%.2f guarded_cpu=%.0f "
                "guarded_wall=%.0f ratio_guarded_cpu=%.2f check=%s rss_mb=%ld note=%s%s\n",
                workload, static_cast<unsigned long long>(f.events ? f.events : b.events),
                f.perCpu(), f.perWall(), b.perCpu(), b.perWall(), ratio(b.perCpu(), f.perCpu()),
                ratio(b.perWall(), f.perWall()), g.perCpu(), g.perWall(), guardedRatio, check,
                peakRssMb(), note.c_str(), extra.c_str());
    std::fflush(stdout);
}

/// runWorkload with options.interleave: the engine and the guarded program in turns.
int runInterleaved(const char* workload, const Options& options, const std::function<Run()>& flow,
                   const std::function<Run()>& base, const std::string& note,
                   const std::function<Run()>& guarded) {
    if (!guarded) {
        die(std::string("--interleave: the ") + workload + " workload has no guarded program");
    }
    Run want = base();
    printRun("base", workload, want.rate);
    bool ok = true;
    std::vector<Rate> flowRates, guardedRates;
    std::vector<double> ratios;
    for (int r = 0; r < std::max(1, options.flowReps); ++r) {
        Alternation alternation;
        Run f, g;
        std::thread flowSide(
            [&] { runAsSide(alternation, 0, options.interleave, [&] { f = flow(); }); });
        std::thread guardedSide(
            [&] { runAsSide(alternation, 1, options.interleave, [&] { g = guarded(); }); });
        flowSide.join();
        guardedSide.join();
        printRun("flow", workload, f.rate);
        printRun("guarded", workload, g.rate);
        ok = checkResults("guarded", g.results, want.results, true) && ok;
        std::printf("  results (count / digest), flow against the baseline:\n");
        ok = checkResults("flow", f.results, want.results, false) && ok;
        flowRates.push_back(f.rate);
        guardedRates.push_back(g.rate);
        ratios.push_back(ratio(g.rate.perCpu(), f.rate.perCpu()));
        std::printf("  pair %d, in turns of %llu events (%llu hand-overs): guarded / flow %.2f "
                    "(events per CPU-second)\n",
                    r + 1, static_cast<unsigned long long>(options.interleave),
                    static_cast<unsigned long long>(alternation.handovers()), ratios.back());
        std::fflush(stdout);
    }
    std::sort(ratios.begin(), ratios.end());
    const std::size_t mid = ratios.size() / 2;
    const double median =
        ratios.size() % 2 == 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
    char extra[128];
    std::snprintf(extra, sizeof extra,
                  " interleave=%llu pairs=%zu ratio_guarded_min=%.2f ratio_guarded_max=%.2f",
                  static_cast<unsigned long long>(options.interleave), ratios.size(),
                  ratios.front(), ratios.back());
    printResult(workload, best(flowRates), want.rate, best(guardedRates), median,
                ok ? "ok" : "FAILED", note, extra);
    return ok ? 0 : 1;
}

}  // namespace

int runWorkload(const char* workload, const Options& options, const std::function<Run()>& flow,
                const std::function<Run()>& base, const std::string& note,
                const std::function<Run()>& guarded) {
    if (options.interleave > 0) {
        return runInterleaved(workload, options, flow, base, note, guarded);
    }
    std::vector<Rate> flowRates, baseRates, guardedRates;
    std::vector<Results> flowResults;
    std::optional<Results> want;
    bool ok = true;
    for (int r = 0; r < std::max(options.flowReps, options.baseReps); ++r) {
        if (r < options.baseReps) {
            Run run = base();
            printRun("base", workload, run.rate);
            baseRates.push_back(run.rate);
            if (!want) {
                want = std::move(run.results);
            } else {
                ok = checkResults("base", run.results, *want, true) && ok;
            }
            if (guarded) {
                Run g = guarded();
                printRun("guarded", workload, g.rate);
                guardedRates.push_back(g.rate);
                ok = checkResults("guarded", g.results, *want, true) && ok;
            }
        }
        if (r < options.flowReps) {
            Run run = flow();
            printRun("flow", workload, run.rate);
            flowRates.push_back(run.rate);
            flowResults.push_back(std::move(run.results));
        }
    }
    const char* check = "unchecked";
    if (want && !flowResults.empty()) {
        std::printf("  results (count / digest), flow against the baseline:\n");
        for (const Results& got : flowResults) {
            ok = checkResults("flow", got, *want, false) && ok;
        }
        check = ok ? "ok" : "FAILED";
    } else if (!ok) {
        check = "FAILED";
    }
    Rate f = best(flowRates), g = best(guardedRates);
    printResult(workload, f, best(baseRates), g, ratio(g.perCpu(), f.perCpu()), check, note, "");
    return ok ? 0 : 1;
}

}  // namespace flow::bench
