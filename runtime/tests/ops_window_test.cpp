// runtime/tests/ops_window_test.cpp - tumbling, hopping and session windows: random
// out-of-order and late events against a batch recomputation, memory == RocksDB,
// restore + replay == an uninterrupted run; boundaries, grace 0, session merges.
#include "flow/rt/ops/window.h"
#include "ops_batch_aggregates.h"
#include "ops_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <tuple>

using namespace flow::rt;
using namespace flow::rt::ops;
using namespace flow::rt::testing;

namespace {

struct WindowedLess {
    bool operator()(const Windowed<Row>& a, const Windowed<Row>& b) const {
        return std::tie(a.key, a.start) < std::tie(b.key, b.start);
    }
};

using ResultTable = std::map<Windowed<Row>, Row, WindowedLess>;

/// The view's row: the group key, window.start, window.end, then the aggregates.
Row windowRow(const Row& key, const WindowBounds& w, std::span<const Value> aggs) {
    Row out = key;
    out.push_back(w.start);
    out.push_back(w.end);
    out.insert(out.end(), aggs.begin(), aggs.end());
    return out;
}

struct TimedEvent {
    Row row;
    std::int64_t time = 0;
    bool advanceOnly = false;  // `advance time`: moves event time, no event
};

std::string showSpec(const WindowSpec& s) {
    switch (s.kind) {
    case WindowKind::Tumbling:
        return "tumbling " + std::to_string(s.size) + " grace " + std::to_string(s.grace);
    case WindowKind::Hopping:
        return "hopping " + std::to_string(s.size) + " every " + std::to_string(s.every) +
               " grace " + std::to_string(s.grace);
    case WindowKind::Session:
        return "session gap " + std::to_string(s.gap) + " grace " + std::to_string(s.grace);
    }
    return "";
}

/// One window of the batch model: its events by arrival, and its bounds.
struct BatchWindow {
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::vector<std::pair<std::size_t, Row>> events;  // (arrival, row)
    bool closed = false;
};

/// Recomputes a windowed view from all events by the definitions in window.h, naively:
/// every window is kept, closed ones included, and lateness is decided per event.
ResultTable batchWindows(const WindowSpec& spec, const AggConfig& config,
                         const std::vector<TimedEvent>& events, std::int64_t& late) {
    std::map<Row, std::vector<BatchWindow>> groups;
    std::optional<std::int64_t> maxTime;
    late = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const TimedEvent& e = events[i];
        std::int64_t t = e.time;
        maxTime = std::max(maxTime.value_or(t), t);
        if (e.advanceOnly) {
            continue;
        }
        std::int64_t w = *maxTime - spec.grace;
        std::vector<BatchWindow>& windows = groups[config.key(e.row)];
        for (BatchWindow& bw : windows) {
            bw.closed = bw.end <= w;
        }
        if (spec.kind != WindowKind::Session) {
            bool accepted = false;
            // Every multiple of `every` whose window holds t; slow and obvious.
            for (std::int64_t s = t - spec.size - spec.every; s <= t; ++s) {
                if (((s % spec.every) + spec.every) % spec.every != 0 ||
                    !(s <= t && t < s + spec.size) || s + spec.size <= w) {
                    continue;
                }
                accepted = true;
                auto it = std::find_if(windows.begin(), windows.end(),
                                       [&](const BatchWindow& b) { return b.start == s; });
                if (it == windows.end()) {
                    windows.push_back({s, s + spec.size, {}, false});
                    it = windows.end() - 1;
                }
                it->events.emplace_back(i, e.row);
            }
            late += accepted ? 0 : 1;
            continue;
        }
        // Sessions: late if it touches a closed session, or starts one already closed.
        auto touches = [&](const BatchWindow& b) {
            return b.start < t + spec.gap && t < b.end;
        };
        bool touchesClosed = false, touchesOpen = false;
        for (const BatchWindow& b : windows) {
            if (touches(b)) {
                (b.closed ? touchesClosed : touchesOpen) = true;
            }
        }
        if (touchesClosed || (!touchesOpen && t + spec.gap <= w)) {
            ++late;
            continue;
        }
        BatchWindow merged{t, t + spec.gap, {{i, e.row}}, false};
        std::vector<BatchWindow> rest;
        for (BatchWindow& b : windows) {
            if (touches(b)) {
                merged.start = std::min(merged.start, b.start);
                merged.end = std::max(merged.end, b.end);
                merged.events.insert(merged.events.end(), b.events.begin(), b.events.end());
            } else {
                rest.push_back(std::move(b));
            }
        }
        std::sort(merged.events.begin(), merged.events.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        rest.push_back(std::move(merged));
        windows = std::move(rest);
    }
    ResultTable out;
    for (const auto& [key, windows] : groups) {
        for (const BatchWindow& b : windows) {
            std::vector<Row> rows;
            for (const auto& [arrival, row] : b.events) {
                rows.push_back(row);
            }
            Row aggs = batchAggregates(config, Row{}, rows);
            out[Windowed<Row>{key, b.start}] = windowRow(key, {b.start, b.end}, aggs);
        }
    }
    return out;
}

struct WindowSpecCase {
    using Input = TimedEvent;
    using Out = Change<Windowed<Row>, Row>;
    struct Case {
        std::vector<Input> inputs;
        WindowSpec spec;
        AggConfig config;
    };

