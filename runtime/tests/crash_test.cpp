// runtime/tests/crash_test.cpp - kill -9 at random points while events are ingested,
// processed, checkpointed and emitted; then check nothing acknowledged is lost or doubled.
//
// The worker (a forked child) appends input events it receives on a pipe to an input
// log, acknowledges each once it is durable, folds the input log into keyed state
// (sum and count per key) through a Store, emits a derived event for every tenth
// input to an output log with a deterministic id, and checkpoints the state with both
// log positions. The parent kills it with SIGKILL at seeded random moments, restarts
// it, resends what was not acknowledged, and at the end checks: acknowledged ⊆ log,
// no duplicate ids in either log, inputs in order without gaps, state == a batch
// recomputation, outputs == the expected derived events.
#include "flow/rt/codec.h"
#include "flow/rt/envelope.h"
#include "flow/rt/event_log.h"
#include "flow/rt/state_store.h"
#include "flow/rt/table_codecs.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <random>
#include <set>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace flow::rt;
using flow::rt::testing::TempDir;

namespace {

enum Phase : int { Idle, Appending, Processing, Snapshot, Roll };

struct Shared {
    volatile int phase;
    volatile long rolls;
};

/// In the worker: passes file operations through, but kills the process (SIGKILL, as
/// the parent would) at the n-th operation performed during the chosen phase, so some
/// kills land exactly inside a snapshot or a segment roll. The snapshot's atomic
/// replace is done step by step here so a kill can fall between its steps.
class KillingFs final : public FileSystem {
public:
    KillingFs(Shared* shared, int phase, long nth) : shared_(shared), phase_(phase), nth_(nth) {}

    void maybeDie() {
        if (phase_ >= 0 && shared_->phase == phase_ && count_++ >= nth_) {
            ::raise(SIGKILL);
        }
    }

    class KFile final : public File {
    public:
        KFile(KillingFs& fs, std::unique_ptr<File> f) : fs_(fs), f_(std::move(f)) {}
        Status append(std::string_view d) override {
            fs_.maybeDie();
            if (d.size() > 1) {  // sometimes die halfway through a write
                FLOW_RT_TRY(f_->append(d.substr(0, d.size() / 2)));
                fs_.maybeDie();
                return f_->append(d.substr(d.size() / 2));
            }
            return f_->append(d);
        }
        Status sync() override {
            fs_.maybeDie();
            return f_->sync();
        }
        Status truncate(std::uint64_t n) override {
            fs_.maybeDie();
            return f_->truncate(n);
        }
        Status readAt(std::uint64_t o, std::size_t n, std::string& out) override {
            return f_->readAt(o, n, out);
        }
        Status writeAt(std::uint64_t o, std::string_view d) override {
            fs_.maybeDie();
            return f_->writeAt(o, d);
        }
        Result<std::uint64_t> size() override { return f_->size(); }

    private:
        KillingFs& fs_;
        std::unique_ptr<File> f_;
    };

