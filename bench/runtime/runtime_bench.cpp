// bench/runtime/runtime_bench.cpp - libflowrt against hand-written baselines, in one run.
//
// Every figure is paired with a baseline doing the same work without the runtime, so
// the ratio means something on a shared, noisy machine:
//   log append (always, batch, never)   vs  write()/fdatasync of the same bytes
//   log sequential read                  vs  read() of the file, splitting frames
//   memory store put/get, 1M and 10M     vs  a bare absl::flat_hash_map
//   RocksDB store put/get                (absolute: no baseline does the same work)
//   keyed count aggregation, 10M events  vs  a bare absl::flat_hash_map
//   a set of 10M request ids (SlotTable) vs  absl::flat_hash_set (as the engine had it)
//   recovery: 1M events, 100k keys       (absolute: target <= 2 s)
// Usage: runtime_bench [--quick] [--dir DIR] [--only log|stores|agg|ids|recovery]
#include "flow/rt/envelope.h"
#include "flow/rt/event_log.h"
#include "flow/rt/huge_pages.h"
#include "flow/rt/slot_table.h"
#include "flow/rt/state_store.h"
#include "flow/rt/table_codecs.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace flow::rt;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

long rssKb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

void row(const char* what, double flowRate, const char* unit, double baseRate,
         const char* note = "") {
    if (baseRate > 0) {
        std::printf("| %-44s | %12.0f %-8s | %12.0f | %5.2fx | %s\n", what, flowRate, unit,
                    baseRate, baseRate / flowRate, note);
    } else {
        std::printf("| %-44s | %12.0f %-8s | %12s | %6s | %s\n", what, flowRate, unit, "-", "-",
                    note);
    }
    std::fflush(stdout);
}

std::string event100(std::uint64_t i) {
    std::string s = "evt-" + std::to_string(i) + ":";
    s.resize(100, static_cast<char>('a' + i % 26));
    return s;
}

// ---- Log ---------------------------------------------------------------------------------

/// Appends n records, committing every `commitEvery` records; returns events/s.
double flowAppend(const std::string& dir, FsyncPolicy policy, std::uint64_t n,
                  std::uint64_t commitEvery) {
    fs::remove_all(dir);
    LogOptions o;
    o.fsync = policy;
    auto log = FileLog::open(dir, o);
    if (!log) {
        std::fprintf(stderr, "%s\n", log.status().toString().c_str());
        std::exit(1);
    }
    std::vector<std::string> recs;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        recs.push_back(event100(i));
    }
    auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        (void)(*log)->append(recs[i % recs.size()]);
        if ((i + 1) % commitEvery == 0) {
            (void)(*log)->commit();
        }
    }
    (void)(*log)->sync();
    auto t1 = Clock::now();
    if ((*log)->durableSeq() != n) {
        std::fprintf(stderr, "append benchmark: %llu of %llu durable\n",
                     static_cast<unsigned long long>((*log)->durableSeq()),
                     static_cast<unsigned long long>(n));
        std::exit(1);
    }
    return static_cast<double>(n) / seconds(t0, t1);
}

/// The same bytes with write(2) and fdatasync at the same points, by hand.
double rawAppend(const std::string& dir, FsyncPolicy policy, std::uint64_t n,
                 std::uint64_t commitEvery, std::uint64_t batchBytes) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    int fd = ::open((dir + "/raw").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    std::string buf;
    std::uint64_t unsynced = 0;
    auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        std::string r = event100(i % 1000);
        std::uint32_t len = static_cast<std::uint32_t>(r.size());
        buf.append(reinterpret_cast<const char*>(&len), 4);
        buf.append(8 + 4, '\0');  // seq and a checksum slot: the same frame size
        buf += r;
        if ((i + 1) % commitEvery == 0 || buf.size() >= (1u << 20)) {
            if (::write(fd, buf.data(), buf.size()) < 0) {
                std::exit(1);
            }
            unsynced += buf.size();
            buf.clear();
            if (policy == FsyncPolicy::Always ||
                (policy == FsyncPolicy::Batch && unsynced >= batchBytes)) {
                ::fdatasync(fd);
                unsynced = 0;
            }
        }
    }
    if (!buf.empty() && ::write(fd, buf.data(), buf.size()) < 0) {
        std::exit(1);
    }
    ::fdatasync(fd);
    auto t1 = Clock::now();
    ::close(fd);
    return static_cast<double>(n) / seconds(t0, t1);
}

