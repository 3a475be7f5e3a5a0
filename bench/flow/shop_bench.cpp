// bench/flow/shop_bench.cpp - the shop estate (examples/shop/shop.flow) against a
// hand-written C++ program computing the same tables and events.
//
// Input: 10k products stocked and 16k of 20k customers registered (untimed), then N
// timed events, one every 10 ms of event time, drawn with a fixed seed: 55% OrderPlaced
// (v2; 1% of them big orders of 100+), 30% PaymentReceived for a recent unpaid order,
// 11% StockAdjusted, 3% OrderCancelled of a recent unpaid order, 1% CustomerRegistered
// (renames). Order ids recycle every 500k orders (2.5 h of event time, well beyond the
// 1 h PaidOrders join), which bounds the per-order tables.
//
// The baseline is what one would write by hand for the same four services in one
// process: a hash map per table, the same reactions, views and streams, the same
// processing order (every service finishes an input before the events it caused are
// read, services in declaration order). It emits the same events and ends with the
// same rows in all ten tables, which the run checks.
#include "harness.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <cstdio>
#include <map>
#include <queue>
#include <string>

using namespace flow::bench;

namespace {

constexpr std::uint64_t kProducts = 10'000;
constexpr std::uint64_t kCustomers = 20'000;
constexpr std::uint64_t kOrderIds = 500'000;
constexpr std::size_t kPool = 2'000;           // recent unpaid orders, for payments
constexpr std::int64_t kStep = 10'000;         // µs of event time between inputs
constexpr std::int64_t kHour = 3'600'000'000;  // µs
constexpr std::int64_t kGrace = 300'000'000;   // HourlySales: grace 5m

// Enum values, in declaration order (Orders.OrderState, Stock.Reason).
enum State : std::int64_t { Placed, Reserved, Short, Paid, Shipped, Cancelled };

/// Event and table ids and the field offsets the harness reads and writes.
struct Ids {
    std::int32_t stockAdjusted, stockReserved, stockShort, orderPlaced, orderCancelled,
        customerRegistered, bigOrders, orderWithStock, orderMaybeStock, paidOrders, paymentReceived,
        shipmentDispatched;
    std::vector<std::int32_t> outputs;  // the emitted (not ingested) event types
    std::vector<std::int32_t> tables;   // every table, in plan order
    // Input fields.
    std::uint32_t saProduct, saDelta, saReason;
    std::uint32_t opOrderId, opCustomer, opProduct, opQty, opPrice, opCurrency;
    std::uint32_t ocOrderId, ocProduct, ocQty, ocWasReserved;
    std::uint32_t crCustomerId, crName;
    std::uint32_t prOrderId, prAmount;