    Result<std::unique_ptr<File>> openWritable(const std::string& p) override {
        return wrap(real().openWritable(p));
    }
    Result<std::unique_ptr<File>> openMutable(const std::string& p) override {
        return wrap(real().openMutable(p));
    }
    Result<std::unique_ptr<File>> openReadable(const std::string& p) override {
        return real().openReadable(p);
    }
    Status readFile(const std::string& p, std::string& out) override {
        return real().readFile(p, out);
    }
    Status writeFileAtomic(const std::string& path, std::string_view data) override {
        std::string tmp = path + ".tmp";
        {
            auto f = openWritable(tmp);
            if (!f) {
                return f.status();
            }
            FLOW_RT_TRY((*f)->truncate(0));
            FLOW_RT_TRY((*f)->append(data));
            FLOW_RT_TRY((*f)->sync());
        }
        maybeDie();
        if (std::rename(tmp.c_str(), path.c_str()) != 0) {
            return Status::io("rename " + tmp);
        }
        maybeDie();
        return syncDir(parentDir(path));
    }
    Status listDir(const std::string& d, std::vector<std::string>& n) override {
        return real().listDir(d, n);
    }
    Status removeFile(const std::string& p) override {
        maybeDie();
        return real().removeFile(p);
    }
    Status createDirs(const std::string& d) override { return real().createDirs(d); }
    Status syncDir(const std::string& d) override {
        maybeDie();
        return real().syncDir(d);
    }
    bool exists(const std::string& p) override { return real().exists(p); }

private:
    Result<std::unique_ptr<File>> wrap(Result<std::unique_ptr<File>> f) {
        if (!f) {
            return f.status();
        }
        return std::unique_ptr<File>(new KFile(*this, std::move(*f)));
    }
    static FileSystem& real() { return posixFileSystem(); }
    Shared* shared_;
    int phase_;
    long nth_;
    long count_ = 0;
};

/// Enough keys that a snapshot takes a noticeable share of the worker's time, so kills
/// land inside snapshots too.
constexpr std::uint64_t kKeys = 1009;
constexpr std::int64_t kKeysSigned = static_cast<std::int64_t>(kKeys);

EventId inputId(std::uint64_t i) {
    return requestId("input-" + std::to_string(i));
}

std::string inputRecord(std::uint64_t i) {
    Envelope e;
    e.id = inputId(i);
    e.causation = e.id;
    e.correlation = e.id;
    e.time = static_cast<std::int64_t>(i) * 1000;
    e.type = "Test.Input";
    std::string payload;
    putZigzag(payload, static_cast<std::int64_t>(i % kKeys));  // key
    putZigzag(payload, static_cast<std::int64_t>(i));          // value
    std::string rec;
    encodeEnvelope(e, payload, rec);
    return rec;
}

bool parseInput(const std::string& rec, EventId& id, std::int64_t& key, std::int64_t& value) {
    Envelope e;
    std::string_view payload;
    if (!decodeEnvelope(rec, e, payload).isOk()) {
        return false;
    }
    Reader r(payload);
    id = e.id;
    return r.zigzag(key) && r.zigzag(value) && r.remaining() == 0;
}

std::string outputRecord(const EventId& cause, std::int64_t value) {
    Envelope e;
    e.id = deriveEventId(cause, 0);
    e.causation = cause;
    e.correlation = cause;
    e.type = "Test.Milestone";
    std::string payload;
    putZigzag(payload, value);
    std::string rec;
    encodeEnvelope(e, payload, rec);
    return rec;
}

struct Totals {
    std::int64_t sum = 0;
    std::int64_t count = 0;
};

TableCodec<std::int64_t, Totals> totalsCodec() {
    return {[](const std::int64_t& k, std::string& o) { putZigzag(o, k); },
            [](std::string_view i, std::int64_t& k) { return decodeScalar(i, k); },
            [](const Totals& t, std::string& o) {
                putZigzag(o, t.sum);
                putZigzag(o, t.count);
            },
            [](std::string_view i, Totals& t) {
                Reader r(i);
                return r.zigzag(t.sum) && r.zigzag(t.count) && r.remaining() == 0;
            }};
}

std::unique_ptr<Store> openStore(bool rocks, const std::string& dir, FileSystem* fs = nullptr) {
    if (rocks) {
        auto s = openRocksStore(dir, StoreOptions{fs, 1000, 100000, true});
        return s ? std::move(*s) : nullptr;
    }
    return openMemoryStore(dir, StoreOptions{fs, 0, 0, true});
}

/// The worker: never returns. Exit codes other than 0 are failures the parent reports.
[[noreturn]] void worker(const std::string& dir, bool rocks, int inFd, int ackFd, Shared* shared,
                         std::uint64_t seed, int killPhase) {
    std::mt19937_64 rng(seed);
    shared->phase = Idle;  // recovering
    KillingFs kfs(shared, killPhase, static_cast<long>(rng() % 6));
    LogOptions lo;
    lo.fsync = FsyncPolicy::Always;
    lo.segmentBytes = 2048;  // frequent rolls
    lo.fs = &kfs;
    auto in = FileLog::open(dir + "/in", lo);
    auto out = FileLog::open(dir + "/out", lo);
    auto store = openStore(rocks, dir + "/state", &kfs);
    if (!in || !out || !store) {
        std::fprintf(stderr, "worker: %s | %s | store %s\n", in.status().toString().c_str(),
                     out.status().toString().c_str(), store ? "ok" : "failed");
        ::_exit(10);
    }
    auto& totals = store->table<std::int64_t, Totals>("Test.Totals", totalsCodec());
    auto cp = store->load();
    if (!cp) {
        ::_exit(11);
    }
    std::uint64_t inPos = 0, outPos = 0;
    if (cp->has_value()) {
        Reader r((*cp)->meta);
        if (!r.fixed64(inPos) || !r.fixed64(outPos)) {
            ::_exit(12);
        }
    }
    // The checkpoint records `outPos`: the output position its inputs had produced.
    // Outputs after it in the log came from inputs the replay will process again; the
    // replay regenerates exactly them, in order, so they are matched by id, not appended.
    std::map<EventId, std::uint64_t> alreadyOut;
    {
        auto rd = LogReader::open(dir + "/out", outPos);
        std::string rec;
        std::uint64_t seq = 0;
        while (rd && (*rd)->next(rec, seq).isOk()) {
            Envelope e;
            std::string_view p;
            if (decodeEnvelope(rec, e, p).isOk()) {
                alreadyOut.emplace(e.id, seq);
            }
        }
    }
    // Tell the parent how many inputs are durable: it resends from there.
    std::uint64_t have = (*in)->endSeq();
    if (::write(ackFd, &have, sizeof have) != sizeof have) {
        ::_exit(13);
    }
    auto reader = LogReader::open(dir + "/in", inPos);
    if (!reader) {
        ::_exit(14);
    }
    std::uint64_t sinceCheckpoint = 0;
    // Processes everything in the input log that is not yet folded into the state.
    auto process = [&] {
        std::string rec;
        std::uint64_t seq = 0;
        while ((*reader)->next(rec, seq).isOk()) {
            shared->phase = Processing;
            EventId id;
            std::int64_t key = 0, value = 0;
            if (!parseInput(rec, id, key, value)) {
                ::_exit(17);
            }
            Totals& t = totals.upsert(key);
            t.sum += value;
            t.count += 1;
            if (value % 10 == 0) {
                auto found = alreadyOut.find(deriveEventId(id, 0));
                if (found != alreadyOut.end()) {
                    outPos = found->second + 1;
                } else {
                    auto outSeq = (*out)->append(outputRecord(id, value));
                    if (!outSeq || !(*out)->commit().isOk()) {
                        ::_exit(18);
                    }
                    outPos = *outSeq + 1;
                }
            }
            inPos = seq + 1;
            if (++sinceCheckpoint >= 5 + rng() % 40) {
                shared->phase = Snapshot;
                std::string meta;
                putFixed64(meta, inPos);
                putFixed64(meta, outPos);
                if (!store->checkpoint(meta).isOk()) {
                    ::_exit(19);
                }
                sinceCheckpoint = 0;
            }
            shared->phase = Idle;
        }
    };
    for (;;) {
        process();
        std::uint64_t next = 0;
        if (::read(inFd, &next, sizeof next) != sizeof next) {
            ::_exit(25);
        }
        if (next == UINT64_MAX) {
            // A clean stop: process the rest and take a final checkpoint.
            process();
            std::string meta;
            putFixed64(meta, inPos);
            putFixed64(meta, outPos);
            ::_exit(store->checkpoint(meta).isOk() ? 0 : 23);
        }
        std::string rec = inputRecord(next);
        bool rolls = (*in)->activeSegmentBytes() + kFrameHeaderBytes + rec.size() > 2048;
        shared->phase = rolls ? Roll : Appending;
        auto seq = (*in)->append(rec);
        if (!seq || *seq != next || !(*in)->commit().isOk()) {
            ::_exit(15);
        }
        std::uint64_t acked = (*in)->durableSeq();
        if (::write(ackFd, &acked, sizeof acked) != sizeof acked) {
            ::_exit(16);
        }
    }
}

}  // namespace

