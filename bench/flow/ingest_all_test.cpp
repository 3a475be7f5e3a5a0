// bench/flow/ingest_all_test.cpp - Engine::ingestAll against Engine::ingest one input at a
// time, on the agg program (agg.flow: its sales go straight to a view that finds each group
// by the sale's fields, the path on which ingestAll works out the next input's group ahead).
#define CATCH_CONFIG_MAIN
#include "harness.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace flow::bench;
using flow::rt::IngestInput;

namespace {

struct Agg {
    Program program = Program::load();
    std::int32_t sale = program.event("Sales.Sale");
    std::int32_t totals = program.table("Sales.Totals");
    std::uint32_t customer = offsetOf(program.eventLayout(sale), "customer");
    std::uint32_t amount = offsetOf(program.eventLayout(sale), "amount");

    /// Sale number `i`: one of `keys` customers, its own id.
    IngestInput input(std::uint64_t i, std::uint64_t keys) const {
        IngestInput in;
        in.event = sale;
        in.time = kEpoch2024 + static_cast<std::int64_t>(i) * 1000;
        in.id = flow::rt::EventId{i + 1, 0x5a1e};
        in.row = RowBuilder(program.eventLayout(sale))
                     .str(customer, "c" + std::to_string(i * 7 % keys))
                     .i64(amount, static_cast<std::int64_t>(i % 13) + 1)
                     .done();
        return in;
    }
    /// Sales from..to-1.
    std::vector<IngestInput> inputs(std::uint64_t from, std::uint64_t to,
                                    std::uint64_t keys) const {
        std::vector<IngestInput> out;
        for (std::uint64_t i = from; i < to; ++i) {
            out.push_back(input(i, keys));
        }
        return out;
    }
};

/// The table's digest after the engine takes `inputs` (distinct ids) one at a time.
Digest oneByOne(const Agg& a, std::vector<IngestInput> inputs) {
    Options o;
    EngineRun run(a.program, o);
    for (IngestInput& in : inputs) {
        auto r = run.engine().ingest(in.event, in.version, std::move(in.row), in.time, in.id);
        REQUIRE(r);
        REQUIRE(*r);
    }
    REQUIRE(run.engine().runUntilIdle());
    return tableDigest(run.engine(), a.program, a.totals);
}

}  // namespace

TEST_CASE("ingestAll builds what ingest builds, one input at a time", "[engine]") {
    const Agg a;
    std::vector<IngestInput> inputs = a.inputs(0, 3000, 500);
    const Digest expected = oneByOne(a, inputs);

    Options o;
    EngineRun run(a.program, o);
    // In batches of several sizes, the first of one input (nothing ahead of it).
    std::size_t at = 0;
    for (std::size_t size : {1, 2, 7, 256, 990, 1744}) {
        auto r = run.engine().ingestAll(std::span<IngestInput>(inputs).subspan(at, size));
        REQUIRE(r);
        CHECK(*r == size);
        REQUIRE(run.engine().runUntilIdle());
        at += size;
    }
    REQUIRE(at == inputs.size());
    CHECK(tableDigest(run.engine(), a.program, a.totals) == expected);
}

TEST_CASE("ingestAll counts only the inputs not already in the logs", "[engine]") {
    const Agg a;
    // Inputs 0-99, then 50-149 again in the same batch and in the next: ids seen before
    // (in an earlier batch, or earlier in this one) are not appended twice.
    std::vector<IngestInput> first = a.inputs(0, 100, 40), second = a.inputs(50, 150, 40);
    for (std::uint64_t i = 50; i < 150; ++i) {
        first.push_back(a.input(i, 40));
    }
    const Digest expected = oneByOne(a, a.inputs(0, 150, 40));

    Options o;
    EngineRun run(a.program, o);
    auto r1 = run.engine().ingestAll(first);
    REQUIRE(r1);
    CHECK(*r1 == 150);  // 0-149, with 50-99 once
    auto r2 = run.engine().ingestAll(second);
    REQUIRE(r2);
    CHECK(*r2 == 0);
    REQUIRE(run.engine().runUntilIdle());
    CHECK(tableDigest(run.engine(), a.program, a.totals) == expected);

    auto none = run.engine().ingestAll({});
    REQUIRE(none);
    CHECK(*none == 0);
}
