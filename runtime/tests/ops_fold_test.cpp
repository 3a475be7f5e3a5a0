// runtime/tests/ops_fold_test.cpp - fold tables: random handler sequences against a batch
// fold, memory == RocksDB, restore + replay == an uninterrupted run; edge cases.
#include "flow/rt/ops/fold_table.h"
#include "ops_harness.h"

#include <catch2/catch.hpp>

using namespace flow::rt;
using namespace flow::rt::ops;
using namespace flow::rt::testing;

namespace {

// table Inventory key product: string { available: int = 0; reserved: int = 0; note: string?;
//   on Adjusted e { available += e.delta; }
//   on Reserved e { available -= e.qty; reserved += e.qty; }
//   on Noted e { note = e.text; }
//   on Removed e { delete; }
//   on Audited e { if available < 0 { delete; } } }
enum class Handler { Adjust, Reserve, Note, Remove, Audit };

struct FoldInput {
    Handler handler;
    std::string product;
    std::int64_t amount = 0;
    Value text;
};

Row inventoryDefaults(const Row&) {
    return {Value{std::int64_t{0}}, Value{std::int64_t{0}}, Value{}};
}

/// The handlers, written once for the operator (on its row) and reused by the batch
/// model, which differs in everything else: a std::map, no changes, no store.
FoldResult runHandler(const FoldInput& in, Row& row) {
    switch (in.handler) {
    case Handler::Adjust:
        row[0] = asInt(row[0]) + in.amount;
        return FoldResult::Keep;
    case Handler::Reserve:
        row[0] = asInt(row[0]) - in.amount;
        row[1] = asInt(row[1]) + in.amount;
        return FoldResult::Keep;
    case Handler::Note:
        row[2] = in.text;
        return FoldResult::Keep;
    case Handler::Remove:
        return FoldResult::Delete;
    case Handler::Audit:
        return asInt(row[0]) < 0 ? FoldResult::Delete : FoldResult::Keep;
    }
    return FoldResult::Keep;
}

struct FoldSpec {
    using Input = FoldInput;
    using Out = Change<Row, Row>;
    struct Case {
        std::vector<Input> inputs;
    };

    static Case generate(std::mt19937_64& rng) {
        Case c;
        int keys = static_cast<int>(pick(rng, 1, 6));
        auto n = caseLength(rng);
        for (std::int64_t i = 0; i < n; ++i) {
            FoldInput in{static_cast<Handler>(pick(rng, 0, 4)), smallString(rng, keys),
                         pick(rng, -3, 5), Value{}};
            if (chance(rng, 50)) {
                in.text = smallString(rng, 3);
            }
            c.inputs.push_back(in);
        }
        return c;
    }

    struct Op {
        Op(Store& store, const std::string& name, const Case&)
            : table(store, name, inventoryDefaults) {}
        void feed(const Input& in, std::vector<Out>& out) {
            table.apply(
                Row{in.product}, [&](Row& row) { return runHandler(in, row); }, out);
        }
        std::string state() { return showMap(contents(table.table())); }
        FoldTable<Row, Row> table;
    };

    static std::string check(const Case& c, const std::vector<Out>& all, Op& op) {
        std::map<Row, Row> batch;
        for (const FoldInput& in : c.inputs) {
            Row key{in.product};
            auto it = batch.find(key);
            Row row = it == batch.end() ? inventoryDefaults(key) : it->second;
            if (runHandler(in, row) == FoldResult::Delete) {
                batch.erase(key);
            } else {
                batch[key] = row;
            }
        }
        std::map<Row, Row> applied;
        std::string problem = applyChanges(applied, all);
        if (!problem.empty()) {
            return problem;
        }
        problem = compareMaps(batch, applied);
        return problem.empty() ? compareMaps(batch, contents(op.table.table())) : problem;
    }

    static std::string show(const Out& o) { return testing::show(o); }
};

}  // namespace

TEST_CASE("fold table: random handlers match a batch fold, on both stores and across restores",
          "[ops]") {
    runDifferential<FoldSpec>(1000, kCases);
}

TEST_CASE("fold table: 10,000 random cases", "[ops][slow]") {
    runDifferential<FoldSpec>(1'000'000, kSlowCases);
}

TEST_CASE("fold table: defaults, no-op updates, deletes of absent rows", "[ops]") {
    TempDir d;
    auto store = openMemoryStore(d.path);
    FoldTable<Row, Row> t(*store, "Stock.Inventory", inventoryDefaults);
    REQUIRE(store->load().isOk());
    Changes<Row, Row> out;
    Row apple{Value{std::string("apple")}};

    t.apply(
        apple, [](Row&) { return FoldResult::Delete; }, out);
    CHECK(out.empty());  // deleting an absent row changes nothing

    t.apply(
        apple, [](Row& r) { r[0] = asInt(r[0]) + 5; }, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].isInsert());
    CHECK(*out[0].after == Row{Value{std::int64_t{5}}, Value{std::int64_t{0}}, Value{}});

    out.clear();
    t.apply(
        apple, [](Row&) {}, out);
    CHECK(out.empty());  // the row did not change

    t.apply(
        apple, [](Row&) { return FoldResult::Delete; }, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].isDelete());
    CHECK(t.find(apple) == nullptr);

    // A row created with its defaults unchanged is still an insert: it now exists.
    out.clear();
    t.apply(
        apple, [](Row&) {}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].isInsert());
}