/// Entry point of a re-executed worker: FLOW_CRASH_WORKER="dir|rocks|inFd|ackFd|shm|seed|phase".
int runCrashWorker(const char* spec) {
    std::vector<std::string> parts;
    std::string cur;
    for (const char* p = spec; *p != '\0'; ++p) {
        if (*p == '|') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += *p;
        }
    }
    parts.push_back(cur);
    if (parts.size() != 7) {
        return 30;
    }
    int shmFd = ::open(parts[4].c_str(), O_RDWR);
    auto* shared = static_cast<Shared*>(
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED, shmFd, 0));
    if (shared == MAP_FAILED) {
        return 31;
    }
    worker(parts[0], parts[1] == "1", std::stoi(parts[2]), std::stoi(parts[3]), shared,
           std::stoull(parts[5]), std::stoi(parts[6]));
}

namespace {

struct Outcome {
    std::uint64_t acked = 0;
    int kills = 0;
    std::map<int, int> killsByPhase;
};

/// Runs `total` inputs through killed-and-restarted workers; returns what was acknowledged.
Outcome runWithKills(const std::string& dir, bool rocks, std::uint64_t total, int kills,
                     std::uint64_t seed) {
    std::signal(SIGPIPE, SIG_IGN);  // a worker that killed itself must not take us with it
    // The worker's phase, shared through a small file both processes map.
    std::string shmPath = dir + "/.phase";
    int shmFd = ::open(shmPath.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(shmFd >= 0);
    REQUIRE(::ftruncate(shmFd, sizeof(Shared)) == 0);
    auto* shared = static_cast<Shared*>(
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED, shmFd, 0));
    REQUIRE(shared != MAP_FAILED);
    ::close(shmFd);
    std::mt19937_64 rng(seed);
    Outcome o;
    std::uint64_t nextToSend = 0;
    for (int round = 0; round <= kills; ++round) {
        bool last = round == kills;
        int toChild[2], fromChild[2];
        REQUIRE(::pipe(toChild) == 0);
        REQUIRE(::pipe(fromChild) == 0);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(toChild[1]);
            ::close(fromChild[0]);
            // Every third round the worker kills itself inside a snapshot, every third
            // inside a segment roll; the others are killed by the parent's timer.
            int killPhase = last ? -1 : round % 3 == 1 ? Snapshot : round % 3 == 2 ? Roll : -1;
            std::string spec = dir + "|" + (rocks ? "1" : "0") + "|" + std::to_string(toChild[0]) +
                               "|" + std::to_string(fromChild[1]) + "|" + shmPath + "|" +
                               std::to_string(seed * 1000 + static_cast<std::uint64_t>(round)) +
                               "|" + std::to_string(killPhase);
            ::setenv("FLOW_CRASH_WORKER", spec.c_str(), 1);
            char self[] = "/proc/self/exe";
            char* args[] = {self, nullptr};
            ::execv(self, args);
            ::_exit(32);
        }
        ::close(toChild[0]);
        ::close(fromChild[1]);
        std::uint64_t have = 0;
        if (::read(fromChild[0], &have, sizeof have) != sizeof have) {
            int st = 0;
            ::waitpid(pid, &st, 0);
            FAIL("the worker did not start: exit " << (WIFEXITED(st) ? WEXITSTATUS(st) : -1)
                                                   << ", signal "
                                                   << (WIFSIGNALED(st) ? WTERMSIG(st) : 0));
        }
        // Everything acknowledged before must still be there.
        REQUIRE(have >= o.acked);
        nextToSend = have;
        auto killAt =
            std::chrono::steady_clock::now() + std::chrono::microseconds(2000 + rng() % 30000);
        bool killed = false;
        for (;;) {
            if (!last && (std::chrono::steady_clock::now() >= killAt || nextToSend >= total)) {
                // Everything sent: let the worker process for a while, then kill it anyway.
                std::this_thread::sleep_until(killAt);
                o.killsByPhase[static_cast<int>(shared->phase)]++;
                ::kill(pid, SIGKILL);
                killed = true;
                break;
            }
            if (nextToSend < total) {
                if (::write(toChild[1], &nextToSend, sizeof nextToSend) != sizeof nextToSend) {
                    break;  // the worker killed itself
                }
                std::uint64_t acked = 0;
                if (::read(fromChild[0], &acked, sizeof acked) != sizeof acked) {
                    break;
                }
                o.acked = std::max(o.acked, acked);
                ++nextToSend;
            } else {
                std::uint64_t stop = UINT64_MAX;
                // Give the worker time to process everything, then stop it cleanly.
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                REQUIRE(::write(toChild[1], &stop, sizeof stop) == sizeof stop);
                break;
            }
        }
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        ::close(toChild[1]);
        ::close(fromChild[0]);
        if (!killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
            o.killsByPhase[static_cast<int>(shared->phase)]++;  // it killed itself in a phase
            killed = true;
        }
        if (killed) {
            ++o.kills;
        } else {
            INFO("worker exit status " << status);
            REQUIRE(WIFEXITED(status));
            REQUIRE(WEXITSTATUS(status) == 0);
        }
    }
    ::munmap(shared, sizeof(Shared));
    ::unlink(shmPath.c_str());
    return o;
}

