// runtime/tests/ops_join_test.cpp - stream-table, stream-stream and table-table joins:
// random inputs against batch recomputations, memory == RocksDB, restore + replay == an
// uninterrupted run; left joins with none, late events, foreign-key changes.
#include "flow/rt/ops/fold_table.h"
#include "flow/rt/ops/join.h"
#include "ops_harness.h"

#include <catch2/catch.hpp>

using namespace flow::rt;
using namespace flow::rt::ops;
using namespace flow::rt::testing;

namespace {

Value i64(std::int64_t v) {
    return Value{v};
}
Value str(const std::string& s) {
    return Value{s};
}

/// A customer key of two columns (region, name): joins on `a.x == b.x && a.y == b.y`.
Row randomCustomerKey(std::mt19937_64& rng, int names) {
    return Row{pick(rng, 0, 1), smallString(rng, names)};
}

/// Sets (or with none deletes) a row of a fold table: how the tests drive input tables.
template <typename K>
void setRow(FoldTable<K, Row>& table, const K& key, const std::optional<Row>& row,
            Changes<K, Row>& out) {
    table.apply(
        key,
        [&](Row& r) {
            if (!row) {
                return FoldResult::Delete;
            }
            r = *row;
            return FoldResult::Keep;
        },
        out);
}

Row noDefaults(const Row&) {
    return Row{};
}

// ---- Stream-table ---------------------------------------------------------------------

// stream Out = from Orders o [left] join Customers c on c.region == o.region && c.name == o.name
//   select { order_id: o.id, qty: o.qty, tier: c.tier };
struct StreamTableInput {
    bool isEvent = false;
    Row customer;             // key of the table row, or the event's reference
    std::optional<Row> tier;  // table: the new row (none: delete)
    std::string orderId;      // event
    std::int64_t qty = 0;     // event
};

Row combineOrderCustomer(const Row& order, const Row* customer) {
    return Row{order[0], order[3], customer ? (*customer)[0] : Value{}};
}

struct StreamTableSpec {
    using Input = StreamTableInput;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
        JoinKind kind = JoinKind::Inner;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        c.kind = chance(rng, 50) ? JoinKind::Inner : JoinKind::Left;
        int names = static_cast<int>(pick(rng, 1, 4));
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            StreamTableInput in;
            in.customer = randomCustomerKey(rng, names);
            if (chance(rng, 50)) {
                in.isEvent = true;
                in.orderId = "o" + std::to_string(i);
                in.qty = pick(rng, 1, 9);
            } else if (chance(rng, 75)) {
                in.tier = Row{smallString(rng, 3)};
            }
            c.inputs.push_back(in);
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : customers(store, name + "Customers", noDefaults),
              join(
                  c.kind,
                  [](const Row& o) {
                      return Row{o[1], o[2]};
                  },
                  lookupIn(customers.table()), combineOrderCustomer) {}
        void feed(const Input& in, std::vector<Out>& out) {
            if (in.isEvent) {
                Row order{str(in.orderId), in.customer[0], in.customer[1], i64(in.qty)};
                join.onEvent(Row{order[0]}, order, out);
            } else {
                Changes<Row, Row> ignored;
                setRow(customers, in.customer, in.tier, ignored);
            }
        }
        std::string state() { return showMap(contents(customers.table())); }
        FoldTable<Row, Row> customers;
        StreamTableJoin<Row, Row, Row, Row, Row> join;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op&) {
        std::map<Row, Row> customers;
        std::vector<Out> expected;
        for (const StreamTableInput& in : c.inputs) {
            if (!in.isEvent) {
                if (in.tier) {
                    customers[in.customer] = *in.tier;
                } else {
                    customers.erase(in.customer);
                }
                continue;
            }
            auto it = customers.find(in.customer);
            if (it != customers.end()) {
                expected.push_back({Row{str(in.orderId)}, std::nullopt,
                                    Row{str(in.orderId), i64(in.qty), it->second[0]}});
            } else if (c.kind == JoinKind::Left) {
                expected.push_back({Row{str(in.orderId)}, std::nullopt,
                                    Row{str(in.orderId), i64(in.qty), Value{}}});
            }
        }
        if (expected == all) {
            return "";
        }
        return "expected stream:\n" + showOutputs(expected) + "actual stream:\n" + showOutputs(all);
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

// ---- Stream-stream --------------------------------------------------------------------

// stream Paid = from Orders o join Payments p on p.region == o.region && p.name == o.name
//   within W select { order: o.id, payment: p.id, ot: o.time, pt: p.time };
struct StreamStreamInput {
    bool left = true;
    std::string id;
    Row key;
    std::int64_t time = 0;
    bool advanceOnly = false;  // `advance time`: moves event time, no event
};

struct StreamStreamSpec {
    using Input = StreamStreamInput;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
        std::int64_t within = 0;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        c.within = pick(rng, 0, 12);
        int names = static_cast<int>(pick(rng, 1, 3));
        std::int64_t clock = pick(rng, -50, 50);
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            clock += pick(rng, 0, 4);
            // Out of order: often a little behind the clock, sometimes far behind (late).
            std::int64_t time = clock - (chance(rng, 60) ? pick(rng, 0, 8) : pick(rng, 0, 30));
            c.inputs.push_back({chance(rng, 50), (chance(rng, 50) ? "x" : "y") + std::to_string(i),
                                randomCustomerKey(rng, names), time, chance(rng, 4)});
        }
        return c;
    }

