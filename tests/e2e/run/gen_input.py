#!/usr/bin/env python3
"""tests/e2e/run/gen_input.py N SEED - N input lines for the shop estate: stock, orders,
payments and cancellations over a few hundred products and customers, as JSON lines."""
import json
import random
import sys


def main() -> None:
    n, seed = int(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    products = [f"p{i}" for i in range(300)]
    customers = [f"c{i}" for i in range(500)]
    orders = []
    t = 1714550400  # 2024-05-01T08:00:00Z
    out = sys.stdout
    for i in range(n):
        t += rnd.randint(0, 3)
        time = f"{t}000000"
        r = rnd.random()
        if r < 0.2:
            line = {"event": "Stock.StockAdjusted",
                    "data": {"product": rnd.choice(products), "delta": rnd.randint(1, 20)}}
        elif r < 0.6 or not orders:
            oid = f"o{i}"
            qty, price = rnd.randint(1, 5), rnd.randint(1, 9)
            orders.append((oid, qty * price))
            line = {"event": "Orders.OrderPlaced",
                    "data": {"order_id": oid, "customer": rnd.choice(customers),
                             "product": rnd.choice(products), "qty": qty, "price": price}}
        elif r < 0.9:
            oid, amount = rnd.choice(orders)
            line = {"event": "Payments.PaymentReceived", "data": {"order_id": oid, "amount": amount}}
        else:
            oid, _ = rnd.choice(orders)
            line = {"event": "Orders.OrderCancelled",
                    "data": {"order_id": oid, "product": rnd.choice(products), "qty": 1,
                             "was_reserved": False}}
        line["time"] = int(time)
        out.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