void benchLog(const std::string& root, bool quick) {
    std::printf("\n## Event log (100-byte events)\n\n");
    std::printf("| %-44s | %21s | %12s | %6s |\n", "case", "libflowrt", "baseline", "base/flow");
    std::printf("|---|---|---|---|\n");
    std::uint64_t n = quick ? 200'000 : 2'000'000;
    double f = flowAppend(root + "/log", FsyncPolicy::Batch, n, 1000);
    double b = rawAppend(root + "/raw", FsyncPolicy::Batch, n, 1000, LogOptions{}.batchBytes);
    row("append, fsync=batch (commit every 1000)", f, "events/s", b, "target >= 1M events/s");
    std::printf("|   %-42s | %12.1f MB/s     |\n", "", f * 116 / 1e6);
    f = flowAppend(root + "/log", FsyncPolicy::Never, n, 1000);
    b = rawAppend(root + "/raw", FsyncPolicy::Never, n, 1000, 0);
    row("append, fsync=never", f, "events/s", b);
    std::uint64_t na = quick ? 300 : 3000;
    f = flowAppend(root + "/log", FsyncPolicy::Always, na, 1);
    b = rawAppend(root + "/raw", FsyncPolicy::Always, na, 1, 0);
    row("append, fsync=always (commit every event)", f, "events/s", b, "one fdatasync per event");
    f = flowAppend(root + "/log", FsyncPolicy::Always, na * 100, 100);
    b = rawAppend(root + "/raw", FsyncPolicy::Always, na * 100, 100, 0);
    row("append, fsync=always (commit every 100)", f, "events/s", b);

    // Sequential read of a batch-written log.
    flowAppend(root + "/log", FsyncPolicy::Batch, n, 1000);
    auto t0 = Clock::now();
    auto r = LogReader::open(root + "/log", 0);
    std::string rec;
    std::uint64_t seq = 0, count = 0, bytes = 0;
    while ((*r)->next(rec, seq).isOk()) {
        ++count;
        bytes += rec.size();
    }
    auto t1 = Clock::now();
    double flowRead = static_cast<double>(count) / seconds(t0, t1);
    rawAppend(root + "/raw", FsyncPolicy::Never, n, 1000, 0);
    t0 = Clock::now();
    int fd = ::open((root + "/raw/raw").c_str(), O_RDONLY);
    std::string buf(1 << 20, '\0');
    std::string carry;
    std::uint64_t rawCount = 0;
    for (;;) {
        ssize_t got = ::read(fd, buf.data(), buf.size());
        if (got <= 0) {
            break;
        }
        carry.append(buf.data(), static_cast<std::size_t>(got));
        std::size_t pos = 0;
        while (carry.size() - pos >= 16) {
            std::uint32_t len = 0;
            std::memcpy(&len, carry.data() + pos, 4);
            if (carry.size() - pos < 16 + len) {
                break;
            }
            rec.assign(carry.data() + pos + 16, len);
            pos += 16 + len;
            ++rawCount;
        }
        carry.erase(0, pos);
    }
    ::close(fd);
    t1 = Clock::now();
    double rawRead = static_cast<double>(rawCount) / seconds(t0, t1);
    row("sequential read (checksums verified)", flowRead, "events/s", rawRead);
    std::printf("|   %-42s | %12.1f MB/s     |\n", "", flowRead * 116 / 1e6);
    (void)bytes;
}

// ---- Stores ------------------------------------------------------------------------------

