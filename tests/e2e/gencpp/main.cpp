// tests/e2e/gencpp/main.cpp - a user's own C++ program over `flowc gen-cpp` of the shop.
//
// It builds event rows, round-trips them through the binary row format and JSON, runs the
// program in process (events, commands, queries, tables) and calls projections on rows,
// printing what it sees; the test compares the output with expected_output.txt. A failed
// check also makes it exit 1.
#include "program.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace {

namespace shop = flow_gen::f_shop;
using flow_gen::str;
using flow_gen::view;

int failures = 0;

void check(bool ok, const char* what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
    failures += ok ? 0 : 1;
}

/// Prints a result's error, if any; true when it has a value.
template <typename T>
bool succeeded(const flow::rt::Result<T>& result, const char* what) {
    if (!result) {
        std::printf("FAILED: %s: %s\n", what, result.status().toString().c_str());
        ++failures;
    }
    return result.isOk();
}

void rowsAndCodecs() {
    // An event row: strings are views of bytes that outlive the row.
    std::string customer = "ann \"the first\" \xc3\xa9\xf0\x9f\x98\x80";
    shop::f_OrdersZ_OrderPlaced placed{};  // the latest version (v2)
    placed.f_order_id = str("o1");
    placed.f_customer = str(customer);
    placed.f_product = str("apple");
    placed.f_qty = 120;
    placed.f_price = 3;
    placed.f_currency = str("EUR");

    std::string bytes = flow_gen::encode(placed);
    std::printf("encoded OrderPlaced v2: %zu bytes\n", bytes.size());
    auto decoded = flow_gen::decode<shop::f_OrdersZ_OrderPlaced>(bytes);
    if (succeeded(decoded, "decode")) {
        const auto& row = *decoded.value();
        check(view(row.f_order_id) == "o1" && view(row.f_customer) == customer &&
                  row.f_qty == 120 && row.f_price == 3 && view(row.f_currency) == "EUR",
              "binary round trip keeps every field");
        check(flow_gen::encode(row) == bytes, "re-encoding gives the same bytes");
    }
    auto truncated = flow_gen::decode<shop::f_OrdersZ_OrderPlaced>(bytes.substr(0, 5));
    check(!truncated.isOk(), "a truncated row does not decode");

    std::string json = flow_gen::toJson(placed);
    std::printf("JSON: %s\n", json.c_str());
    auto parsed = flow_gen::fromJson<shop::f_OrdersZ_OrderPlaced>(json);
    if (succeeded(parsed, "fromJson")) {
        check(flow_gen::encode(*parsed.value()) == bytes, "JSON round trip gives the same row");
    }
    auto unknown = flow_gen::fromJson<shop::f_OrdersZ_OrderPlaced>(R"({"order_idd":"x"})");
    std::printf("unknown field: %s\n", unknown.status().message().c_str());

    // Enums are their values' indexes; timestamps UTC microseconds.
    shop::f_StockZ_StockAdjusted adjusted{};
    adjusted.f_product = str("pear");
    adjusted.f_delta = -2;
    adjusted.f_reason = shop::f_StockZ_Reason::f_Correction;
    std::printf("JSON: %s\n", flow_gen::toJson(adjusted).c_str());
    shop::f_ShipmentsZ_ShipmentDispatched dispatched{};
    dispatched.f_order_id = str("o1");
    dispatched.f_dispatched_at = 1714557600000000;  // 2024-05-01T10:00:00Z
    std::printf("JSON: %s\n", flow_gen::toJson(dispatched).c_str());
}