    explicit Ids(const Program& p) {
        stockAdjusted = p.event("Stock.StockAdjusted");
        stockReserved = p.event("Stock.StockReserved");
        stockShort = p.event("Stock.StockShort");
        orderPlaced = p.event("Orders.OrderPlaced");
        orderCancelled = p.event("Orders.OrderCancelled");
        customerRegistered = p.event("Orders.CustomerRegistered");
        bigOrders = p.event("Orders.BigOrders");
        orderWithStock = p.event("Orders.OrderWithStock");
        orderMaybeStock = p.event("Orders.OrderMaybeStock");
        paidOrders = p.event("Orders.PaidOrders");
        paymentReceived = p.event("Payments.PaymentReceived");
        shipmentDispatched = p.event("Shipments.ShipmentDispatched");
        outputs = {stockReserved,   stockShort, bigOrders,         orderWithStock,
                   orderMaybeStock, paidOrders, shipmentDispatched};
        for (const char* t :
             {"Stock.Inventory", "Orders.StockCopy", "Orders.OrderStatus", "Orders.Customers",
              "Orders.CustomerTotals", "Orders.HourlySales", "Orders.OrderView", "Payments.Due",
              "Shipments.ToShip", "Shipments.Dispatched"}) {
            tables.push_back(p.table(t));
        }
        const auto& sa = p.eventLayout(stockAdjusted);
        saProduct = offsetOf(sa, "product");
        saDelta = offsetOf(sa, "delta");
        saReason = offsetOf(sa, "reason");
        const auto& op = p.eventLayout(orderPlaced);  // v2
        opOrderId = offsetOf(op, "order_id");
        opCustomer = offsetOf(op, "customer");
        opProduct = offsetOf(op, "product");
        opQty = offsetOf(op, "qty");
        opPrice = offsetOf(op, "price");
        opCurrency = offsetOf(op, "currency");
        const auto& oc = p.eventLayout(orderCancelled);
        ocOrderId = offsetOf(oc, "order_id");
        ocProduct = offsetOf(oc, "product");
        ocQty = offsetOf(oc, "qty");
        ocWasReserved = offsetOf(oc, "was_reserved");
        const auto& cr = p.eventLayout(customerRegistered);
        crCustomerId = offsetOf(cr, "customer_id");
        crName = offsetOf(cr, "name");
        const auto& pr = p.eventLayout(paymentReceived);
        prOrderId = offsetOf(pr, "order_id");
        prAmount = offsetOf(pr, "amount");
    }
};

// ---- Input ---------------------------------------------------------------------------------

struct Inputs {
    std::vector<Input> setup;  // stock and customers, untimed
    std::vector<Input> timed;
};

std::string idName(char prefix, std::uint64_t n, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%c%0*llu", prefix, width, static_cast<unsigned long long>(n));
    return buf;
}

Inputs generate(const Program& p, const Ids& id, const Options& o) {
    Inputs out;
    std::uint64_t rng = o.seed;
    auto rand = [&rng](std::uint64_t n) {
        return splitmix64(rng) % n;
    };
    std::int64_t t = kEpoch2024;
    auto input = [&](std::int32_t event, int version, OwnedRow row) {
        Input in;
        in.event = event;
        in.version = version;
        in.time = t;
        in.id = flow::rt::EventId{splitmix64(rng), splitmix64(rng)};
        in.row = std::move(row);
        return in;
    };
    const auto& sa = p.eventLayout(id.stockAdjusted);
    const auto& op = p.eventLayout(id.orderPlaced);
    const int opVersion =
        static_cast<int>(p.plan.events[static_cast<std::size_t>(id.orderPlaced)].versions.size()) -
        1;
    const auto& oc = p.eventLayout(id.orderCancelled);
    const auto& cr = p.eventLayout(id.customerRegistered);
    const auto& pr = p.eventLayout(id.paymentReceived);
    auto adjust = [&](std::uint64_t product, std::int64_t delta) {
        return input(id.stockAdjusted, 0,
                     RowBuilder(sa)
                         .str(id.saProduct, idName('p', product, 5))
                         .i64(id.saDelta, delta)
                         .i64(id.saReason, 0)  // Restock
                         .done());
    };
    auto registered = [&](std::uint64_t customer, std::string customerName) {
        return input(id.customerRegistered, 0,
                     RowBuilder(cr)
                         .str(id.crCustomerId, idName('c', customer, 5))
                         .str(id.crName, std::move(customerName))
                         .done());
    };
    for (std::uint64_t k = 0; k < kProducts; ++k) {
        out.setup.push_back(adjust(k, static_cast<std::int64_t>(50 + rand(950))));
    }
    for (std::uint64_t c = 0; c < kCustomers; ++c) {
        if (c % 5 != 4) {
            out.setup.push_back(registered(c, "Customer " + std::to_string(c)));
        }
    }
    struct Pending {
        std::uint64_t order, product;
        std::int64_t qty, price;
    };
    std::vector<Pending> pool;
    auto take = [&]() {
        std::size_t j = rand(pool.size());
        Pending taken = pool[j];
        pool[j] = pool.back();
        pool.pop_back();
        return taken;
    };
    std::uint64_t orders = 0;
    out.timed.reserve(o.events);
    t += kStep;
    for (std::uint64_t i = 0; i < o.events; ++i, t += kStep) {
        std::uint64_t r = rand(200);
        if (r < 110) {
            Pending n{orders++ % kOrderIds, rand(kProducts), 0, 0};
            n.qty = static_cast<std::int64_t>(rand(100) == 0 ? 100 + rand(50) : 1 + rand(5));
            n.price = static_cast<std::int64_t>(1 + rand(100));
            std::uint64_t customer = rand(kCustomers);
            out.timed.push_back(input(id.orderPlaced, opVersion,
                                      RowBuilder(op)
                                          .str(id.opOrderId, idName('o', n.order, 6))
                                          .str(id.opCustomer, idName('c', customer, 5))
                                          .str(id.opProduct, idName('p', n.product, 5))
                                          .i64(id.opQty, n.qty)
                                          .i64(id.opPrice, n.price)
                                          .str(id.opCurrency, "EUR")
                                          .done()));
            pool.push_back(n);
            if (pool.size() > kPool) {
                take();  // never paid
            }
        } else if (r < 170 && !pool.empty()) {
            Pending n = take();
            out.timed.push_back(input(id.paymentReceived, 0,
                                      RowBuilder(pr)
                                          .str(id.prOrderId, idName('o', n.order, 6))
                                          .i64(id.prAmount, n.qty * n.price)
                                          .done()));
        } else if (r >= 192 && r < 198 && !pool.empty()) {
            Pending n = take();
            out.timed.push_back(input(id.orderCancelled, 0,
                                      RowBuilder(oc)
                                          .str(id.ocOrderId, idName('o', n.order, 6))
                                          .str(id.ocProduct, idName('p', n.product, 5))
                                          .i64(id.ocQty, n.qty)
                                          .boolean(id.ocWasReserved, rand(2) == 0)
                                          .done()));
        } else if (r >= 198) {
            std::uint64_t c = rand(kCustomers);
            out.timed.push_back(
                registered(c, "Cust " + std::to_string(c) + " r" + std::to_string(i)));
        } else {
            out.timed.push_back(adjust(rand(kProducts), static_cast<std::int64_t>(20 + rand(180))));
        }
    }
    return out;
}

// ---- The hand-written estate ---------------------------------------------------------------

/// An emitted event: the next wave's input, and what the run checks.
struct Out {
    std::int32_t type;
    std::string a, b, c;  // strings, in the event's field order
    std::int64_t x = 0, y = 0;
    bool has = false;  // OrderMaybeStock: a stock row was found
};

class Shop {
public:
    explicit Shop(const Ids& id) : id_(id) {}