void benchStores(const std::string& root, bool quick) {
    std::printf("\n## State stores (int64 key -> int64 value)\n\n");
    std::printf("| %-44s | %21s | %12s | %6s |\n", "case", "libflowrt", "baseline", "base/flow");
    std::printf("|---|---|---|---|\n");
    for (std::uint64_t keys : {1'000'000ull, 10'000'000ull}) {
        if (quick && keys > 1'000'000) {
            continue;
        }
        std::vector<std::int64_t> order(keys);
        std::mt19937_64 rng(1);
        for (std::uint64_t i = 0; i < keys; ++i) {
            order[i] = static_cast<std::int64_t>(rng());
        }
        std::string label = std::to_string(keys / 1'000'000) + "M keys";
        {
            long rss0 = rssKb();
            auto store = openMemoryStore(root + "/mem");
            auto& t = store->table<std::int64_t, std::int64_t>(
                "bench.t", scalarCodec<std::int64_t, std::int64_t>());
            auto t0 = Clock::now();
            for (std::int64_t k : order) {
                t.upsert(k) = k;
            }
            auto t1 = Clock::now();
            std::int64_t sum = 0;
            for (std::int64_t k : order) {
                sum += *t.find(k);
            }
            auto t2 = Clock::now();
            long rss1 = rssKb();
            absl::flat_hash_map<std::int64_t, std::int64_t> bare;
            auto b0 = Clock::now();
            for (std::int64_t k : order) {
                bare[k] = k;
            }
            auto b1 = Clock::now();
            std::int64_t bsum = 0;
            for (std::int64_t k : order) {
                bsum += bare.find(k)->second;
            }
            auto b2 = Clock::now();
            if (sum != bsum) {
                std::exit(1);
            }
            double kf = static_cast<double>(keys);
            row(("memory store put, " + label).c_str(), kf / seconds(t0, t1), "ops/s",
                kf / seconds(b0, b1));
            row(("memory store get, " + label).c_str(), kf / seconds(t1, t2), "ops/s",
                kf / seconds(b1, b2));
            auto c0 = Clock::now();
            (void)store->checkpoint("bench");
            auto c1 = Clock::now();
            auto snap = fs::file_size(root + "/mem/snapshot");
            std::printf("|   %-42s | %8.1f B/row in memory, %.1f B/row in the snapshot, checkpoint "
                        "%.2f s |\n",
                        "", static_cast<double>(rss1 - rss0) * 1024 / kf,
                        static_cast<double>(snap) / kf, seconds(c0, c1));
            fs::remove_all(root + "/mem");
        }
        if (quick && keys > 1'000'000) {
            continue;
        }
        {
            fs::remove_all(root + "/rocks");
            auto store =
                openRocksStore(root + "/rocks", StoreOptions{nullptr, 500'000, 500'000, false});
            auto& t = (*store)->table<std::int64_t, std::int64_t>(
                "bench.t", scalarCodec<std::int64_t, std::int64_t>());
            auto t0 = Clock::now();
            for (std::int64_t k : order) {
                t.upsert(k) = k;
                if ((*store)->wantsCheckpoint()) {
                    (void)(*store)->checkpoint("bench");
                }
            }
            (void)(*store)->checkpoint("bench");
            auto t1 = Clock::now();
            std::int64_t sum = 0;
            std::uint64_t probes = std::min<std::uint64_t>(keys, 1'000'000);
            for (std::uint64_t i = 0; i < probes; ++i) {
                const std::int64_t* v = t.find(order[(i * 7919) % keys]);
                sum += v != nullptr ? *v : 0;
            }
            auto t2 = Clock::now();
            std::uintmax_t bytes = 0;
            for (const auto& e : fs::recursive_directory_iterator(root + "/rocks")) {
                if (e.is_regular_file()) {
                    bytes += e.file_size();
                }
            }
            row(("RocksDB store put + checkpoints, " + label).c_str(),
                static_cast<double>(keys) / seconds(t0, t1), "ops/s", 0);
            row(("RocksDB store get (random), " + label).c_str(),
                static_cast<double>(probes) / seconds(t1, t2), "ops/s", 0,
                "reads through the cache to the database");
            std::printf("|   %-42s | %8.1f B/row on disk |\n", "",
                        static_cast<double>(bytes) / static_cast<double>(keys));
            (void)sum;
            fs::remove_all(root + "/rocks");
        }
    }
}

// ---- Keyed aggregation -------------------------------------------------------------------

