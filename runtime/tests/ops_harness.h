// runtime/tests/ops_harness.h - differential property testing of the stream operators.
//
// A Spec describes one operator under test:
//   using Input = ...; using Out = ...;            // one input; one emitted record
//   struct Case { std::vector<Input> inputs; ... };
//   static Case generate(std::mt19937_64&);        // random inputs and parameters
//   struct Op { Op(Store&, const std::string& name, const Case&);
//               void feed(const Input&, std::vector<Out>&);
//               std::string state(); };            // its observable state, canonical text
//   static std::string check(const Case&, const std::vector<Out>& all, Op&);
//                                                  // "" if `all` matches a batch recomputation
//   static std::string show(const Out&);
// runDifferential runs every case (seed = base + index) three ways and compares:
//   1. the operator on a memory store and on a RocksDB store (small cache, checkpoints
//      every few inputs): identical outputs and state; the outputs match `check`;
//   2. a run that checkpoints at a random point, does some work the crash loses, drops
//      everything, reopens the store, loads and replays the rest: identical outputs
//      after the checkpoint and identical final state (batches alternate between the
//      memory and the RocksDB store; a replayed seed uses both).
// Cases run in batches sharing stores (each case's operator under its own name), so a
// thousand cases cost a few dozen store openings. FLOW_OPS_SEED=<seed> replays one case.
#pragma once

#include "flow/rt/ops/change.h"
#include "flow/rt/ops/window.h"
#include "flow/rt/state_store.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace flow::rt::testing {