    /// Processes one input and everything it causes. Emitted events go to `outbox`.
    void process(const Input& in, std::vector<Out>& outbox) {
        std::size_t first = outbox.size();
        const void* row = in.row.data();
        // Depth 0: each service in declaration order (Stock, Orders, Payments, Shipments).
        if (in.event == id_.orderPlaced) {
            orderPlaced(row, in.time, outbox);
        } else if (in.event == id_.paymentReceived) {
            paymentReceived(row, in.time, outbox);
        } else if (in.event == id_.stockAdjusted) {
            std::string_view product = getStr(row, id_.saProduct);
            std::int64_t delta = getInt(row, id_.saDelta);
            inventory_[asKey(product)].available += delta;
            stockCopy_[asKey(product)] += delta;
        } else if (in.event == id_.orderCancelled) {
            orderCancelled(row);
        } else if (in.event == id_.customerRegistered) {
            customerRegistered(getStr(row, id_.crCustomerId), getStr(row, id_.crName));
        }
        // Depth 1: what the input caused, each service in order, reading its inputs in
        // the order of their owners (the outbox is in that order: services emit in turn).
        // None of these handlers emits, so there is no depth 2.
        std::size_t end = outbox.size();
        for (std::size_t i = first; i < end; ++i) {  // Stock
            const Out& e = outbox[i];
            if (e.type == id_.stockReserved) {
                Inventory& inv = inventory_[asKey(e.b)];
                inv.available -= e.x;
                inv.reserved += e.x;
            } else if (e.type == id_.shipmentDispatched) {
                inventory_[asKey(e.c)].reserved -= e.x;
            }
        }
        for (std::size_t i = first; i < end; ++i) {  // Orders
            const Out& e = outbox[i];
            if (e.type == id_.stockReserved) {
                stockCopy_[asKey(e.b)] -= e.x;
                setState(e.a, Reserved);
            } else if (e.type == id_.stockShort) {
                setState(e.a, Short);
            } else if (e.type == id_.shipmentDispatched) {
                setState(e.a, Shipped);
            }
        }
        for (std::size_t i = first; i < end; ++i) {  // Payments
            const Out& e = outbox[i];
            if (e.type == id_.stockReserved) {
                due_[asKey(e.a)].reserved = true;
            }
        }
        for (std::size_t i = first; i < end; ++i) {  // Shipments
            const Out& e = outbox[i];
            if (e.type == id_.shipmentDispatched) {
                Dispatched& d = dispatched_[asKey(e.b)];
                d.last = d.shipments == 0 ? e.y : std::max(d.last, e.y);
                ++d.shipments;
            }
        }
    }