    static WindowKind kindFor(std::mt19937_64& rng);

    static Case generate(std::mt19937_64& rng, WindowKind kind) {
        Case c;
        c.config = AggConfig::random(rng);
        std::int64_t grace = chance(rng, 30) ? 0 : pick(rng, 1, 6);
        switch (kind) {
        case WindowKind::Tumbling:
            c.spec = WindowSpec::tumbling(pick(rng, 1, 10), grace);
            break;
        case WindowKind::Hopping: {
            std::int64_t size = pick(rng, 1, 9);
            c.spec = WindowSpec::hopping(size, pick(rng, std::max<std::int64_t>(1, size / 4), size),
                                         grace);
            break;
        }
        case WindowKind::Session:
            c.spec = WindowSpec::session(pick(rng, 1, 8), grace);
            break;
        }
        int customers = static_cast<int>(pick(rng, 1, 3));
        std::int64_t clock = pick(rng, -60, 60);  // negative times too: windows below the epoch
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            clock += chance(rng, 5) ? pick(rng, 10, 40) : pick(rng, 0, 3);  // sometimes a jump
            // Mostly near the clock, some out of order, some late; the same time repeats.
            std::int64_t behind = chance(rng, 70) ? pick(rng, 0, 3) : pick(rng, 0, 20);
            c.inputs.push_back({randomOrder(rng, customers), clock - behind, chance(rng, 4)});
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : agg(
                  store, name, c.spec, c.config.specs(),
                  [config = c.config](const Row& r) { return config.key(r); }, windowRow) {}
        void feed(const Input& in, std::vector<Out>& out) {
            if (in.advanceOnly) {
                agg.advanceTo(in.time);
            } else {
                REQUIRE(agg.insert(in.row, in.time, out));
            }
        }
        std::string state() {
            return "late " + std::to_string(agg.lateEvents()) + ", watermark " +
                   testing::show(agg.watermark()) + "\n" +
                   showMap(contents<Windowed<Row>, Row, WindowedLess>(agg.table()));
        }
        WindowedAggregate<Row, Row> agg;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        std::int64_t late = 0;
        ResultTable batch = batchWindows(c.spec, c.config, c.inputs, late), applied;
        std::string problem = applyChanges(applied, all);
        if (problem.empty()) {
            problem = compareMaps(batch, applied);
        }
        if (problem.empty()) {
            problem =
                compareMaps(batch, contents<Windowed<Row>, Row, WindowedLess>(op.agg.table()));
        }
        if (late != op.agg.lateEvents()) {
            problem += "expected " + std::to_string(late) + " late events, counted " +
                       std::to_string(op.agg.lateEvents()) + "\n";
        }
        if (problem.empty()) {
            return "";
        }
        std::string events;
        for (const TimedEvent& e : c.inputs) {
            events += "    " + (e.advanceOnly ? std::string("advance") : rowToString(e.row)) +
                      " at " + std::to_string(e.time) + "\n";
        }
        return showSpec(c.spec) + ", " + showConfig(c.config) + "events:\n" + events + problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

template <WindowKind kKind>
struct WindowSpecOf : WindowSpecCase {
    static Case generate(std::mt19937_64& rng) { return WindowSpecCase::generate(rng, kKind); }
};

using Tumbling = WindowSpecOf<WindowKind::Tumbling>;
using Hopping = WindowSpecOf<WindowKind::Hopping>;
using Sessions = WindowSpecOf<WindowKind::Session>;

Value i64(std::int64_t v) {
    return Value{v};
}

/// group by #0 select { n: count(), total: sum(#2) }
struct Fixture {
    explicit Fixture(WindowSpec spec) : store(openMemoryStore(dir.path)) {
        AggConfig config;
        config.groupBy = {0};
        config.aggs = {{AggKind::Count, 0}, {AggKind::Sum, 2}};
        agg.emplace(
            *store, "Svc.Windows", spec, config.specs(), [](const Row& r) { return Row{r[0]}; },
            windowRow);
        REQUIRE(store->load().isOk());
    }
    void add(std::int64_t time, std::int64_t qty = 1) { REQUIRE(tryAdd(time, qty)); }
    bool tryAdd(std::int64_t time, std::int64_t qty) {
        return agg->insert(Row{Value{std::string("k")}, {}, qty}, time, out);
    }
    const Row* row(std::int64_t start) {
        return agg->table().find(Windowed<Row>{Row{Value{std::string("k")}}, start});
    }

    TempDir dir;
    std::unique_ptr<Store> store;
    std::optional<WindowedAggregate<Row, Row>> agg;
    Changes<Windowed<Row>, Row> out;
};

}  // namespace

TEST_CASE("tumbling windows: random out-of-order and late events match a batch recomputation, on "
          "both stores and across restores",
          "[ops]") {
    runDifferential<Tumbling>(7000, kCases);
}

TEST_CASE("hopping windows: random out-of-order and late events match a batch recomputation, on "
          "both stores and across restores",
          "[ops]") {
    runDifferential<Hopping>(8000, kCases);
}

TEST_CASE("session windows: random events, bridging and late ones, match a batch recomputation, "
          "on both stores and across restores",
          "[ops]") {
    runDifferential<Sessions>(9000, kCases);
}

TEST_CASE("windows: 10,000 random cases of each kind", "[ops][slow]") {
    runDifferential<Tumbling>(7'000'000, kSlowCases);
    runDifferential<Hopping>(8'000'000, kSlowCases);
    runDifferential<Sessions>(9'000'000, kSlowCases);
}

TEST_CASE("tumbling window boundaries: an event at a multiple of the size opens the next window; "
          "grace 0 closes a window at its end",
          "[ops]") {
    Fixture f(WindowSpec::tumbling(10, 0));
    f.add(0);
    f.add(9);
    REQUIRE(f.row(0) != nullptr);
    CHECK((*f.row(0))[3] == i64(2));  // count
    f.add(10);                        // [10, 20); the watermark 10 closes [0, 10)
    CHECK((*f.row(0))[3] == i64(2));
    REQUIRE(f.row(10) != nullptr);
    CHECK((*f.row(10))[1] == i64(10));  // window.start
    CHECK((*f.row(10))[2] == i64(20));  // window.end
    f.add(9);                           // late: [0, 10) is closed
    CHECK(f.agg->lateEvents() == 1);
    CHECK((*f.row(0))[3] == i64(2));
    f.add(-1);  // [-10, 0): below the epoch, also closed
    CHECK(f.agg->lateEvents() == 2);
    CHECK(f.row(-10) == nullptr);
    CHECK(f.agg->watermark() == 10);
}

TEST_CASE("grace keeps a window open past its end", "[ops]") {
    Fixture f(WindowSpec::tumbling(10, 5));
    f.add(3);
    f.add(14);  // watermark 9: [0, 10) still open
    f.add(7, 5);
    CHECK((*f.row(0))[3] == i64(2));
    CHECK((*f.row(0))[4] == i64(6));
    f.add(15);  // watermark 10: closed
    f.add(8);
    CHECK(f.agg->lateEvents() == 1);
    CHECK((*f.row(0))[3] == i64(2));
}

TEST_CASE("hopping windows: an event goes to every open window holding it; late only if all closed",
          "[ops]") {
    Fixture f(WindowSpec::hopping(10, 5, 0));
    f.add(12);  // [5, 15) and [10, 20)
    REQUIRE(f.out.size() == 2);
    CHECK(f.out[0].key.start == 5);
    CHECK(f.out[1].key.start == 10);
    f.add(15);  // [10, 20), [15, 25); closes [5, 15)
    f.add(14);  // [5, 15) closed, [10, 20) open: accepted there only
    CHECK(f.agg->lateEvents() == 0);
    CHECK((*f.row(5))[3] == i64(1));
    CHECK((*f.row(10))[3] == i64(3));
    f.add(30);  // closes [10, 20) and [15, 25)
    f.add(19);
    CHECK(f.agg->lateEvents() == 1);
}

TEST_CASE("session windows: a bridging event merges two sessions into one row", "[ops]") {
    Fixture f(WindowSpec::session(10, 20));
    f.add(0);
    f.add(18);
    REQUIRE(f.row(0) != nullptr);
    REQUIRE(f.row(18) != nullptr);
    f.out.clear();
    f.add(9);  // less than 10 from both: [0, 10) + [9, 19) + [18, 28) -> [0, 28)
    REQUIRE(f.out.size() == 2);
    CHECK(f.out[0].isDelete());
    CHECK(f.out[0].key.start == 18);
    CHECK(f.out[1].isUpdate());
    CHECK(f.out[1].key.start == 0);
    CHECK(*f.out[1].after == Row{Value{std::string("k")}, i64(0), i64(28), i64(3), i64(3)});
    CHECK(f.row(18) == nullptr);
    f.out.clear();
    f.add(-5);  // extends the start back: the row moves to the new key
    REQUIRE(f.out.size() == 2);
    CHECK(f.out[0].isDelete());
    CHECK(f.out[0].key.start == 0);
    CHECK(f.out[1].isInsert());
    CHECK(f.out[1].key.start == -5);
    // Events exactly `gap` apart do not share a session.
    f.add(28);
    CHECK(f.row(28) != nullptr);
    CHECK((*f.row(-5))[2] == i64(28));
    CHECK(f.agg->lateEvents() == 0);
}

TEST_CASE("session windows: an event reaching back into a closed session is late", "[ops]") {
    Fixture f(WindowSpec::session(10, 0));
    f.add(0);   // [0, 10)
    f.add(12);  // watermark 12 closes [0, 10); opens [12, 22)
    f.add(5);   // within the gap of the closed session (and of the open one): late
    CHECK(f.agg->lateEvents() == 1);
    CHECK((*f.row(0))[3] == i64(1));
    CHECK((*f.row(12))[3] == i64(1));
    f.add(10);  // touches only the open session [12, 22): merged, start 10
    CHECK(f.agg->lateEvents() == 1);
    CHECK(f.row(12) == nullptr);
    CHECK((*f.row(10))[3] == i64(2));
}

TEST_CASE("advancing time without events closes windows", "[ops]") {
    Fixture f(WindowSpec::tumbling(10, 5));
    f.add(3);
    f.agg->advanceTo(14);  // watermark 9: [0, 10) open
    f.add(4);
    CHECK(f.agg->lateEvents() == 0);
    f.agg->advanceTo(12);  // time never goes back
    CHECK(f.agg->watermark() == 9);
    f.out.clear();
    f.agg->advanceTo(15);  // watermark 10: closed
    CHECK(f.out.empty());
    f.add(5);
    CHECK(f.agg->lateEvents() == 1);
    CHECK((*f.row(0))[3] == i64(2));
}

TEST_CASE("windows: an event whose int sum would overflow in any of its windows changes nothing",
          "[ops]") {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    SECTION("hopping: nothing is half-applied, and event time does not move") {
        Fixture f(WindowSpec::hopping(10, 5, 0));
        f.add(4, kMax - 1);  // [0, 10): kMax - 1
        f.add(6, 1);         // [0, 10): kMax, [5, 15): 1
        f.out.clear();
        CHECK_FALSE(f.tryAdd(9, 1));  // [5, 15) would be 2, [0, 10) would overflow
        CHECK(f.out.empty());
        CHECK((*f.row(0))[4] == i64(kMax));
        CHECK((*f.row(5))[4] == i64(1));
        CHECK((*f.row(5))[3] == i64(1));
        CHECK(f.agg->watermark() == 6);
        f.add(9, -1);  // the same windows take an event that fits
        CHECK((*f.row(0))[4] == i64(kMax - 1));
        CHECK((*f.row(5))[4] == i64(0));
    }
    SECTION("sessions: a merge whose sum would overflow leaves both sessions") {
        Fixture f(WindowSpec::session(10, 100));
        f.add(0, kMax);
        f.add(18, 1);
        f.out.clear();
        CHECK_FALSE(f.tryAdd(9, 0));  // would bridge [0, 10) and [18, 28)
        CHECK(f.out.empty());
        CHECK((*f.row(0))[4] == i64(kMax));
        CHECK((*f.row(18))[4] == i64(1));
        f.add(9, -1);  // kMax + 1 - 1: fits, whatever the order of the merge
        CHECK(f.row(18) == nullptr);
        CHECK((*f.row(0))[4] == i64(kMax));
        CHECK((*f.row(0))[3] == i64(3));
    }
}
