// bench/flow/join_bench.cpp - stream-table join (join.flow) against a hand-written lookup.
//
// K PriceSet events build the fold table Prices (untimed), then N Ordered events (timed)
// are joined with it into the derived stream Priced:
//   stream Priced = from Ordered o join Prices p on p.product == o.product
//     select { order_id, product, qty, amount: o.qty * p.price };
// Orders name K * 1.1 products, so about one in eleven finds no price (an inner join
// emits nothing for it). The baseline looks each order's product up in an
// absl::flat_hash_map and emits the same rows; both must emit the same events and end
// with the same table.
#include "harness.h"

#include <absl/container/flat_hash_map.h>
#include <cstdio>
#include <string>

using namespace flow::bench;

namespace {

struct Fields {
    std::int32_t priceSet = -1, ordered = -1, priced = -1, prices = -1;
    std::uint32_t psProduct = 0, psPrice = 0;
    std::uint32_t oOrderId = 0, oProduct = 0, oQty = 0;
};

struct Inputs {
    std::vector<Input> table;   // PriceSet, one per product
    std::vector<Input> stream;  // Ordered
};

Inputs generate(const Program& p, const Fields& f, const Options& o) {
    Inputs out;
    std::uint64_t rng = o.seed;
    char buf[32];
    std::int64_t t = kEpoch2024;
    const auto& psLayout = p.eventLayout(f.priceSet);
    for (std::uint64_t k = 0; k < o.keys; ++k) {
        Input in;
        in.event = f.priceSet;
        in.time = t++;
        in.id = flow::rt::EventId{splitmix64(rng), splitmix64(rng)};
        std::snprintf(buf, sizeof buf, "p%07llu", static_cast<unsigned long long>(k));
        auto price = static_cast<std::int64_t>(1 + splitmix64(rng) % 10'000);
        in.row = RowBuilder(psLayout).str(f.psProduct, buf).i64(f.psPrice, price).done();
        out.table.push_back(std::move(in));
    }
    const auto& oLayout = p.eventLayout(f.ordered);
    std::uint64_t products = o.keys + o.keys / 10;
    out.stream.reserve(o.events);
    char order[32];
    for (std::uint64_t i = 0; i < o.events; ++i) {
        Input in;
        in.event = f.ordered;
        in.time = t + static_cast<std::int64_t>(i) * 1000;
        in.id = flow::rt::EventId{splitmix64(rng), splitmix64(rng)};
        std::snprintf(order, sizeof order, "o%010llu", static_cast<unsigned long long>(i));
        std::snprintf(buf, sizeof buf, "p%07llu",
                      static_cast<unsigned long long>(splitmix64(rng) % products));
        auto qty = static_cast<std::int64_t>(1 + splitmix64(rng) % 10);
        in.row =
            RowBuilder(oLayout).str(f.oOrderId, order).str(f.oProduct, buf).i64(f.oQty, qty).done();
        out.stream.push_back(std::move(in));
    }
    return out;
}

/// What both hand-written joins keep and emit.
struct Price {
    std::int64_t price = 0;
    std::int64_t updates = 0;
};
using Prices = absl::flat_hash_map<std::string, Price>;
struct Priced {
    std::string orderId;
    std::string product;
    std::int64_t qty;
    std::int64_t amount;
};

void addEmitted(Digest& emitted, const std::vector<Priced>& out) {
    for (const Priced& p : out) {
        emitted.add(RowHash().str(p.orderId).str(p.product).i64(p.qty).i64(p.amount).value());
    }
}

/// A hand-written run's results, named as the engine's.
Run results(Rate rate, const Digest& emitted, const Prices& prices) {
    Digest table;
    for (const auto& [product, p] : prices) {
        table.add(RowHash().str(product).i64(p.price).i64(p.updates).value());
    }
    return Run{rate, {{"Pricing.Priced (stream)", emitted}, {"Pricing.Prices", table}}};
}

/// The baseline: a hash map of prices and a lookup per order.
Run baseline(const Inputs& inputs, const Fields& f) {
    Prices prices;
    for (const Input& in : inputs.table) {
        Price& p = prices.try_emplace(asKey(getStr(in.row.data(), f.psProduct))).first->second;
        p.price = getInt(in.row.data(), f.psPrice);
        p.updates += 1;
    }
    std::vector<Priced> out;
    Digest emitted;
    std::uint64_t overflows = 0;
    Stopwatch sw;
    const std::vector<Input>& stream = inputs.stream;
    for (std::size_t i = 0; i < stream.size();) {
        std::size_t end = std::min<std::size_t>(stream.size(), i + kObserveEvery);
        sw.start();
        out.clear();
        for (; i < end; ++i) {
            const void* row = stream[i].row.data();
            std::string_view product = getStr(row, f.oProduct);
            auto it = prices.find(asKey(product));
            if (it == prices.end()) {
                continue;
            }
            std::int64_t qty = getInt(row, f.oQty);
            std::int64_t amount = 0;
            if (__builtin_mul_overflow(qty, it->second.price, &amount)) {
                ++overflows;  // Flow reports a runtime error and emits nothing
                continue;
            }
            out.push_back(
                Priced{std::string(getStr(row, f.oOrderId)), std::string(product), qty, amount});
        }
        sw.stop();
        addEmitted(emitted, out);
    }
    if (overflows > 0) {
        std::printf("  base: %llu int overflows (no event)\n",
                    static_cast<unsigned long long>(overflows));
    }
    return results(Rate{sw.wall(), sw.cpu(), stream.size()}, emitted, prices);
}

/// The same with the engine's guarantees, by hand (Journal): a retried event is ignored,
/// every input is logged before it is processed, and every derived event is logged with
/// an id derived from its cause (so a replay would derive the same ids) and its cause's.
[[gnu::noinline]] Run guardedBaseline(const Inputs& inputs, const Fields& f) {
    enum : std::uint8_t { kPriceSet = 1, kOrdered, kPriced };  // the records' types
    using W = Journal::Writer;
    Journal journal;
    Prices prices;
    for (const Input& in : inputs.table) {
        if (!journal.admit(in.id)) {
            continue;
        }
        std::string_view product = getStr(in.row.data(), f.psProduct);
        std::int64_t price = getInt(in.row.data(), f.psPrice);
        W(journal.append(1 + W::kId + 8 + W::strSize(product) + 8))
            .u8(kPriceSet)
            .id(in.id)
            .i64(in.time)
            .str(product)
            .i64(price);
        Price& p = prices.try_emplace(asKey(product)).first->second;
        p.price = price;
        p.updates += 1;
    }
    std::vector<Priced> out;
    Digest emitted;
    Turns turns;
    Stopwatch sw;
    const std::vector<Input>& stream = inputs.stream;
    for (std::size_t i = 0; i < stream.size();) {
        std::size_t end = std::min<std::size_t>(stream.size(), i + kObserveEvery);
        sw.start();
        out.clear();
        for (; i < end; ++i) {
            const Input& in = stream[i];
            if (!journal.admit(in.id)) {
                continue;
            }
            const void* row = in.row.data();
            std::string_view orderId = getStr(row, f.oOrderId);
            std::string_view product = getStr(row, f.oProduct);
            std::int64_t qty = getInt(row, f.oQty);
            W(journal.append(1 + W::kId + 8 + W::strSize(orderId) + W::strSize(product) + 8))
                .u8(kOrdered)
                .id(in.id)
                .i64(in.time)
                .str(orderId)
                .str(product)
                .i64(qty);
            auto it = prices.find(asKey(product));
            if (it == prices.end()) {
                continue;
            }
            std::int64_t amount = 0;
            if (__builtin_mul_overflow(qty, it->second.price, &amount)) {
                continue;  // Flow reports a runtime error and emits nothing
            }
            W(journal.append(1 + 2 * W::kId + 8 + W::strSize(orderId) + W::strSize(product) + 16))
                .u8(kPriced)
                .id(flow::rt::deriveEventId(in.id, 0))
                .id(in.id)
                .i64(in.time)
                .str(orderId)
                .str(product)
                .i64(qty)
                .i64(amount);
            out.push_back(Priced{std::string(orderId), std::string(product), qty, amount});
        }
        sw.stop();
        addEmitted(emitted, out);
        if (turns.due(i)) {
            turns.pass();
        }
    }
    return results(Rate{sw.wall(), sw.cpu(), stream.size()}, emitted, prices);
}

Run flowRun(const Program& p, const Inputs& inputs, const Fields& f, const Options& o) {
    EngineRun run(p, o);
    flow::rt::Engine& engine = run.engine();
    drive(engine, inputs.table, o, nullptr, false);
    Digest emitted;
    const flow::rt::plan::Layout& priced = p.eventLayout(f.priced);
    Rate rate = drive(engine, inputs.stream, o, [&](const std::vector<flow::rt::EventRecord>& rs) {
        for (const auto& r : rs) {
            if (r.type == f.priced) {
                emitted.add(hashAbiRow(priced, r.row.data()));
            }
        }
    });
    return Run{rate,
               {{"Pricing.Priced (stream)", emitted},
                {"Pricing.Prices", tableDigest(engine, p, f.prices)}}};
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parseOptions(argc, argv, "stream-table join: --keys rows of the table (100k)",
                             10'000'000, 256);
    Program p = Program::load();
    Fields f;
    f.priceSet = p.event("Pricing.PriceSet");
    f.ordered = p.event("Pricing.Ordered");
    f.priced = p.event("Pricing.Priced");
    f.prices = p.table("Pricing.Prices");
    f.psProduct = offsetOf(p.eventLayout(f.priceSet), "product");
    f.psPrice = offsetOf(p.eventLayout(f.priceSet), "price");
    f.oOrderId = offsetOf(p.eventLayout(f.ordered), "order_id");
    f.oProduct = offsetOf(p.eventLayout(f.ordered), "product");
    f.oQty = offsetOf(p.eventLayout(f.ordered), "qty");
    std::printf("join: a table of %llu prices, then %llu orders joined with it, batches of %llu "
                "(seed %llu)\n",
                static_cast<unsigned long long>(o.keys), static_cast<unsigned long long>(o.events),
                static_cast<unsigned long long>(o.batch), static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);
    Inputs inputs = generate(p, f, o);
    return runWorkload(
        "join", o, [&] { return flowRun(p, inputs, f, o); }, [&] { return baseline(inputs, f); },
        std::to_string(o.keys) + "_rows", [&] { return guardedBaseline(inputs, f); });
}