    /// Digests of the ten tables, in Ids::tables order, and the late events.
    Results tables() const {
        Results r;
        Digest d;
        for (const auto& [k, v] : inventory_) {
            d.add(RowHash().str(k).i64(v.available).i64(v.reserved).value());
        }
        r.emplace_back("Stock.Inventory", d);
        d = {};
        for (const auto& [k, v] : stockCopy_) {
            d.add(RowHash().str(k).i64(v).value());
        }
        r.emplace_back("Orders.StockCopy", d);
        d = {};
        for (const auto& [k, v] : status_) {
            d.add(RowHash()
                      .str(k)
                      .str(v.customer)
                      .str(v.product)
                      .i64(v.qty)
                      .i64(v.total)
                      .i64(v.state)
                      .value());
        }
        r.emplace_back("Orders.OrderStatus", d);
        d = {};
        for (const auto& [k, v] : customers_) {
            d.add(RowHash().str(k).str(v).value());
        }
        r.emplace_back("Orders.Customers", d);
        d = {};
        for (const auto& [k, v] : totals_) {
            d.add(RowHash().str(k).i64(v.orders).i64(v.spent).value());
        }
        r.emplace_back("Orders.CustomerTotals", d);
        d = {};
        for (const auto& [k, v] : hourly_) {
            d.add(RowHash().str(k.first).i64(k.second).i64(v).value());
        }
        r.emplace_back("Orders.HourlySales", d);
        d = {};
        for (const auto& [k, v] : view_) {
            d.add(RowHash().str(k).str(v.name).i64(v.state).value());
        }
        r.emplace_back("Orders.OrderView", d);
        d = {};
        for (const auto& [k, v] : due_) {
            d.add(RowHash().str(k).i64(v.amount).boolean(v.reserved).boolean(v.paid).value());
        }
        r.emplace_back("Payments.Due", d);
        d = {};
        for (const auto& [k, v] : toShip_) {
            d.add(RowHash().str(k).str(v.customer).str(v.product).i64(v.qty).value());
        }
        r.emplace_back("Shipments.ToShip", d);
        d = {};
        for (const auto& [k, v] : dispatched_) {
            d.add(RowHash().str(k).i64(v.shipments).i64(v.last).value());
        }
        r.emplace_back("Shipments.Dispatched", d);
        d = {};
        d.count = lateHourly_ + lateJoin_;
        r.emplace_back("late events", d);
        return r;
    }

private:
    struct Inventory {
        std::int64_t available = 0;
        std::int64_t reserved = 0;
    };
    struct Status {
        std::string customer;
        std::string product;
        std::int64_t qty = 0;
        std::int64_t total = 0;
        std::int64_t state = Placed;
    };
    struct Totals {
        std::int64_t orders = 0;
        std::int64_t spent = 0;
    };
    struct View {
        std::string name;
        std::int64_t state = Placed;
    };
    struct Due {
        std::int64_t amount = 0;
        bool reserved = false;
        bool paid = false;
    };
    struct ToShip {
        std::string customer;
        std::string product;
        std::int64_t qty = 0;
    };
    struct Dispatched {
        std::int64_t shipments = 0;
        std::int64_t last = 0;
    };
    /// PaidOrders: events buffered per order id, in arrival order.
    struct Buffered {
        std::int64_t seq;
        std::int64_t time;
        std::int64_t amount;  // payments
    };
    struct Expiry {
        std::int64_t due;
        std::int64_t seq;
        bool payment;
        std::string key;
        bool operator>(const Expiry& o) const { return due != o.due ? due > o.due : seq > o.seq; }
    };