void benchAggregation(const std::string& root, bool quick) {
    std::printf("\n## Keyed count aggregation (events in memory)\n\n");
    std::printf("| %-44s | %21s | %12s | %6s |\n", "case", "libflowrt", "baseline", "base/flow");
    std::printf("|---|---|---|---|\n");
    std::uint64_t events = quick ? 2'000'000 : 10'000'000;
    std::uint64_t keys = 1'000'000;
    std::vector<std::int64_t> input(events);
    std::mt19937_64 rng(2);
    for (auto& k : input) {
        k = static_cast<std::int64_t>(rng() % keys);
    }
    auto store = openMemoryStore(root + "/agg");
    auto& t = store->table<std::int64_t, std::int64_t>("bench.counts",
                                                       scalarCodec<std::int64_t, std::int64_t>());
    auto t0 = Clock::now();
    for (std::int64_t k : input) {
        t.upsert(k) += 1;
    }
    auto t1 = Clock::now();
    absl::flat_hash_map<std::int64_t, std::int64_t> bare;
    auto b0 = Clock::now();
    for (std::int64_t k : input) {
        bare[k] += 1;
    }
    auto b1 = Clock::now();
    if (t.size() != bare.size()) {
        std::exit(1);
    }
    double ef = static_cast<double>(events);
    row("count by key, 1M keys, through the memory store", ef / seconds(t0, t1), "events/s",
        ef / seconds(b0, b1), "target: within 2x of the bare map");
}

// ---- The set of request ids ---------------------------------------------------------------

/// Inserts every id into `set` as the engine's ingest does: the slot of the id `ahead`
/// places on is fetched first (0: no fetching). Returns the ids inserted.
template <typename Set, typename Insert>
std::uint64_t insertAll(Set& set, const std::vector<EventId>& ids, std::size_t ahead,
                        Insert insert) {
    std::uint64_t made = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ahead > 0 && i + ahead < ids.size()) {
            set.prefetch(ids[i + ahead]);
        }
        made += insert(set, ids[i]) ? 1 : 0;
    }
    return made;
}

void benchRequestIds(bool quick) {
    std::printf("\n## The set of request ids (random 128-bit ids, in memory)\n\n");
    std::printf("| %-44s | %21s | %12s | %6s |\n", "case", "SlotTable", "absl set", "base/flow");
    std::printf("|---|---|---|---|\n");
    std::uint64_t n = quick ? 2'000'000 : 10'000'000;
    std::vector<EventId> ids(n);
    std::mt19937_64 rng(3);
    for (EventId& id : ids) {
        id.hi = rng();
        id.lo = rng();
    }
    struct None {};
    using AbslSet = absl::flat_hash_set<EventId, absl::Hash<EventId>, std::equal_to<EventId>,
                                        HugePageAllocator<EventId>>;
    // Alternating, best of 3 each: how fast fresh memory is given to a process varies a
    // lot on a virtual machine, and both sides grow into fresh memory.
    for (std::size_t ahead : {std::size_t{0}, std::size_t{4}}) {
        double best = 0, baseBest = 0;
        for (int rep = 0; rep < 3; ++rep) {
            auto t0 = Clock::now();
            std::uint64_t made = 0;
            {
                SlotTable<EventId, None> set;
                made = insertAll(set, ids, ahead, [](auto& s, const EventId& id) {
                    return s.tryEmplace(id).second;
                });
            }
            auto t1 = Clock::now();
            std::uint64_t baseMade = 0;
            {
                AbslSet set;
                baseMade = insertAll(set, ids, ahead, [](auto& s, const EventId& id) {
                    return s.insert(id).second;
                });
            }
            auto t2 = Clock::now();
            if (made != n || baseMade != n) {
                std::exit(1);
            }
            best = std::max(best, static_cast<double>(n) / seconds(t0, t1));
            baseBest = std::max(baseBest, static_cast<double>(n) / seconds(t1, t2));
        }
        std::string what = std::to_string(n / 1'000'000) + "M inserts" +
                           (ahead > 0 ? ", each slot fetched 4 ahead" : "");
        row(what.c_str(), best, "ids/s", baseBest, "from empty; best of 3, alternating");
    }
}

