// bench/flow/agg_bench.cpp - keyed aggregation (agg.flow) against a hand-written hash map.
//
// N sales over K customers (uniform, fixed seed): the generated program's
// `table Totals = from Sale s group by s.customer select { count(), sum(s.amount) }` in
// the in-memory engine, against an absl::flat_hash_map<std::string, {count, sum}> fed
// the same rows. Both must end with the same rows.
#include "harness.h"

#include <absl/container/flat_hash_map.h>
#include <cstdio>
#include <string>

using namespace flow::bench;

namespace {

struct Fields {
    std::int32_t sale = -1, totals = -1;
    std::uint32_t customer = 0, amount = 0;
};

std::vector<Input> generate(const Program& p, const Fields& f, const Options& o) {
    std::vector<Input> out;
    out.reserve(o.events);
    std::uint64_t rng = o.seed;
    const auto& layout = p.eventLayout(f.sale);
    char key[32];
    for (std::uint64_t i = 0; i < o.events; ++i) {
        Input in;
        in.event = f.sale;
        in.time = kEpoch2024 + static_cast<std::int64_t>(i) * 1000;
        in.id = flow::rt::EventId{splitmix64(rng), splitmix64(rng)};
        std::snprintf(key, sizeof key, "c%07llu",
                      static_cast<unsigned long long>(splitmix64(rng) % o.keys));
        auto amount = static_cast<std::int64_t>(1 + splitmix64(rng) % 1000);
        in.row = RowBuilder(layout).str(f.customer, key).i64(f.amount, amount).done();
        out.push_back(std::move(in));
    }
    return out;
}

/// What both hand-written aggregations keep per customer.
struct Totals {
    std::int64_t sales = 0;
    std::int64_t amount = 0;
};
using TotalsMap = absl::flat_hash_map<std::string, Totals>;

/// A hand-written run's results, named as the engine's.
Run results(Rate rate, const TotalsMap& totals) {
    Digest d;
    for (const auto& [customer, t] : totals) {
        d.add(RowHash().str(customer).i64(t.sales).i64(t.amount).value());
    }
    return Run{rate, {{"Sales.Totals", d}}};
}

/// The baseline: what someone would write by hand for the same table.
Run baseline(const std::vector<Input>& inputs, const Fields& f) {
    TotalsMap totals;
    Stopwatch sw;
    sw.start();
    for (const Input& in : inputs) {
        const void* row = in.row.data();
        Totals& t = totals.try_emplace(asKey(getStr(row, f.customer))).first->second;
        ++t.sales;
        // Flow's int sum wraps (accumulator.h), so does this.
        t.amount = static_cast<std::int64_t>(static_cast<std::uint64_t>(t.amount) +
                                             static_cast<std::uint64_t>(getInt(row, f.amount)));
    }
    sw.stop();
    return results(Rate{sw.wall(), sw.cpu(), inputs.size()}, totals);
}

/// The same with the engine's guarantees, by hand (Journal): a retried sale is ignored,
/// and every sale is logged before it is counted.
[[gnu::noinline]] Run guardedBaseline(const std::vector<Input>& inputs, const Fields& f) {
    constexpr std::uint8_t kSale = 1;  // the record's type
    Journal journal;
    TotalsMap totals;
    Turns turns;
    Stopwatch sw;
    sw.start();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (turns.due(i)) {
            sw.stop();
            turns.pass();
            sw.start();
        }
        const Input& in = inputs[i];
        if (!journal.admit(in.id)) {
            continue;
        }
        const void* row = in.row.data();
        std::string_view customer = getStr(row, f.customer);
        std::int64_t amount = getInt(row, f.amount);
        using W = Journal::Writer;
        W(journal.append(1 + W::kId + 8 + W::strSize(customer) + 8))
            .u8(kSale)
            .id(in.id)
            .i64(in.time)
            .str(customer)
            .i64(amount);
        Totals& t = totals.try_emplace(asKey(customer)).first->second;
        ++t.sales;
        t.amount = static_cast<std::int64_t>(static_cast<std::uint64_t>(t.amount) +
                                             static_cast<std::uint64_t>(amount));
    }
    sw.stop();
    return results(Rate{sw.wall(), sw.cpu(), inputs.size()}, totals);
}

Run flowRun(const Program& p, const std::vector<Input>& inputs, const Fields& f, const Options& o) {
    EngineRun run(p, o);
    flow::rt::Engine& engine = run.engine();
    Rate rate = drive(engine, inputs, o, nullptr);
    return Run{rate, {{"Sales.Totals", tableDigest(engine, p, f.totals)}}};
}

}  // namespace

int main(int argc, char** argv) {
    Options o =
        parseOptions(argc, argv, "keyed aggregation: --keys group keys (100k)", 10'000'000, 256);
    Program p = Program::load();
    Fields f;
    f.sale = p.event("Sales.Sale");
    f.totals = p.table("Sales.Totals");
    f.customer = offsetOf(p.eventLayout(f.sale), "customer");
    f.amount = offsetOf(p.eventLayout(f.sale), "amount");
    std::printf("agg: %llu sales over %llu customers, batches of %llu (seed %llu)\n",
                static_cast<unsigned long long>(o.events), static_cast<unsigned long long>(o.keys),
                static_cast<unsigned long long>(o.batch), static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);
    std::vector<Input> inputs = generate(p, f, o);
    return runWorkload(
        "agg", o, [&] { return flowRun(p, inputs, f, o); }, [&] { return baseline(inputs, f); },
        std::to_string(o.keys) + "_keys", [&] { return guardedBaseline(inputs, f); });
}