    void orderPlaced(const void* row, std::int64_t time, std::vector<Out>& outbox) {
        std::string_view orderId = getStr(row, id_.opOrderId);
        std::string_view customer = getStr(row, id_.opCustomer);
        std::string_view product = getStr(row, id_.opProduct);
        std::int64_t qty = getInt(row, id_.opQty);
        std::int64_t price = getInt(row, id_.opPrice);
        std::int64_t total = qty * price;  // small by construction: no overflow
        // Stock: reserve or say why not.
        auto inv = inventory_.find(asKey(product));
        if ((inv != inventory_.end() ? inv->second.available : 0) >= qty) {
            outbox.push_back(
                Out{id_.stockReserved, std::string(orderId), std::string(product), {}, qty});
        } else {
            outbox.push_back(Out{id_.stockShort, std::string(orderId), std::string(product), {}});
        }
        // Orders: the order's status (and its view row), the aggregates, the streams.
        Status& s = status_[asKey(orderId)];
        std::string before = s.customer;
        s.customer = customer;
        s.product = product;
        s.qty = qty;
        s.total = total;
        s.state = Placed;
        statusChanged(orderId, before, s);
        Totals& t = totals_[asKey(customer)];
        ++t.orders;
        t.spent += total;
        hourlySale(product, qty, time);
        if (qty >= 100) {
            outbox.push_back(Out{id_.bigOrders, std::string(orderId), {}, {}, qty});
        }
        auto sc = stockCopy_.find(asKey(product));
        if (sc != stockCopy_.end()) {
            outbox.push_back(
                Out{id_.orderWithStock, std::string(orderId), {}, {}, qty, sc->second});
        }
        outbox.push_back(Out{id_.orderMaybeStock,
                             std::string(orderId),
                             {},
                             {},
                             0,
                             sc != stockCopy_.end() ? sc->second : 0,
                             sc != stockCopy_.end()});
        paidOrdersLeft(orderId, time, outbox);
        // Payments: what it costs.
        due_[asKey(orderId)].amount = total;
        // Shipments: where it goes.
        ToShip& ship = toShip_[asKey(orderId)];
        ship.customer = customer;
        ship.product = product;
        ship.qty = qty;
    }

    void paymentReceived(const void* row, std::int64_t time, std::vector<Out>& outbox) {
        std::string_view orderId = getStr(row, id_.prOrderId);
        std::int64_t amount = getInt(row, id_.prAmount);
        // Orders
        setState(orderId, Paid);
        paidOrdersRight(orderId, amount, time, outbox);
        // Payments
        due_[asKey(orderId)].paid = true;
        // Shipments: ship it if it is still wanted.
        auto ship = toShip_.find(asKey(orderId));
        if (ship != toShip_.end()) {
            outbox.push_back(Out{id_.shipmentDispatched, std::string(orderId),
                                 ship->second.customer, ship->second.product, ship->second.qty,
                                 time});
        }
    }

    void orderCancelled(const void* row) {
        std::string_view orderId = getStr(row, id_.ocOrderId);
        std::string_view product = getStr(row, id_.ocProduct);
        std::int64_t qty = getInt(row, id_.ocQty);
        bool wasReserved = getBool(row, id_.ocWasReserved);
        Inventory& inv = inventory_[asKey(product)];  // the handler creates the row
        if (wasReserved) {
            inv.reserved -= qty;
            inv.available += qty;
        }
        std::int64_t& copy = stockCopy_[asKey(product)];
        if (wasReserved) {
            copy += qty;
        }
        setState(orderId, Cancelled);
        due_.erase(asKey(orderId));
        toShip_.erase(asKey(orderId));
    }

    void customerRegistered(std::string_view customer, std::string_view name) {
        customers_[asKey(customer)] = name;
        // OrderView: every order naming the customer.
        auto named = byCustomer_.find(asKey(customer));
        if (named == byCustomer_.end()) {
            return;
        }
        for (const std::string& order : named->second) {
            View& v = view_[order];
            v.name = name;
            v.state = status_.find(order)->second.state;
        }
    }

    /// An OrderStatus handler that sets the state (and creates the row if it is missing).
    void setState(std::string_view orderId, State state) {
        auto [it, created] = status_.try_emplace(asKey(orderId));
        if (!created && it->second.state == state) {
            return;
        }
        std::string customer = it->second.customer;
        it->second.state = state;
        statusChanged(orderId, customer, it->second);
    }

    /// OrderView = OrderStatus join Customers on the customer: the order's row follows its
    /// status, listed under the customer it names.
    void statusChanged(std::string_view orderId, const std::string& oldCustomer, const Status& s) {
        if (oldCustomer != s.customer) {
            auto old = byCustomer_.find(asKey(oldCustomer));
            if (old != byCustomer_.end()) {
                old->second.erase(asKey(orderId));
            }
        }
        byCustomer_[asKey(s.customer)].emplace(orderId);
        auto c = customers_.find(asKey(s.customer));
        if (c == customers_.end()) {
            view_.erase(asKey(orderId));
            return;
        }
        View& v = view_[asKey(orderId)];
        v.name = c->second;
        v.state = s.state;
    }