    static Row combine(const Row& l, const Row& r) { return Row{l[0], r[0], l[3], r[3]}; }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : join(
                  store, name, c.within,
                  [](const Row& l) {
                      return Row{l[1], l[2]};
                  },
                  [](const Row& r) {
                      return Row{r[1], r[2]};
                  },
                  combine,
                  [](const Row& o) {
                      return Row{o[0], o[1]};
                  }) {}
        void feed(const Input& in, std::vector<Out>& out) {
            Row row{str(in.id), in.key[0], in.key[1], i64(in.time)};
            if (in.advanceOnly) {
                join.advanceTo(in.time);
            } else if (in.left) {
                join.onLeft(row, in.time, out);
            } else {
                join.onRight(row, in.time, out);
            }
        }
        std::string state() {
            return "late " + std::to_string(join.lateEvents()) + ", watermark " +
                   testing::show(join.watermark());
        }
        StreamStreamJoin<Row, Row, Row, Row, Row> join;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        // Late: behind the greatest time seen before, minus the bound. Every pair of
        // events that are not late, within the bound, in the order the second arrives.
        std::vector<const StreamStreamInput*> kept;
        std::optional<std::int64_t> maxTime;
        std::int64_t late = 0;
        std::vector<Out> expected;
        for (const StreamStreamInput& in : c.inputs) {
            if (in.advanceOnly) {
                maxTime = std::max(maxTime.value_or(in.time), in.time);
                continue;
            }
            if (maxTime && in.time < *maxTime - c.within) {
                ++late;
                continue;
            }
            maxTime = std::max(maxTime.value_or(in.time), in.time);
            for (const StreamStreamInput* other : kept) {
                if (other->left != in.left && other->key == in.key &&
                    std::abs(other->time - in.time) <= c.within) {
                    const StreamStreamInput& l = in.left ? in : *other;
                    const StreamStreamInput& r = in.left ? *other : in;
                    Row o{str(l.id), str(r.id), i64(l.time), i64(r.time)};
                    expected.push_back({Row{o[0], o[1]}, std::nullopt, o});
                }
            }
            kept.push_back(&in);
        }
        std::string problem;
        if (expected != all) {
            problem = "expected stream:\n" + showOutputs(expected) + "actual stream:\n" +
                      showOutputs(all);
        }
        if (late != op.join.lateEvents()) {
            problem += "expected " + std::to_string(late) + " late events, counted " +
                       std::to_string(op.join.lateEvents()) + "\n";
        }
        return problem.empty() ? "" : "within " + std::to_string(c.within) + "\n" + problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

// ---- Table-table ----------------------------------------------------------------------

// table OrderView = from Orders o [left] join Customers c
//   on c.region == o.region && c.name == o.name select { order: o.id, qty: o.qty, tier: c.tier };
struct TableTableInput {
    bool left = true;
    Row key;                 // left: {order id}; right: {region, name}
    std::optional<Row> row;  // none: delete. Left: {region, name, qty}; right: {tier}
};

Row combineView(const Row& orderId, const Row& order, const Row* customer) {
    return Row{orderId[0], order[2], customer ? (*customer)[0] : Value{}};
}

struct TableTableSpec {
    using Input = TableTableInput;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
        JoinKind kind = JoinKind::Inner;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        c.kind = chance(rng, 50) ? JoinKind::Inner : JoinKind::Left;
        int names = static_cast<int>(pick(rng, 1, 3));
        int orders = static_cast<int>(pick(rng, 1, 8));
        std::map<Row, Row> current;
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            TableTableInput in;
            in.left = chance(rng, 50);
            if (in.left) {
                in.key = Row{"o" + std::to_string(pick(rng, 1, orders))};
                if (!chance(rng, 20)) {
                    auto it = current.find(in.key);
                    Row customer = randomCustomerKey(rng, names);
                    if (it != current.end() && chance(rng, 50)) {
                        // Keep the customer and change the quantity, or change the customer (FK).
                        in.row = it->second;
                        if (chance(rng, 50)) {
                            (*in.row)[2] = pick(rng, 1, 9);
                        } else {
                            (*in.row)[0] = customer[0];
                            (*in.row)[1] = customer[1];
                        }
                    } else {
                        in.row = Row{customer[0], customer[1], pick(rng, 1, 9)};
                    }
                    current[in.key] = *in.row;
                } else {
                    current.erase(in.key);
                }
            } else {
                in.key = randomCustomerKey(rng, names);
                if (!chance(rng, 25)) {
                    in.row = Row{smallString(rng, 3)};
                }
            }
            c.inputs.push_back(in);
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : orders(store, name + "Orders", noDefaults),
              customers(store, name + "Customers", noDefaults), join(
                                                                    store, name, c.kind,
                                                                    [](const Row& o) {
                                                                        return Row{o[0], o[1]};
                                                                    },
                                                                    combineView),
              quiet(
                  store, name + "Quiet", c.kind,
                  [](const Row& o) {
                      return Row{o[0], o[1]};
                  },
                  combineView) {}
        void feed(const Input& in, std::vector<Out>& out) {
            Changes<Row, Row> changes, none;
            setRow(in.left ? orders : customers, in.key, in.row, changes);
            for (const auto& change : changes) {
                if (in.left) {
                    join.onLeft(change, out);
                    quiet.onLeft(change, none, false);
                } else {
                    join.onRight(change, out);
                    quiet.onRight(change, none, false);
                }
            }
            REQUIRE(none.empty());
        }
        std::string state() { return showMap(contents(join.table())); }
        FoldTable<Row, Row> orders;
        FoldTable<Row, Row> customers;
        TableTableJoin<Row, Row, Row, Row, Row> join;
        // The same join for a view nobody reads the changes of: it must store the same rows.
        TableTableJoin<Row, Row, Row, Row, Row> quiet;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        std::map<Row, Row> orders, customers, batch, applied;
        for (const TableTableInput& in : c.inputs) {
            auto& table = in.left ? orders : customers;
            if (in.row) {
                table[in.key] = *in.row;
            } else {
                table.erase(in.key);
            }
        }
        for (const auto& [id, order] : orders) {
            auto it = customers.find(Row{order[0], order[1]});
            if (it != customers.end()) {
                batch[id] = Row{id[0], order[2], it->second[0]};
            } else if (c.kind == JoinKind::Left) {
                batch[id] = Row{id[0], order[2], Value{}};
            }
        }
        std::string problem = applyChanges(applied, all);
        if (problem.empty()) {
            problem = compareMaps(batch, applied);
        }
        if (problem.empty()) {
            problem = compareMaps(batch, contents(op.join.table()));
        }
        if (problem.empty()) {
            problem = compareMaps(batch, contents(op.quiet.table()));
        }
        return problem.empty()
                   ? ""
                   : std::string(c.kind == JoinKind::Left ? "left" : "inner") + " join\n" + problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

}  // namespace

TEST_CASE("stream-table join: random events and table changes match a batch lookup, on both "
          "stores and across restores",
          "[ops]") {
    runDifferential<StreamTableSpec>(4000, kCases);
}

TEST_CASE("stream-table join: 10,000 random cases", "[ops][slow]") {
    runDifferential<StreamTableSpec>(4'000'000, kSlowCases);
}

TEST_CASE("stream-stream join: random out-of-order events match a batch pairing, on both stores "
          "and across restores",
          "[ops]") {
    runDifferential<StreamStreamSpec>(5000, kCases);
}

TEST_CASE("stream-stream join: 10,000 random cases", "[ops][slow]") {
    runDifferential<StreamStreamSpec>(5'000'000, kSlowCases);
}

TEST_CASE("table-table join: random changes on both sides, including foreign-key changes, match a "
          "batch join, on both stores and across restores",
          "[ops]") {
    runDifferential<TableTableSpec>(6000, kCases);
}

TEST_CASE("table-table join: 10,000 random cases", "[ops][slow]") {
    runDifferential<TableTableSpec>(6'000'000, kSlowCases);
}

TEST_CASE("stream-table left join gives none for a missing right row; inner join drops the event",
          "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    FoldTable<Row, Row> customers(*store, "Svc.Customers", noDefaults);
    auto lookupKey = [](const Row& o) {
        return Row{o[1], o[2]};
    };
    StreamTableJoin<Row, Row, Row, Row, Row> left(
        JoinKind::Left, lookupKey, lookupIn(customers.table()), combineOrderCustomer);
    StreamTableJoin<Row, Row, Row, Row, Row> inner(
        JoinKind::Inner, lookupKey, lookupIn(customers.table()), combineOrderCustomer);
    REQUIRE(store->load().isOk());
    Row order{str("o1"), i64(0), str("ann"), i64(3)};
    Changes<Row, Row> l, i, ignored;
    left.onEvent(Row{order[0]}, order, l);
    inner.onEvent(Row{order[0]}, order, i);
    REQUIRE(l.size() == 1);
    CHECK(*l[0].after == Row{str("o1"), i64(3), Value{}});
    CHECK(i.empty());
    setRow(customers, Row{i64(0), str("ann")}, Row{str("gold")}, ignored);
    left.onEvent(Row{order[0]}, order, l);
    inner.onEvent(Row{order[0]}, order, i);
    REQUIRE(l.size() == 2);
    CHECK(*l[1].after == Row{str("o1"), i64(3), str("gold")});
    REQUIRE(i.size() == 1);
    CHECK(*i[0].after == Row{str("o1"), i64(3), str("gold")});
}

TEST_CASE("table-table join: a right row change updates every referencing left row, in order; its "
          "deletion retracts (inner) or joins with none (left)",
          "[ops]") {
    for (JoinKind kind : {JoinKind::Inner, JoinKind::Left}) {
        TempDir d;
        auto store = openMemoryStore(d.path);
        TableTableJoin<Row, Row, Row, Row, Row> join(
            *store, "Svc.View", kind,
            [](const Row& o) {
                return Row{o[0], o[1]};
            },
            combineView);
        REQUIRE(store->load().isOk());
        Row ann{i64(0), str("ann")};
        Changes<Row, Row> out;
        for (const char* id : {"o3", "o1", "o2"}) {
            join.onLeft({Row{str(id)}, std::nullopt, Row{ann[0], ann[1], i64(1)}}, out);
        }
        CHECK(out.size() == (kind == JoinKind::Left ? 3u : 0u));
        out.clear();
        join.onRight({ann, std::nullopt, Row{str("gold")}}, out);
        REQUIRE(out.size() == 3);
        CHECK(out[0].key == Row{str("o3")});  // in the order the rows came to reference ann
        CHECK(out[1].key == Row{str("o1")});
        CHECK(out[2].key == Row{str("o2")});
        CHECK(*out[2].after == Row{str("o2"), i64(1), str("gold")});
        out.clear();
        join.onRight({ann, Row{str("gold")}, std::nullopt}, out);
        REQUIRE(out.size() == 3);
        for (const auto& c : out) {
            if (kind == JoinKind::Inner) {
                CHECK(c.isDelete());
            } else {
                CHECK(*c.after == Row{c.key[0], i64(1), Value{}});
            }
        }
        CHECK(join.table().size() == (kind == JoinKind::Left ? 3u : 0u));
    }
}

TEST_CASE("stream-stream join: the bound is inclusive, late events are counted and dropped",
          "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    auto key = [](const Row& r) {
        return Row{r[1]};
    };
    StreamStreamJoin<Row, Row, Row, Row, Row> join(*store, "Svc.Paid", 10, key, key,
                                                   StreamStreamSpec::combine, [](const Row& o) {
                                                       return Row{o[0], o[1]};
                                                   });
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;
    auto ev = [](const char* id, std::int64_t t) {
        return Row{str(id), str("k"), Value{}, i64(t)};
    };
    join.onLeft(ev("o1", 100), 100, out);
    join.onRight(ev("p1", 110), 110, out);  // exactly `within` apart: joined
    join.onRight(ev("p2", 89), 89, out);    // behind the watermark 110 - 10: late
    REQUIRE(out.size() == 1);
    CHECK(*out[0].after == Row{str("o1"), str("p1"), i64(100), i64(110)});
    CHECK(join.watermark() == 100);
    CHECK(join.lateEvents() == 1);
    join.onLeft(ev("o2", 99), 99, out);  // behind the watermark 100: late
    CHECK(join.lateEvents() == 2);
    join.onLeft(ev("o3", 100), 100, out);  // at the watermark: joins p1
    REQUIRE(out.size() == 2);
    CHECK(out[1].key == Row{str("o3"), str("p1")});
}