inline std::unique_ptr<Store> openStoreOfKind(const std::string& kind, const std::string& dir) {
    if (kind == "memory") {
        return openMemoryStore(dir, StoreOptions{nullptr, 200'000, 1'000'000, false});
    }
    // A tiny cache: rows fall out of memory at each checkpoint and are read back from
    // RocksDB, so operators are tested against state that is not resident.
    auto r = openRocksStore(dir, StoreOptions{nullptr, 200'000, 2, false});
    INFO(r.status().toString());
    REQUIRE(r.isOk());
    return std::move(*r);
}

// ---- Random values --------------------------------------------------------------------

inline std::int64_t pick(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}
inline bool chance(std::mt19937_64& rng, int percent) {
    return pick(rng, 0, 99) < percent;
}

/// How many inputs a case has: mostly short (quick to run, easy to read when one
/// fails), one in five long enough for deep histories of retractions and merges.
inline std::int64_t caseLength(std::mt19937_64& rng) {
    return chance(rng, 20) ? pick(rng, 40, 80) : pick(rng, 0, 30);
}

/// One of `n` short strings ("a", "b", ...): few distinct keys, so groups collide.
inline std::string smallString(std::mt19937_64& rng, int n) {
    return std::string(1, static_cast<char>('a' + pick(rng, 0, n - 1)));
}

/// A float that is a multiple of 1/4 with a small magnitude: sums of such values are
/// exact in any order, so incremental and batch sums compare with ==.
inline double dyadic(std::mt19937_64& rng) {
    return static_cast<double>(pick(rng, -40, 40)) / 4.0;
}

// ---- Text -----------------------------------------------------------------------------

inline std::string show(const Row& r) {
    return rowToString(r);
}
inline std::string show(std::int64_t v) {
    return std::to_string(v);
}
template <typename K>
std::string show(const ops::Windowed<K>& k) {
    return show(k.key) + "@" + std::to_string(k.start);
}
template <typename T>
std::string show(const std::optional<T>& v) {
    return v ? show(*v) : std::string("-");
}
template <typename K, typename R>
std::string show(const ops::Change<K, R>& c) {
    return show(c.key) + ": " + show(c.before) + " -> " + show(c.after);
}

template <typename M>
std::string showMap(const M& m) {
    std::string out;
    for (const auto& [k, v] : m) {
        out += show(k) + " = " + show(v) + "\n";
    }
    return out;
}

// ---- Tables ---------------------------------------------------------------------------

/// Applies changes to a model of the result table, checking that each is consistent with
/// it (an insert's key is absent, a `before` equals the current row). "" if all were.
template <typename K, typename V, typename C>
std::string applyChanges(std::map<K, V, C>& table, const std::vector<ops::Change<K, V>>& changes) {
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& c = changes[i];
        auto it = table.find(c.key);
        std::optional<V> current;
        if (it != table.end()) {
            current = it->second;
        }
        if (current != c.before) {
            return "change #" + std::to_string(i) + " " + show(c) + " does not apply to " +
                   show(current);
        }
        if (c.before == c.after) {
            return "change #" + std::to_string(i) + " " + show(c) + " changes nothing";
        }
        if (c.after) {
            table[c.key] = *c.after;
        } else {
            table.erase(it);
        }
    }
    return "";
}

template <typename K, typename V, typename C = std::less<K>>
std::map<K, V, C> contents(StateTable<K, V>& t) {
    std::map<K, V, C> m;
    t.forEach([&](const K& k, const V& v) { m.emplace(k, v); });
    return m;
}

template <typename M>
std::string compareMaps(const M& expected, const M& actual) {
    if (expected == actual) {
        return "";
    }
    return "expected table:\n" + showMap(expected) + "actual table:\n" + showMap(actual);
}

// ---- The runner -----------------------------------------------------------------------

inline std::optional<std::uint64_t> replaySeed() {
    const char* s = std::getenv("FLOW_OPS_SEED");
    if (s == nullptr || *s == '\0') {
        return std::nullopt;
    }
    return std::strtoull(s, nullptr, 10);
}

template <typename Out>
std::string showOutputs(const std::vector<Out>& outs) {
    std::string s;
    for (const Out& o : outs) {
        s += "    " + show(o) + "\n";
    }
    return s.empty() ? "    (nothing)\n" : s;
}

template <typename Spec>
class DifferentialRun {
public:
    using Case = typename Spec::Case;
    using Op = typename Spec::Op;
    using Out = typename Spec::Out;
    using Outputs = std::vector<std::vector<Out>>;  // per input

    DifferentialRun(std::vector<std::uint64_t> seeds) : seeds_(std::move(seeds)) {
        for (std::uint64_t seed : seeds_) {
            std::mt19937_64 rng(seed);
            cases_.push_back(Spec::generate(rng));
        }
    }

    /// `restoreKinds`: the stores the checkpoint-and-restore run uses.
    void run(const std::vector<std::string>& restoreKinds) {
        uninterrupted();
        for (const std::string& kind : restoreKinds) {
            restored(kind);
        }
    }

private:
    static std::string opName(std::size_t i) { return "Svc" + std::to_string(i) + ".View"; }

    [[noreturn]] void fail(std::size_t i, const std::string& what) {
        FAIL("seed " << seeds_[i] << " (replay: FLOW_OPS_SEED=" << seeds_[i] << "), "
                     << cases_[i].inputs.size() << " inputs: " << what);
        std::abort();
    }

    std::size_t longest() const {
        std::size_t n = 0;
        for (const Case& c : cases_) {
            n = std::max(n, c.inputs.size());
        }
        return n;
    }

    void uninterrupted() {
        TempDir dm, dr;
        auto mem = openStoreOfKind("memory", dm.path);
        auto rocks = openStoreOfKind("rocksdb", dr.path);
        std::vector<std::unique_ptr<Op>> om, orr;
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            om.push_back(std::make_unique<Op>(*mem, opName(i), cases_[i]));
            orr.push_back(std::make_unique<Op>(*rocks, opName(i), cases_[i]));
        }
        REQUIRE(mem->load().isOk());
        REQUIRE(rocks->load().isOk());
        expected_.assign(cases_.size(), {});
        std::vector<Outputs> fromRocks(cases_.size());
        for (std::size_t j = 0; j < longest(); ++j) {
            for (std::size_t i = 0; i < cases_.size(); ++i) {
                if (j >= cases_[i].inputs.size()) {
                    continue;
                }
                expected_[i].emplace_back();
                om[i]->feed(cases_[i].inputs[j], expected_[i].back());
                fromRocks[i].emplace_back();
                orr[i]->feed(cases_[i].inputs[j], fromRocks[i].back());
            }
            if (j % 8 == 7) {
                REQUIRE(rocks->checkpoint("round " + std::to_string(j)).isOk());
            }
        }
        finalState_.clear();
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            for (std::size_t j = 0; j < cases_[i].inputs.size(); ++j) {
                if (expected_[i][j] != fromRocks[i][j]) {
                    fail(i, "input #" + std::to_string(j) + ": memory store emitted\n" +
                                showOutputs(expected_[i][j]) + "  RocksDB store emitted\n" +
                                showOutputs(fromRocks[i][j]));
                }
            }
            std::string sm = om[i]->state(), sr = orr[i]->state();
            if (sm != sr) {
                fail(i, "memory store state:\n" + sm + "RocksDB store state:\n" + sr);
            }
            finalState_.push_back(sm);
            std::vector<Out> all;
            for (const auto& outs : expected_[i]) {
                all.insert(all.end(), outs.begin(), outs.end());
            }
            std::string problem = Spec::check(cases_[i], all, *om[i]);
            if (!problem.empty()) {
                fail(i, "differs from the batch recomputation:\n" + problem);
            }
        }
    }

    void restored(const std::string& kind) {
        TempDir d;
        std::vector<std::size_t> cut, lost;
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            std::mt19937_64 rng(seeds_[i] ^ 0x9e3779b97f4a7c15ull ^ kind.size());
            std::size_t n = cases_[i].inputs.size();
            cut.push_back(static_cast<std::size_t>(pick(rng, 0, static_cast<std::int64_t>(n))));
            lost.push_back(
                std::min<std::size_t>(n - cut.back(), static_cast<std::size_t>(pick(rng, 0, 4))));
        }
        auto feedRange = [&](std::vector<std::unique_ptr<Op>>& ops, std::vector<std::size_t> from,
                             const std::vector<std::size_t>& to, bool compare) {
            for (bool more = true; more;) {
                more = false;
                for (std::size_t i = 0; i < cases_.size(); ++i) {
                    if (from[i] >= to[i]) {
                        continue;
                    }
                    more = true;
                    std::size_t j = from[i]++;
                    std::vector<Out> outs;
                    ops[i]->feed(cases_[i].inputs[j], outs);
                    if (compare && outs != expected_[i][j]) {
                        fail(i, kind + " store, checkpoint after " + std::to_string(cut[i]) +
                                    " inputs, " + std::to_string(lost[i]) + " lost: input #" +
                                    std::to_string(j) + " emitted\n" + showOutputs(outs) +
                                    "  an uninterrupted run emitted\n" +
                                    showOutputs(expected_[i][j]));
                    }
                }
            }
        };
        std::vector<std::size_t> zero(cases_.size(), 0), lostEnd(cases_.size()), end(cases_.size());
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            lostEnd[i] = cut[i] + lost[i];
            end[i] = cases_[i].inputs.size();
        }
        {
            auto store = openStoreOfKind(kind, d.path);
            std::vector<std::unique_ptr<Op>> ops;
            for (std::size_t i = 0; i < cases_.size(); ++i) {
                ops.push_back(std::make_unique<Op>(*store, opName(i), cases_[i]));
            }
            REQUIRE(store->load().isOk());
            feedRange(ops, zero, cut, true);
            REQUIRE(store->checkpoint("cut").isOk());
            feedRange(ops, cut, lostEnd, false);  // done, then lost in the crash
        }
        auto store = openStoreOfKind(kind, d.path);
        std::vector<std::unique_ptr<Op>> ops;
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            ops.push_back(std::make_unique<Op>(*store, opName(i), cases_[i]));
        }
        auto cp = store->load();
        REQUIRE(cp.isOk());
        REQUIRE(cp->has_value());
        REQUIRE((*cp)->meta == "cut");
        feedRange(ops, cut, end, true);
        for (std::size_t i = 0; i < cases_.size(); ++i) {
            std::string s = ops[i]->state();
            if (s != finalState_[i]) {
                fail(i, kind + " store, checkpoint after " + std::to_string(cut[i]) +
                            " inputs: restored state\n" + s + "uninterrupted state:\n" +
                            finalState_[i]);
            }
        }
    }

    std::vector<std::uint64_t> seeds_;
    std::vector<Case> cases_;
    std::vector<Outputs> expected_;
    std::vector<std::string> finalState_;
};

/// Runs `cases` random cases of Spec with seeds base, base+1, ... (or only the seed in
/// FLOW_OPS_SEED) in batches.
template <typename Spec>
void runDifferential(std::uint64_t baseSeed, int cases, int batch = 125) {
    if (auto only = replaySeed()) {
        DifferentialRun<Spec>({*only}).run({"memory", "rocksdb"});
        return;
    }
    for (int first = 0; first < cases; first += batch) {
        std::vector<std::uint64_t> seeds;
        for (int i = first; i < std::min(cases, first + batch); ++i) {
            seeds.push_back(baseSeed + static_cast<std::uint64_t>(i));
        }
        INFO("seeds " << seeds.front() << ".." << seeds.back());
        DifferentialRun<Spec>(seeds).run({(first / batch) % 2 == 0 ? "memory" : "rocksdb"});
    }
}

/// Default and [slow] case counts.
inline constexpr int kCases = 1000;
inline constexpr int kSlowCases = 10000;

}  // namespace flow::rt::testing