    /// HourlySales: tumbling 1h grace 5m, sum(qty) per product; late events are dropped.
    void hourlySale(std::string_view product, std::int64_t qty, std::int64_t time) {
        hourlyMax_ = hourlyStarted_ ? std::max(hourlyMax_, time) : time;
        hourlyStarted_ = true;
        std::int64_t watermark = hourlyMax_ - kGrace;
        std::int64_t start = time / kHour * kHour;  // times are positive
        if (start + kHour <= watermark) {
            ++lateHourly_;
            return;
        }
        hourly_[{std::string(product), start}] += qty;
    }

    /// PaidOrders = OrderPlaced join PaymentReceived on the order id within 1h.
    bool joinLate(std::int64_t time) {
        if (joinStarted_ && time < joinMax_ - kHour) {
            ++lateJoin_;
            return true;
        }
        return false;
    }

    void joinAdvance(bool payment, std::string_view key, std::int64_t seq, std::int64_t time) {
        expiries_.push(Expiry{time + kHour + 1, seq, payment, std::string(key)});
        joinMax_ = joinStarted_ ? std::max(joinMax_, time) : time;
        joinStarted_ = true;
        std::int64_t watermark = joinMax_ - kHour;
        while (!expiries_.empty() && expiries_.top().due <= watermark) {
            const Expiry& e = expiries_.top();
            auto& lists = e.payment ? payments_ : orders_;
            auto it = lists.find(asKey(e.key));
            if (it != lists.end()) {
                auto& v = it->second;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (v[i].seq == e.seq) {
                        v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
                        break;
                    }
                }
                if (v.empty()) {
                    lists.erase(it);
                }
            }
            expiries_.pop();
        }
    }

    void paidOrdersLeft(std::string_view orderId, std::int64_t time, std::vector<Out>& outbox) {
        if (joinLate(time)) {
            return;
        }
        auto p = payments_.find(asKey(orderId));
        if (p != payments_.end()) {
            for (const Buffered& b : p->second) {
                if (time - b.time <= kHour && b.time - time <= kHour) {
                    outbox.push_back(Out{id_.paidOrders, std::string(orderId), {}, {}, b.amount});
                }
            }
        }
        std::int64_t seq = joinSeq_++;
        orders_[asKey(orderId)].push_back(Buffered{seq, time, 0});
        joinAdvance(false, orderId, seq, time);
    }

    void paidOrdersRight(std::string_view orderId, std::int64_t amount, std::int64_t time,
                         std::vector<Out>& outbox) {
        if (joinLate(time)) {
            return;
        }
        auto o = orders_.find(asKey(orderId));
        if (o != orders_.end()) {
            for (const Buffered& b : o->second) {
                if (time - b.time <= kHour && b.time - time <= kHour) {
                    outbox.push_back(Out{id_.paidOrders, std::string(orderId), {}, {}, amount});
                }
            }
        }
        std::int64_t seq = joinSeq_++;
        payments_[asKey(orderId)].push_back(Buffered{seq, time, amount});
        joinAdvance(true, orderId, seq, time);
    }

    const Ids& id_;
    absl::flat_hash_map<std::string, Inventory> inventory_;
    absl::flat_hash_map<std::string, std::int64_t> stockCopy_;
    absl::flat_hash_map<std::string, Status> status_;
    absl::flat_hash_map<std::string, std::string> customers_;
    absl::flat_hash_map<std::string, Totals> totals_;
    absl::flat_hash_map<std::pair<std::string, std::int64_t>, std::int64_t> hourly_;
    absl::flat_hash_map<std::string, View> view_;
    absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> byCustomer_;
    absl::flat_hash_map<std::string, Due> due_;
    absl::flat_hash_map<std::string, ToShip> toShip_;
    absl::flat_hash_map<std::string, Dispatched> dispatched_;
    absl::flat_hash_map<std::string, std::vector<Buffered>> orders_, payments_;
    std::priority_queue<Expiry, std::vector<Expiry>, std::greater<Expiry>> expiries_;
    std::int64_t joinSeq_ = 0, joinMax_ = 0, hourlyMax_ = 0;
    bool joinStarted_ = false, hourlyStarted_ = false;
    std::uint64_t lateHourly_ = 0, lateJoin_ = 0;
};