// ---- Recovery ----------------------------------------------------------------------------

void benchRecovery(const std::string& root, bool quick) {
    std::printf("\n## Recovery: a log of 1M events over 100k keys\n\n");
    std::uint64_t events = quick ? 200'000 : 1'000'000;
    std::uint64_t keys = 100'000;
    std::string dir = root + "/recovery";
    fs::remove_all(dir);
    {
        LogOptions o;
        o.fsync = FsyncPolicy::Batch;
        auto log = FileLog::open(dir + "/log", o);
        auto store = openMemoryStore(dir + "/state");
        auto& t = store->table<std::int64_t, std::int64_t>(
            "bench.sum", scalarCodec<std::int64_t, std::int64_t>());
        std::string rec;
        for (std::uint64_t i = 0; i < events; ++i) {
            rec.clear();
            putZigzag(rec, static_cast<std::int64_t>(i % keys));
            rec.resize(100, 'x');
            (void)(*log)->append(rec);
            t.upsert(static_cast<std::int64_t>(i % keys)) += 1;
            if (i + 1 == events * 9 / 10) {
                std::string meta;
                putFixed64(meta, i + 1);
                (void)store->checkpoint(meta);
            }
        }
        (void)(*log)->sync();
        // Kill: nothing more is written. Half a record of torn tail, for good measure.
        std::ofstream tail(dir + "/log/" + segmentFileName(0), std::ios::app | std::ios::binary);
    }
    auto fold = [](std::string_view rec, StateTable<std::int64_t, std::int64_t>& t) {
        Reader r(rec);
        std::int64_t k = 0;
        r.zigzag(k);
        t.upsert(k) += 1;
    };
    // (a) Without a snapshot: replay the whole log.
    auto t0 = Clock::now();
    {
        auto log = FileLog::open(dir + "/log", LogOptions{});
        auto store = openMemoryStore(dir + "/none");
        auto& t = store->table<std::int64_t, std::int64_t>(
            "bench.sum", scalarCodec<std::int64_t, std::int64_t>());
        auto r = LogReader::open(dir + "/log", 0);
        std::string rec;
        std::uint64_t seq = 0;
        while ((*r)->next(rec, seq).isOk()) {
            fold(rec, t);
        }
        if (t.size() != keys) {
            std::exit(1);
        }
    }
    auto t1 = Clock::now();
    // (b) Snapshot at 90%, then replay the rest.
    {
        auto log = FileLog::open(dir + "/log", LogOptions{});
        auto store = openMemoryStore(dir + "/state");
        auto& t = store->table<std::int64_t, std::int64_t>(
            "bench.sum", scalarCodec<std::int64_t, std::int64_t>());
        auto cp = store->load();
        Reader mr((*cp)->meta);
        std::uint64_t from = 0;
        mr.fixed64(from);
        auto r = LogReader::open(dir + "/log", from);
        std::string rec;
        std::uint64_t seq = 0;
        while ((*r)->next(rec, seq).isOk()) {
            fold(rec, t);
        }
        if (t.size() != keys) {
            std::exit(1);
        }
    }
    auto t2 = Clock::now();
    std::printf("| %-44s | %8.2f s | target <= 2 s |\n", "open + full replay (no snapshot)",
                seconds(t0, t1));
    std::printf("| %-44s | %8.2f s | |\n", "open + snapshot + replay of the last 10%",
                seconds(t1, t2));
    fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string root = "/tmp/flow-runtime-bench";
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            root = argv[++i];
        } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        }
    }
    fs::create_directories(root);
    std::printf("# libflowrt benchmarks%s (data in %s)\n", quick ? " (quick)" : "", root.c_str());
    auto wanted = [&](const char* name) {
        return only.empty() || only == name;
    };
    if (wanted("log")) {
        benchLog(root, quick);
    }
    if (wanted("stores")) {
        benchStores(root, quick);
    }
    if (wanted("agg")) {
        benchAggregation(root, quick);
    }
    if (wanted("ids")) {
        benchRequestIds(quick);
    }
    if (wanted("recovery")) {
        benchRecovery(root, quick);
    }
    fs::remove_all(root);
    return 0;
}