void programInProcess() {
    flow_gen::Program program;  // in memory
    flow::rt::Status opened = program.open();
    check(opened.isOk(), "the program opens in memory");

    // Declared defaults apply where JSON leaves a field out (reason = Restock).
    auto stock =
        program.fromJson<shop::f_StockZ_StockAdjusted>(R"({"product":"apple","delta":150})");
    if (succeeded(stock, "Program::fromJson")) {
        check(stock.value()->f_reason == shop::f_StockZ_Reason::f_Restock,
              "a left-out field takes its declared default");
        check(shop::events::f_StockZ_StockAdjusted(program, *stock.value()).isOk(),
              "an event is ingested and processed");
        flow::rt::Engine& engine = program.engine();
        check(engine.emitted().size() == 1 &&
                  engine.program().events[static_cast<std::size_t>(engine.emitted()[0].type)]
                          .name == "Stock.StockAdjusted",
              "an ingested event is in emitted()");
        // `run` turns recording inputs off: the event is processed all the same.
        flow::rt::EngineOptions quiet;
        quiet.recordInputs = false;
        flow_gen::Program other(quiet);
        bool same = other.open().isOk() &&
                    shop::events::f_StockZ_StockAdjusted(other, *stock.value()).isOk() &&
                    other.engine().emitted().empty();
        for (const auto& t : engine.program().tables) {
            same = same && other.engine().rows(t.id) == engine.rows(t.id);
        }
        check(same, "without recordInputs, emitted() leaves the input out and the tables agree");
    }

    auto registered = shop::commands::f_OrdersZ_RegisterCustomer(
        program, {.f_customer_id = str("ann"), .f_name = str("Ann")});
    if (succeeded(registered, "RegisterCustomer")) {
        check(registered.value().accepted, "RegisterCustomer is accepted");
    }
    // A retry with the same request id runs nothing and answers with the first events.
    flow::rt::EventId request;
    check(flow::rt::EventId::fromHex("0123456789abcdef0123456789abcdef", request),
          "a request id from hex");
    auto first = shop::commands::f_OrdersZ_RegisterCustomer(
        program, {.f_customer_id = str("bob"), .f_name = str("Bob")}, request);
    auto retry = shop::commands::f_OrdersZ_RegisterCustomer(
        program, {.f_customer_id = str("bob"), .f_name = str("Robert")}, request);
    if (succeeded(first, "RegisterCustomer") && succeeded(retry, "RegisterCustomer")) {
        check(!first.value().duplicate && first.value().events.size() == 1,
              "the first run emits one event");
        check(retry.value().accepted && retry.value().duplicate, "the retry is a duplicate");
        check(retry.value().events.size() == 1 &&
                  retry.value().events[0].envelope.id == first.value().events[0].envelope.id &&
                  retry.value().events[0].row == first.value().events[0].row,
              "the retry answers with the first run's event");
    }
    auto placed = shop::commands::f_OrdersZ_PlaceOrder(program, {.f_order_id = str("o1"),
                                                                 .f_customer = str("ann"),
                                                                 .f_product = str("apple"),
                                                                 .f_qty = 120,
                                                                 .f_price = 3});
    if (succeeded(placed, "PlaceOrder")) {
        check(placed.value().accepted, "PlaceOrder is accepted");
        std::printf("PlaceOrder emitted %zu event(s)\n", placed.value().events.size());
    }
    auto rejected = shop::commands::f_OrdersZ_PlaceOrder(program, {.f_order_id = str("o2"),
                                                                   .f_customer = str("ann"),
                                                                   .f_product = str("apple"),
                                                                   .f_qty = 0,
                                                                   .f_price = 3});
    if (succeeded(rejected, "PlaceOrder")) {
        std::printf("rejected: %s\n", rejected.value().reason.c_str());
    }

    // Queries: a value, a row or none, and the rows of a `from`.
    auto available = shop::queries::f_StockZ_Available(program, {.f_product = str("apple")});
    if (succeeded(available, "Available") && available.value().size() == 1) {
        std::printf("Available(apple) = %lld\n",
                    static_cast<long long>(available.value()[0]->f_value));
    }
    auto status = shop::queries::f_OrdersZ_Status(program, {.f_order_id = str("o1")});
    if (succeeded(status, "Status") && status.value().size() == 1) {
        check(status.value()[0]->f_state == shop::f_OrdersZ_OrderState::f_Reserved,
              "Status(o1) is Reserved");
        std::printf("Status(o1) = %s\n", flow_gen::toJson(*status.value()[0]).c_str());
    }
    auto missing = shop::queries::f_OrdersZ_Status(program, {.f_order_id = str("nope")});
    if (succeeded(missing, "Status")) {
        check(missing.value().empty(), "Status(nope) is none");
    }
    auto low = shop::queries::f_StockZ_LowStock(program, {.f_limit_to = 10});
    if (succeeded(low, "LowStock")) {
        std::printf("LowStock(10): %zu row(s)\n", low.value().size());
    }

    // Tables: every row in key order, or one by key.
    for (const auto& row : shop::tables::f_StockZ_Inventory(program)) {
        std::printf("Inventory: %s\n", flow_gen::toJson(*row).c_str());
    }
    auto big = shop::tables::f_OrdersZ_CustomerTotals(program, {.f_customer = str("ann")});
    check(big.has_value() && (*big)->f_orders == 1 && (*big)->f_spent == 360,
          "CustomerTotals[ann] counts the order");

    // Projections on rows of one's own: a stream's where + select, and a join's select.
    shop::f_OrdersZ_OrderPlaced order{};
    order.f_order_id = str("o9");
    order.f_customer = str("bob");
    order.f_product = str("fig");
    order.f_qty = 150;
    auto bigOrder = shop::projections::f_OrdersZ_BigOrders(program, order, FlowEnvelope{});
    if (succeeded(bigOrder, "BigOrders") && bigOrder.value().has_value()) {
        std::printf("BigOrders(qty 150) = %s\n", flow_gen::toJson(**bigOrder.value()).c_str());
    }
    order.f_qty = 5;
    auto smallOrder = shop::projections::f_OrdersZ_BigOrders(program, order, FlowEnvelope{});
    if (succeeded(smallOrder, "BigOrders")) {
        check(!smallOrder.value().has_value(), "BigOrders(qty 5) is filtered out");
    }
    shop::f_OrdersZ_StockCopy copy{.f_product = str("fig"), .f_available = 7};
    auto withStock =
        shop::projections::f_OrdersZ_OrderWithStock(program, order, FlowEnvelope{}, copy);
    if (succeeded(withStock, "OrderWithStock") && withStock.value().has_value()) {
        std::printf("OrderWithStock = %s\n", flow_gen::toJson(**withStock.value()).c_str());
    }
    auto maybe =
        shop::projections::f_OrdersZ_OrderMaybeStock(program, order, FlowEnvelope{}, nullptr);
    if (succeeded(maybe, "OrderMaybeStock") && maybe.value().has_value()) {
        std::printf("OrderMaybeStock(no stock row) = %s\n",
                    flow_gen::toJson(**maybe.value()).c_str());
    }
}

}  // namespace

int main() {
    rowsAndCodecs();
    programInProcess();
    std::printf("%d failure(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