/// The emitted events' digests, one per output type (Ids::outputs order).
struct Emitted {
    std::vector<Digest> digests;
    explicit Emitted(std::size_t n) : digests(n) {}
    Results results(const Program& p, const Ids& id) const {
        Results r;
        for (std::size_t i = 0; i < id.outputs.size(); ++i) {
            r.emplace_back(p.plan.events[static_cast<std::size_t>(id.outputs[i])].name + " (event)",
                           digests[i]);
        }
        return r;
    }
};

std::size_t outputIndex(const Ids& id, std::int32_t type) {
    for (std::size_t i = 0; i < id.outputs.size(); ++i) {
        if (id.outputs[i] == type) {
            return i;
        }
    }
    return id.outputs.size();
}

std::uint64_t hashOut(const Ids& id, const Out& e) {
    RowHash h;
    h.str(e.a);
    if (e.type == id.stockReserved) {
        h.str(e.b).i64(e.x);
    } else if (e.type == id.stockShort) {
        h.str(e.b);
    } else if (e.type == id.bigOrders || e.type == id.paidOrders) {
        h.i64(e.x);
    } else if (e.type == id.orderWithStock) {
        h.i64(e.x).i64(e.y);
    } else if (e.type == id.orderMaybeStock) {
        e.has ? h.i64(e.y) : h.none();
    } else if (e.type == id.shipmentDispatched) {
        h.str(e.b).str(e.c).i64(e.x).i64(e.y);
    }
    return h.value();
}

Run baseline(const Program& p, const Ids& id, const Inputs& inputs) {
    Shop shop(id);
    std::vector<Out> outbox;
    for (const Input& in : inputs.setup) {
        shop.process(in, outbox);
    }
    outbox.clear();
    Emitted emitted(id.outputs.size());
    Stopwatch sw;
    const std::vector<Input>& timed = inputs.timed;
    for (std::size_t i = 0; i < timed.size();) {
        std::size_t end = std::min<std::size_t>(timed.size(), i + kObserveEvery);
        sw.start();
        outbox.clear();
        for (; i < end; ++i) {
            shop.process(timed[i], outbox);
        }
        sw.stop();
        for (const Out& e : outbox) {
            emitted.digests[outputIndex(id, e.type)].add(hashOut(id, e));
        }
    }
    Results r = emitted.results(p, id);
    for (auto& t : shop.tables()) {
        r.push_back(std::move(t));
    }
    return Run{Rate{sw.wall(), sw.cpu(), timed.size()}, std::move(r)};
}

Run flowRun(const Program& p, const Ids& id, const Inputs& inputs, const Options& o) {
    EngineRun run(p, o);
    flow::rt::Engine& engine = run.engine();
    drive(engine, inputs.setup, o, nullptr);
    Emitted emitted(id.outputs.size());
    std::vector<const flow::rt::plan::Layout*> layouts;
    for (std::int32_t t : id.outputs) {
        layouts.push_back(&p.eventLayout(t));
    }
    Rate rate = drive(engine, inputs.timed, o, [&](const std::vector<flow::rt::EventRecord>& rs) {
        for (const auto& r : rs) {
            std::size_t i = outputIndex(id, r.type);
            if (i < id.outputs.size()) {
                emitted.digests[i].add(hashAbiRow(*layouts[i], r.row.data()));
            }
        }
    });
    Results r = emitted.results(p, id);
    for (std::int32_t t : id.tables) {
        r.emplace_back(p.plan.tables[static_cast<std::size_t>(t)].name, tableDigest(engine, p, t));
    }
    Digest late;
    late.count = engine.lateEvents();
    r.emplace_back("late events", late);
    return Run{rate, std::move(r)};
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parseOptions(argc, argv, "the shop estate (examples/shop/shop.flow)", 500'000, 1);
    Program p = Program::load();
    Ids id(p);
    std::printf("shop: %llu products, %llu customers, then %llu events (orders, payments, "
                "restocks, cancellations, renames), batches of %llu (seed %llu)\n",
                static_cast<unsigned long long>(kProducts),
                static_cast<unsigned long long>(kCustomers),
                static_cast<unsigned long long>(o.events), static_cast<unsigned long long>(o.batch),
                static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);
    Inputs inputs = generate(p, id, o);
    return runWorkload(
        "shop", o, [&] { return flowRun(p, id, inputs, o); },
        [&] { return baseline(p, id, inputs); }, "4_services");
}
