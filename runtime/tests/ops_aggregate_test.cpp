// runtime/tests/ops_aggregate_test.cpp - group-by aggregates over streams and over table
// changes (retraction): random inputs against a batch recomputation, memory == RocksDB,
// restore + replay == an uninterrupted run; edge cases; views stacked on views.
#include "flow/rt/ops/aggregate.h"
#include "flow/rt/ops/fold_table.h"
#include "ops_batch_aggregates.h"
#include "ops_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

using namespace flow::rt;
using namespace flow::rt::ops;
using namespace flow::rt::testing;

namespace {

// ---- Over a stream --------------------------------------------------------------------

struct StreamAggSpec {
    using Input = Row;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
        AggConfig config;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        c.config = AggConfig::random(rng);
        int customers = static_cast<int>(pick(rng, 1, 5));
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            c.inputs.push_back(randomOrder(rng, customers));
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : agg(
                  store, name, c.config.specs(),
                  [config = c.config](const Row& r) { return config.key(r); }, keyThenAggregates) {}
        void feed(const Input& in, std::vector<Out>& out) { REQUIRE(agg.insert(in, out)); }
        std::string state() { return showMap(contents(agg.table())); }
        StreamAggregate<Row, Row> agg;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        std::map<Row, std::vector<Row>> groups;
        for (const Row& r : c.inputs) {
            groups[c.config.key(r)].push_back(r);
        }
        std::map<Row, Row> batch, applied;
        for (const auto& [key, rows] : groups) {
            batch[key] = batchAggregates(c.config, key, rows);
        }
        std::string problem = applyChanges(applied, all);
        if (problem.empty()) {
            problem = compareMaps(batch, applied);
        }
        if (problem.empty()) {
            problem = compareMaps(batch, contents(op.agg.table()));
        }
        return problem.empty() ? problem : showConfig(c.config) + problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

// ---- Over a table ---------------------------------------------------------------------

/// A change to the input table Orders (key: order id): set a row, or delete it.
struct TableInput {
    std::string orderId;
    std::optional<Row> row;  // none: delete
};

/// The input table is a fold table upstream of the aggregate: the aggregate sees exactly
/// the changes a real view would, and both are checkpointed and restored together.
struct TableAggSpec {
    using Input = TableInput;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
        AggConfig config;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        c.config = AggConfig::random(rng);
        int customers = static_cast<int>(pick(rng, 1, 4));
        int orders = static_cast<int>(pick(rng, 1, 8));
        std::map<std::string, Row> current;
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            TableInput in{"o" + std::to_string(pick(rng, 1, orders)), std::nullopt};
            if (!chance(rng, 25)) {
                auto it = current.find(in.orderId);
                if (it != current.end() && chance(rng, 50)) {
                    // Update one field: often the group key moves or an extreme retracts.
                    Row r = it->second;
                    Row fresh = randomOrder(rng, customers);
                    auto col = pick(rng, 0, 4);
                    r[col] = fresh[col];
                    in.row = r;
                } else {
                    in.row = randomOrder(rng, customers);
                }
                current[in.orderId] = *in.row;
            } else {
                current.erase(in.orderId);
            }
            c.inputs.push_back(in);
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case& c)
            : orders(store, name + "Input", [](const Row&) { return Row{}; }),
              agg(
                  store, name, c.config.specs(),
                  [config = c.config](const Row& r) { return config.key(r); }, keyThenAggregates) {}
        void feed(const Input& in, std::vector<Out>& out) {
            Changes<Row, Row> changes;
            orders.apply(
                Row{in.orderId},
                [&](Row& row) {
                    if (!in.row) {
                        return FoldResult::Delete;
                    }
                    row = *in.row;
                    return FoldResult::Keep;
                },
                changes);
            for (const auto& change : changes) {
                REQUIRE(agg.apply(change, out));
            }
        }
        std::string state() { return showMap(contents(agg.table())); }
        FoldTable<Row, Row> orders;
        TableAggregate<Row, Row, Row> agg;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        // The final input table; a row's position is when it was last inserted or changed.
        std::map<std::string, std::pair<std::int64_t, Row>> table;
        std::int64_t clock = 0;
        for (const TableInput& in : c.inputs) {
            auto it = table.find(in.orderId);
            if (!in.row) {
                if (it != table.end()) {
                    table.erase(it);
                }
            } else if (it == table.end() || it->second.second != *in.row) {
                table[in.orderId] = {clock++, *in.row};
            }
        }
        std::vector<std::pair<std::int64_t, Row>> ordered;
        for (const auto& [id, entry] : table) {
            ordered.push_back(entry);
        }
        std::sort(ordered.begin(), ordered.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        std::map<Row, std::vector<Row>> groups;
        for (const auto& [pos, row] : ordered) {
            groups[c.config.key(row)].push_back(row);
        }
        std::map<Row, Row> batch, applied;
        for (const auto& [key, rows] : groups) {
            batch[key] = batchAggregates(c.config, key, rows);
        }
        std::string problem = applyChanges(applied, all);
        if (problem.empty()) {
            problem = compareMaps(batch, applied);
        }
        if (problem.empty()) {
            problem = compareMaps(batch, contents(op.agg.table()));
        }
        return problem.empty() ? problem : showConfig(c.config) + problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

Value i64(std::int64_t v) {
    return Value{v};
}
Value str(const char* s) {
    return Value{std::string(s)};
}

}  // namespace

TEST_CASE(
    "stream aggregates: random events match a batch group-by, on both stores and across restores",
    "[ops]") {
    runDifferential<StreamAggSpec>(2000, kCases);
}

TEST_CASE("stream aggregates: 10,000 random cases", "[ops][slow]") {
    runDifferential<StreamAggSpec>(2'000'000, kSlowCases);
}

TEST_CASE("table aggregates: random inserts, updates and deletes match a batch group-by, with "
          "retraction, on both stores and across restores",
          "[ops]") {
    runDifferential<TableAggSpec>(3000, kCases);
}

TEST_CASE("table aggregates: 10,000 random cases", "[ops][slow]") {
    runDifferential<TableAggSpec>(3'000'000, kSlowCases);
}

TEST_CASE("table aggregates: retracting the current extreme, emptied groups, first/last order",
          "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    // group by region select { region, n: count(), lo: min(qty), hi: max(qty), f: first(qty),
    //   l: last(qty), s: sum(qty), a: avg(qty) }
    std::vector<AggSpec<Row>> specs;
    for (AggKind k : {AggKind::Count, AggKind::Min, AggKind::Max, AggKind::First, AggKind::Last,
                      AggKind::Sum, AggKind::Avg}) {
        specs.push_back({k, [](const Row& r) {
                             return r[1];
                         }});
    }
    TableAggregate<Row, Row, Row> agg(
        *store, "Svc.ByRegion", specs, [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;
    auto insert = [&](const char* id, std::int64_t region, std::int64_t qty) {
        REQUIRE(agg.apply({Row{str(id)}, std::nullopt, Row{i64(region), i64(qty)}}, out));
    };
    auto erase = [&](const char* id, std::int64_t region, std::int64_t qty) {
        REQUIRE(agg.apply({Row{str(id)}, Row{i64(region), i64(qty)}, std::nullopt}, out));
    };
    insert("a", 1, 5);
    insert("b", 1, 9);
    insert("c", 1, 9);
    insert("d", 1, 2);
    out.clear();
    erase("b", 1, 9);  // one of two 9s: the max stays
    REQUIRE(out.size() == 1);
    CHECK(*out[0].after ==
          Row{i64(1), i64(3), i64(2), i64(9), i64(5), i64(2), i64(16), Value{16.0 / 3}});
    out.clear();
    erase("c", 1, 9);  // the last 9: the max retracts to 5
    erase("d", 1, 2);  // the min and the last row retract
    REQUIRE(out.size() == 2);
    CHECK(*out[1].after == Row{i64(1), i64(1), i64(5), i64(5), i64(5), i64(5), i64(5), Value{5.0}});
    out.clear();
    // Moving the last row to another group deletes this one and inserts the other.
    REQUIRE(agg.apply({Row{str("a")}, Row{i64(1), i64(5)}, Row{i64(2), i64(7)}}, out));
    REQUIRE(out.size() == 2);
    CHECK(out[0].isDelete());
    CHECK(out[0].key == Row{i64(1)});
    CHECK(out[1].isInsert());
    CHECK(*out[1].after == Row{i64(2), i64(1), i64(7), i64(7), i64(7), i64(7), i64(7), Value{7.0}});
    CHECK(agg.table().size() == 1);
    out.clear();
    erase("a", 2, 7);
    REQUIRE(out.size() == 1);
    CHECK(out[0].isDelete());
    CHECK(agg.table().size() == 0);  // an empty group has no row
}

TEST_CASE("aggregates: none arguments are skipped by sum, min, max and avg, kept by first/last",
          "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    std::vector<AggSpec<Row>> specs;
    for (AggKind k : {AggKind::Count, AggKind::Sum, AggKind::Min, AggKind::Avg, AggKind::First,
                      AggKind::Last}) {
        specs.push_back({k, [](const Row& r) {
                             return r[1];
                         }});
    }
    StreamAggregate<Row, Row> agg(
        *store, "Svc.Prices", specs, [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;
    REQUIRE(agg.insert(Row{str("k"), Value{}}, out));
    REQUIRE(out.size() == 1);
    CHECK(*out[0].after == Row{str("k"), i64(1), Value{}, Value{}, Value{}, Value{}, Value{}});
    REQUIRE(agg.insert(Row{str("k"), Value{1.5}}, out));
    REQUIRE(agg.insert(Row{str("k"), Value{}}, out));
    REQUIRE(out.size() == 3);
    CHECK(*out[2].after ==
          Row{str("k"), i64(3), Value{1.5}, Value{1.5}, Value{1.5}, Value{}, Value{}});
}

TEST_CASE("views stack: an aggregate over an aggregate's changes", "[ops]") {
    // table PerCustomer = from Orders o group by o.customer select { customer, n: count() };
    // table BySize = from PerCustomer p group by p.n select { n: p.n, customers: count() };
    for (const char* kind : {"memory", "rocksdb"}) {
        TempDir d;
        auto store = openStoreOfKind(kind, d.path);
        StreamAggregate<Row, Row> perCustomer(
            *store, "Svc.PerCustomer", {{AggKind::Count, {}}},
            [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
        TableAggregate<Row, Row, Row> bySize(
            *store, "Svc.BySize", {{AggKind::Count, {}}}, [](const Row& r) { return Row{r[1]}; },
            keyThenAggregates);
        REQUIRE(store->load().isOk());
        std::mt19937_64 rng(7);
        std::map<Row, Row> model;
        std::map<std::string, std::int64_t> counts;
        for (int i = 0; i < 500; ++i) {
            std::string customer = smallString(rng, 12);
            ++counts[customer];
            Changes<Row, Row> mid, top;
            REQUIRE(perCustomer.insert(Row{Value{customer}}, mid));
            for (const auto& c : mid) {
                REQUIRE(bySize.apply(c, top));
            }
            REQUIRE(applyChanges(model, top).empty());
            if (i % 50 == 0) {
                REQUIRE(store->checkpoint("").isOk());
            }
        }
        std::map<Row, Row> expected;
        std::map<std::int64_t, std::int64_t> sizes;
        for (const auto& [c, n] : counts) {
            ++sizes[n];
        }
        for (const auto& [n, customers] : sizes) {
            expected[Row{i64(n)}] = Row{i64(n), i64(customers)};
        }
        CHECK(model == expected);
    }
}

TEST_CASE("aggregates: a change whose int sum would overflow is refused and changes nothing",
          "[ops]") {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    TempDir d;
    auto store = openMemoryStore(d.path);
    auto arg = [](const Row& r) {
        return r[1];
    };
    std::vector<AggSpec<Row>> specs{{AggKind::Count, {}}, {AggKind::Sum, arg}, {AggKind::Avg, arg}};
    StreamAggregate<Row, Row> stream(
        *store, "Svc.Stream", specs, [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
    TableAggregate<Row, Row, Row> table(
        *store, "Svc.Table", specs, [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;

    SECTION("over a stream") {
        REQUIRE(stream.insert(Row{str("g"), i64(kMax)}, out));
        out.clear();
        CHECK_FALSE(stream.insert(Row{str("g"), i64(1)}, out));
        CHECK(out.empty());
        CHECK(*stream.table().find(Row{str("g")}) ==
              Row{str("g"), i64(1), i64(kMax), Value{static_cast<double>(kMax)}});
        REQUIRE(stream.insert(Row{str("g"), i64(kMin)}, out));  // back in range
        CHECK(*stream.table().find(Row{str("g")}) == Row{str("g"), i64(2), i64(-1), Value{-0.5}});
        CHECK_FALSE(stream.insert(Row{str("g"), i64(kMin)}, out));
        CHECK(stream.insert(Row{str("other"), i64(kMin)}, out));  // groups are separate
    }
    SECTION("over a table: adding, retracting, updating within a group and across groups") {
        auto change = [](const char* id, std::optional<Row> before, std::optional<Row> after) {
            return Change<Row, Row>{Row{str(id)}, std::move(before), std::move(after)};
        };
        REQUIRE(table.apply(change("a", std::nullopt, Row{str("g"), i64(kMax)}), out));
        REQUIRE(table.apply(change("b", std::nullopt, Row{str("g"), i64(-1)}), out));
        REQUIRE(table.apply(change("c", std::nullopt, Row{str("g"), i64(1)}), out));
        Row full{str("g"), i64(3), i64(kMax), Value{static_cast<double>(kMax) / 3}};
        CHECK(*table.table().find(Row{str("g")}) == full);
        out.clear();
        // Deleting b leaves kMax + 1.
        CHECK_FALSE(table.apply(change("b", Row{str("g"), i64(-1)}, std::nullopt), out));
        // Moving b to another group retracts it here: the same overflow.
        CHECK_FALSE(table.apply(change("b", Row{str("g"), i64(-1)}, Row{str("h"), i64(-1)}), out));
        CHECK(out.empty());
        CHECK(*table.table().find(Row{str("g")}) == full);
        CHECK(table.table().find(Row{str("h")}) == nullptr);
        // Within the group, -1 -> -2 ends in range although retracting first would not be.
        REQUIRE(table.apply(change("b", Row{str("g"), i64(-1)}, Row{str("g"), i64(-2)}), out));
        CHECK(*table.table().find(Row{str("g")}) ==
              Row{str("g"), i64(3), i64(kMax - 1), Value{static_cast<double>(kMax - 1) / 3}});
        // An insert into a group whose sum would overflow.
        CHECK_FALSE(table.apply(change("e", std::nullopt, Row{str("g"), i64(2)}), out));
        CHECK(*table.table().find(Row{str("g")}) ==
              Row{str("g"), i64(3), i64(kMax - 1), Value{static_cast<double>(kMax - 1) / 3}});
    }
}

TEST_CASE("projected aggregates: counts and int sums read without Values (AggSpec::intArg) "
          "match the general path, overflows, nones and rollbacks included",
          "[ops]") {
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    auto arg = [](const Row& r) {
        return r[1];
    };
    auto intArg = [](const Row& r, std::int32_t field, std::int64_t& out) {
        const Value& v = r[static_cast<std::size_t>(field)];
        if (isNone(v)) {
            return false;
        }
        out = std::get<std::int64_t>(v);
        return true;
    };
    std::vector<AggSpec<Row>> plain{{AggKind::Count, {}}, {AggKind::Sum, arg}, {AggKind::Avg, arg}};
    std::vector<AggSpec<Row>> ints = plain;
    for (std::size_t i = 1; i < ints.size(); ++i) {
        ints[i].intArg = intArg;
        ints[i].intField = 1;
    }
    CHECK(AggregateSet<Row>(ints).ints());
    CHECK_FALSE(AggregateSet<Row>(plain).ints());
    std::vector<AggSpec<Row>> withMin = ints;
    withMin.push_back({AggKind::Min, arg});
    CHECK_FALSE(AggregateSet<Row>(withMin).ints());

    auto key = [](const Row& r) {
        return Row{r[0]};
    };
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        TempDir d;
        auto store = openMemoryStore(d.path);
        ProjectedAggregate<Row, Row> general(*store, "Svc.General", plain, key, keyThenAggregates);
        ProjectedAggregate<Row, Row> fast(*store, "Svc.Fast", ints, key, keyThenAggregates);
        // `read` takes the arguments already read (insertIntsWith, as the engine reads
        // them in an event), and finds its groups by a key in another form.
        ProjectedAggregate<Row, Row> read(*store, "Svc.Read", ints, key, keyThenAggregates);
        REQUIRE(store->load().isOk());
        REQUIRE(read.inMemory());
        int refused = 0;
        for (int i = 0; i < 400; ++i) {
            const char* groups[] = {"a", "b", "c"};
            Value v;
            switch (pick(rng, 0, 4)) {
            case 0:
                break;  // none
            case 1:
                v = i64(kMax - static_cast<std::int64_t>(pick(rng, 0, 3)));
                break;
            case 2:
                v = i64(kMin + static_cast<std::int64_t>(pick(rng, 0, 3)));
                break;
            default:
                v = i64(static_cast<std::int64_t>(pick(rng, 0, 20)) - 10);
            }
            Row in{str(groups[pick(rng, 0, 2)]), v};
            store->beginUndo();
            Changes<Row, Row> a, b;
            const bool want = general.insert(in, key(in), a, false);
            CHECK(fast.insert(in, key(in), b, false) == want);
            const Row k = key(in);
            int made = 0;
            CHECK(read.insertIntsWith(
                      read.prefetch(k), [&](const Row& held) { return held == k; },
                      [&]() -> const Row& {
                          ++made;
                          return k;
                      },
                      [&](std::size_t agg, std::int64_t& out) {
                          CHECK(agg > 0);  // not asked for the count
                          return intArg(in, 1, out);
                      }) == want);
            CHECK(made <= 1);
            refused += want ? 0 : 1;
            chance(rng, 10) ? store->rollback() : store->keep();
            for (const char* g : groups) {
                const Row* x = general.find(Row{str(g)});
                const Row* y = fast.find(Row{str(g)});
                const Row* z = read.find(Row{str(g)});
                REQUIRE((x == nullptr) == (y == nullptr));
                REQUIRE((x == nullptr) == (z == nullptr));
                if (x != nullptr) {
                    CHECK(*x == *y);
                    CHECK(*x == *z);
                }
            }
        }
        CHECK(refused > 0);  // the overflows were reached
    }
}

TEST_CASE("projected aggregates: the rows and changes of a stored view, through rollbacks, "
          "checkpoints and restores",
          "[ops]") {
    // ProjectedAggregate keeps only the accumulators and projects a row when it is read;
    // StreamAggregate, the model, stores its rows.
    for (const char* kind : {"memory", "rocksdb"}) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            CAPTURE(kind, seed);
            std::mt19937_64 rng(seed);
            AggConfig config = AggConfig::random(rng);
            CAPTURE(showConfig(config));
            TempDir d;
            auto key = [config](const Row& r) {
                return config.key(r);
            };
            // `probed` finds its groups by a key in another form (insertWith), in memory.
            std::unique_ptr<ProjectedAggregate<Row, Row>> probed;
            auto open = [&](std::unique_ptr<Store>& store,
                            std::unique_ptr<StreamAggregate<Row, Row>>& stored,
                            std::unique_ptr<ProjectedAggregate<Row, Row>>& projected) {
                probed.reset();
                projected.reset();
                stored.reset();
                store.reset();
                store = openStoreOfKind(kind, d.path);
                stored = std::make_unique<StreamAggregate<Row, Row>>(
                    *store, "Svc.Stored", config.specs(), key, keyThenAggregates);
                projected = std::make_unique<ProjectedAggregate<Row, Row>>(
                    *store, "Svc.Projected", config.specs(), key, keyThenAggregates);
                probed = std::make_unique<ProjectedAggregate<Row, Row>>(
                    *store, "Svc.Probed", config.specs(), key, keyThenAggregates);
                REQUIRE(store->load().isOk());
                CHECK(probed->inMemory() == (std::string(kind) == "memory"));
            };
            std::unique_ptr<Store> store;
            std::unique_ptr<StreamAggregate<Row, Row>> stored;
            std::unique_ptr<ProjectedAggregate<Row, Row>> projected;
            open(store, stored, projected);
            int customers = static_cast<int>(pick(rng, 1, 6));
            for (int i = 0; i < 300; ++i) {
                Row in = randomOrder(rng, customers);
                bool fail = chance(rng, 15);  // the event fails later on: rolled back
                Changes<Row, Row> want, got;
                store->beginUndo();
                const bool isNew = stored->table().find(key(in)) == nullptr;
                REQUIRE(stored->insert(in, want));
                REQUIRE(projected->insert(in, got));
                CHECK(got == want);
                if (probed->inMemory()) {
                    Changes<Row, Row> viaProbe;
                    const Row k = key(in);
                    int makes = 0;
                    REQUIRE(probed->insertWith(
                        in, probed->prefetch(k), [&](const Row& held) { return held == k; },
                        [&]() -> const Row& {
                            ++makes;
                            return k;
                        },
                        viaProbe, true));
                    CHECK(viaProbe == want);
                    CHECK(makes == (isNew ? 1 : 0));
                } else {
                    Changes<Row, Row> viaInsert;
                    REQUIRE(probed->insert(in, viaInsert));
                }
                // Read in the middle of the event: the rollback must not leave it stale.
                const Row* mid = projected->find(key(in));
                REQUIRE(mid != nullptr);
                CHECK(*mid == *stored->table().find(key(in)));
                fail ? store->rollback() : store->keep();
                const Row* after = projected->find(key(in));
                const Row* model = stored->table().find(key(in));
                REQUIRE((after == nullptr) == (model == nullptr));
                if (model != nullptr) {
                    CHECK(*after == *model);
                }
                const Row* afterProbed = probed->find(key(in));
                REQUIRE((afterProbed == nullptr) == (model == nullptr));
                if (model != nullptr) {
                    CHECK(*afterProbed == *model);
                }
                if (i % 60 == 59) {
                    REQUIRE(store->checkpoint("").isOk());
                    if (chance(rng, 50)) {
                        open(store, stored, projected);  // restore what the checkpoint holds
                    }
                }
            }
            std::map<Row, Row> rows;
            projected->forEach([&](const Row& k, const Row& r) { rows.emplace(k, r); });
            CHECK(rows == contents(stored->table()));
            CHECK(projected->size() == stored->table().size());
            std::map<Row, Row> probedRows;
            probed->forEach([&](const Row& k, const Row& r) { probedRows.emplace(k, r); });
            CHECK(probedRows == rows);
        }
    }
}

TEST_CASE("projected aggregates: a row read stays valid while others are read, and follows "
          "its group",
          "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    auto arg = [](const Row& r) {
        return r[1];
    };
    ProjectedAggregate<Row, Row> agg(
        *store, "Svc.Totals", {{AggKind::Count, {}}, {AggKind::Sum, arg}},
        [](const Row& r) { return Row{r[0]}; }, keyThenAggregates);
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;
    CHECK(agg.find(Row{str("a")}) == nullptr);
    REQUIRE(agg.insert(Row{str("a"), i64(5)}, out, false));
    REQUIRE(agg.insert(Row{str("b"), i64(7)}, out, false));
    CHECK(out.empty());  // nobody reads the changes
    const Row* a = agg.find(Row{str("a")});
    const Row* b = agg.find(Row{str("b")});
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    CHECK(agg.find(Row{str("a")}) == a);  // unchanged: not projected again
    CHECK(*a == Row{str("a"), i64(1), i64(5)});
    CHECK(*b == Row{str("b"), i64(1), i64(7)});
    REQUIRE(agg.insert(Row{str("a"), i64(10)}, out));
    REQUIRE(out.size() == 1);
    CHECK(*out[0].before == Row{str("a"), i64(1), i64(5)});
    CHECK(*out[0].after == Row{str("a"), i64(2), i64(15)});
    CHECK(*agg.find(Row{str("a")}) == Row{str("a"), i64(2), i64(15)});
    CHECK(*b == Row{str("b"), i64(1), i64(7)});
    // An overflowing sum is refused with nothing changed, as in StreamAggregate.
    CHECK_FALSE(agg.insert(Row{str("a"), i64(std::numeric_limits<std::int64_t>::max())}, out));
    CHECK(*agg.find(Row{str("a")}) == Row{str("a"), i64(2), i64(15)});
}

TEST_CASE("accumulator values: every kind held in 16 bytes, strings deep-copied, the state "
          "format that of a Value",
          "[ops]") {
    const std::vector<Value> values{
        Value{}, Value{true}, i64(-7), Value{2.5}, str("a long string, longer than any SSO"),
        str("")};
    for (const Value& v : values) {
        AccValue a;
        a = v;
        CHECK(a.get() == v);
        AccValue copy(a);
        CHECK(copy == a);
        CHECK(copy.get() == v);
        AccValue moved(std::move(copy));
        CHECK(moved.get() == v);
        CHECK(copy.get() == Value{});  // NOLINT(bugprone-use-after-move): moved-from is none
        // Over every other kind: the old string (if any) goes, the new one is held.
        for (const Value& w : values) {
            AccValue b;
            b = v;
            b = w;
            CHECK(b.get() == w);
            AccValue c;
            c = w;
            b = c;
            CHECK(b == c);
            CHECK((b == a) == (w == v));
        }
        // An accumulator's state bytes are its Value's: stores written before stay readable.
        AggAcc acc;
        acc.value = v;
        acc.n = 3;
        acc.value.setSeq(9);
        std::string got, want;
        StateCodec<AggAcc>::put(got, acc);
        StateCodec<Value>::put(want, v);
        StateCodec<std::int64_t>::put(want, 3);
        StateCodec<std::int64_t>::put(want, 9);
        StateCodec<CountedList>::put(want, {});
        CHECK(got == want);
        Reader r(got);
        AggAcc back;
        REQUIRE(StateCodec<AggAcc>::get(r, back));
        CHECK(back == acc);
    }
    // A copy does not share its string: changing one leaves the other.
    AccValue s;
    s = str("first");
    AccValue t(s);
    s = str("second");
    CHECK(t.get() == str("first"));
    CHECK(s.get() == str("second"));
}

TEST_CASE("accumulator values: the side (an arrival number or counted values) beside every "
          "kind of value, copied, moved, replaced, and read back from the state format",
          "[ops]") {
    const std::vector<Value> values{Value{}, Value{true}, i64(-7), Value{2.5},
                                    str("a long string, longer than any SSO")};
    const CountedList list{{i64(1), 2}, {i64(5), 1}};
    for (const Value& v : values) {
        for (std::int64_t seq : {std::int64_t{1}, std::int64_t{-1}, AccValue::kMaxSeq,
                                 AccValue::kMinSeq, std::int64_t{123456789}}) {
            CAPTURE(seq);
            AccValue a;
            a = v;
            a.setSeq(seq);
            CHECK(a.seq() == seq);
            CHECK(a.get() == v);
            CHECK(a.counted().empty());
            a = Value{i64(3)};  // a value set keeps the side
            CHECK(a.seq() == seq);
            a = v;
            AccValue copy(a);
            CHECK(copy.seq() == seq);
            CHECK(copy.get() == v);
            AccValue b;
            b = copy;  // an accumulator assigned takes the side too
            CHECK(b.seq() == seq);
            CHECK(b.get() == v);
            AccValue moved(std::move(copy));
            CHECK(moved.seq() == seq);
            CHECK(copy.seq() == 0);  // NOLINT(bugprone-use-after-move)
            // Counted values replace the number, and a number the counted values.
            a.mutableCounted() = list;
            CHECK(a.seq() == 0);
            CHECK(a.counted() == list);
            CHECK(a.get() == v);
            AccValue c(a);
            a.mutableCounted().clear();  // deep-copied: the copy keeps its own
            CHECK(c.counted() == list);
            CHECK(c.get() == v);
            c.setSeq(seq);
            CHECK(c.counted().empty());
            CHECK(c.seq() == seq);
            AccValue d;
            d = str("x");
            d.mutableCounted() = list;
            AccValue e;
            e = d;
            e = std::move(d);
            CHECK(e.counted() == list);
            CHECK(e.get() == str("x"));
        }
        // Through the state format: a number, then counted values.
        for (int withList = 0; withList < 2; ++withList) {
            AggAcc acc;
            acc.value = v;
            acc.n = 4;
            if (withList != 0) {
                acc.value.mutableCounted() = list;
            } else {
                acc.value.setSeq(AccValue::kMinSeq);
            }
            std::string bytes;
            StateCodec<AggAcc>::put(bytes, acc);
            Reader r(bytes);
            AggAcc back;
            back.value.setSeq(77);  // replaced, not kept
            REQUIRE(StateCodec<AggAcc>::get(r, back));
            CHECK(back == acc);
        }
    }
    // Bytes no accumulator writes are refused: a number beyond the side, or a number
    // beside counted values.
    auto state = [](std::int64_t seq, const CountedList& counted) {
        std::string out;
        StateCodec<Value>::put(out, i64(1));
        StateCodec<std::int64_t>::put(out, 1);
        StateCodec<std::int64_t>::put(out, seq);
        StateCodec<CountedList>::put(out, counted);
        return out;
    };
    for (const std::string& bad :
         {state(AccValue::kMaxSeq + 1, {}), state(AccValue::kMinSeq - 1, {}), state(3, list)}) {
        Reader r(bad);
        AggAcc acc;
        CHECK_FALSE(StateCodec<AggAcc>::get(r, acc));
    }
}