void checkOracles(const std::string& dir, bool rocks, std::uint64_t acked) {
    // Input log: exactly 0..n-1, each once, n >= acknowledged.
    std::vector<std::int64_t> values;
    {
        auto rd = LogReader::open(dir + "/in", 0);
        REQUIRE(rd.isOk());
        std::string rec;
        std::uint64_t seq = 0;
        std::set<EventId> ids;
        while ((*rd)->next(rec, seq).isOk()) {
            EventId id;
            std::int64_t key = 0, value = 0;
            REQUIRE(parseInput(rec, id, key, value));
            REQUIRE(seq == values.size());
            REQUIRE(value == static_cast<std::int64_t>(seq));
            REQUIRE(ids.insert(id).second);
            values.push_back(value);
        }
    }
    REQUIRE(values.size() >= acked);
    // Output log: the derived events, each once, in input order.
    {
        auto rd = LogReader::open(dir + "/out", 0);
        REQUIRE(rd.isOk());
        std::string rec;
        std::uint64_t seq = 0;
        std::vector<std::int64_t> milestones;
        std::set<EventId> ids;
        while ((*rd)->next(rec, seq).isOk()) {
            Envelope e;
            std::string_view p;
            REQUIRE(decodeEnvelope(rec, e, p).isOk());
            REQUIRE(ids.insert(e.id).second);
            Reader r(p);
            std::int64_t v = 0;
            REQUIRE(r.zigzag(v));
            milestones.push_back(v);
        }
        std::vector<std::int64_t> expected;
        for (std::int64_t v : values) {
            if (v % 10 == 0) {
                expected.push_back(v);
            }
        }
        REQUIRE(milestones == expected);
    }
    // State: a batch recomputation over the input log.
    std::map<std::int64_t, Totals> batch;
    for (std::int64_t v : values) {
        batch[v % kKeysSigned].sum += v;
        batch[v % kKeysSigned].count += 1;
    }
    auto store = openStore(rocks, dir + "/state");
    REQUIRE(store);
    auto& totals = store->table<std::int64_t, Totals>("Test.Totals", totalsCodec());
    auto cp = store->load();
    REQUIRE(cp.isOk());
    REQUIRE(cp->has_value());
    Reader r((*cp)->meta);
    std::uint64_t inPos = 0;
    REQUIRE(r.fixed64(inPos));
    REQUIRE(inPos == values.size());
    REQUIRE(totals.size() == batch.size());
    for (const auto& [k, t] : batch) {
        const Totals* got = totals.find(k);
        REQUIRE(got != nullptr);
        CHECK(got->sum == t.sum);
        CHECK(got->count == t.count);
    }
}

void crashCycles(int kills, std::uint64_t total) {
    for (bool rocks : {false, true}) {
        TempDir d;
        std::uint64_t seed = rocks ? 77 : 42;
        INFO("store " << (rocks ? "rocksdb" : "memory") << ", seed " << seed);
        Outcome o = runWithKills(d.path, rocks, total, kills, seed);
        CHECK(o.kills == kills);
        checkOracles(d.path, rocks, o.acked);
        std::string phases;
        const char* names[] = {"idle", "append", "process", "snapshot", "roll"};
        for (const auto& [p, n] : o.killsByPhase) {
            phases += std::string(names[p]) + "=" + std::to_string(n) + " ";
        }
        WARN((rocks ? "rocksdb" : "memory") << ": " << o.kills << " kills (" << phases << "), "
                                            << o.acked << " acknowledged inputs");
    }
}

}  // namespace

TEST_CASE("kill -9 during ingest, processing and checkpoints loses and doubles nothing") {
    crashCycles(12, 2000);
}

TEST_CASE("kill -9 stress: 200 cycles", "[slow]") {
    crashCycles(100, 20000);
}

TEST_CASE("a file size limit: a clear error, nothing unwritten acknowledged, clean recovery") {
    TempDir d;
    int ackPipe[2];
    REQUIRE(::pipe(ackPipe) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ackPipe[0]);
        std::signal(SIGXFSZ, SIG_IGN);  // so write() fails with EFBIG instead of killing us
        struct rlimit lim {
            8192, 8192
        };
        ::setrlimit(RLIMIT_FSIZE, &lim);
        LogOptions lo;
        lo.fsync = FsyncPolicy::Always;
        lo.segmentBytes = 1 << 20;
        lo.writeBufferBytes = 64;
        auto log = FileLog::open(d.path, lo);
        if (!log) {
            ::_exit(20);
        }
        for (std::uint64_t i = 0; i < 1000; ++i) {
            if (!(*log)->append(inputRecord(i)) || !(*log)->commit().isOk()) {
                std::uint64_t acked = (*log)->durableSeq();
                (void)::write(ackPipe[1], &acked, sizeof acked);
                ::_exit((*log)->failed() ? 0 : 21);
            }
        }
        ::_exit(22);
    }
    ::close(ackPipe[1]);
    std::uint64_t acked = 0;
    REQUIRE(::read(ackPipe[0], &acked, sizeof acked) == sizeof acked);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK(acked > 0);
    // Space is back: the log recovers and holds exactly the acknowledged records.
    auto log = FileLog::open(d.path, LogOptions{});
    REQUIRE(log.isOk());
    CHECK((*log)->endSeq() == acked);
    REQUIRE((*log)->append(inputRecord(acked)).isOk());
    REQUIRE((*log)->sync().isOk());
}
