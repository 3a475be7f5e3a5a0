#!/usr/bin/env python3
"""tests/lang_both/differential_shop.py - random event streams through the shop on both backends.

Usage: differential_shop.py FLOWC SOURCE_ROOT [--seeds N] [--lines N] [--seed S]...

Each seed makes a random input of events and commands for examples/shop/shop.flow (stock
adjustments, orders of both event versions, payments right and wrong, cancellations,
rejected commands, int overflows, a malformed line now and then), runs it with
`flowc run --backend cpp` and `flowc run --backend llvm` into data directories of their
own, and compares byte for byte: what `run` printed (stdout, stderr, exit status), the
tables (`dump`), every stored event (`dump --events`), the table print of `run` without
--data, and `trace` of a few orders. Seeds are printed, so a failure can be replayed with
--seed. Without --seed: three fixed seeds and two new ones on every run.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

PRODUCTS = ["apple", "pear", "fig", "kiwi", "plum"]
CUSTOMERS = ["ann", "bob", "cy", "di", "eve"]
REASONS = ["Restock", "Correction", "Sale"]
INT64_MAX = 2**63 - 1


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def generate(seed, lines):
    """The input lines of one seed: every line has a time, so runs are deterministic."""
    rng = random.Random(seed)
    t = 1714550400 + rng.randrange(0, 86400)  # 2024-05-01
    orders = {}  # order id -> amount due
    out = []
    for _ in range(lines):
        t += rng.choice([0, 1, 30, 60, 300, 900, 1800, 5400])
        if rng.random() < 0.05:
            t -= rng.randrange(0, 3600)  # late events
        when = stamp(t)
        kind = rng.choices(
            ["adjust", "adjusted", "register", "place", "placed_v1", "placed_v2", "pay",
             "paid", "cancel", "bad"],
            weights=[12, 8, 5, 20, 6, 6, 14, 3, 8, 1])[0]
        product = rng.choice(PRODUCTS)
        customer = rng.choice(CUSTOMERS)
        if kind == "adjust":
            delta = rng.choice([0, -3, -1, 5, 10, 30, rng.randrange(-50, 50)])
            line = {"command": "Stock.AdjustStock", "time": when,
                    "data": {"product": product, "delta": delta, "reason": rng.choice(REASONS)}}
        elif kind == "adjusted":
            delta = INT64_MAX if rng.random() < 0.1 else rng.randrange(-5, 40)
            data = {"product": product, "delta": delta}
            if rng.random() < 0.5:
                data["reason"] = rng.choice(REASONS)
            line = {"event": "Stock.StockAdjusted", "time": when, "data": data}
        elif kind == "register":
            name = "" if rng.random() < 0.1 else customer.capitalize()
            line = {"command": "Orders.RegisterCustomer", "time": when,
                    "data": {"customer_id": customer, "name": name}}
        elif kind in ("place", "placed_v1", "placed_v2"):
            reuse = orders and rng.random() < 0.15
            order = rng.choice(sorted(orders)) if reuse else "o%d" % (len(orders) + 1)
            qty = rng.choice([-1, 0, 1, 2, 3, 5, 8, 100, 150])
            price = 2**62 if rng.random() < 0.05 else rng.randrange(0, 20)
            data = {"order_id": order, "customer": customer, "product": product, "qty": qty,
                    "price": price}
            if kind == "place":
                line = {"command": "Orders.PlaceOrder", "time": when, "data": data}
            elif kind == "placed_v1":
                line = {"event": "Orders.OrderPlaced", "version": 1, "time": when, "data": data}
            else:
                data["currency"] = rng.choice(["EUR", "USD"])
                line = {"event": "Orders.OrderPlaced", "time": when, "data": data}
            if not reuse and qty * price < 2**63:
                orders[order] = qty * price
        elif kind in ("pay", "paid"):
            order = rng.choice(sorted(orders)) if orders else "o0"
            due = orders.get(order, 0)
            amount = due if rng.random() < 0.7 else due + rng.choice([-1, 1, 10])
            name = "Payments.Pay" if kind == "pay" else "Payments.PaymentReceived"
            line = {"command" if kind == "pay" else "event": name, "time": when,
                    "data": {"order_id": order, "amount": amount}}
        elif kind == "cancel":
            order = rng.choice(sorted(orders)) if orders else "o0"
            line = {"command": "Orders.CancelOrder", "time": when, "data": {"order_id": order}}
        else:
            out.append('{"event":"Stock.StockAdjusted","time":' + json.dumps(when) + ',"data":{')
            continue
        out.append(json.dumps(line, separators=(",", ":")))
    return out, sorted(orders)[:3]


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def outputs(flowc, shop, backend, work, orders):
    """Everything a backend's runs print for the input in `work`, by name."""
    data = os.path.join(work, "data-" + backend)
    b = ["--backend", backend]
    got = {}
    got["run"] = run([flowc, "run", shop, *b, "--data", data, "--input", "input.jsonl"], work)
    got["dump"] = run([flowc, "dump", shop, *b, "--data", data], work)
    got["dump --events"] = run([flowc, "dump", shop, *b, "--data", data, "--events"], work)
    got["run (no --data)"] = run([flowc, "run", shop, *b, "--input", "input.jsonl"], work)
    for order in orders:
        got["trace " + order] = run([flowc, "trace", shop, *b, "--data", data, order], work)
    return got


def first_difference(a, b):
    la, lb = a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<end>"
        y = lb[i] if i < len(lb) else "<end>"
        if x != y:
            return "line %d:\n      cpp:  %s\n      llvm: %s" % (i + 1, x, y)
    return "(same lines; different bytes)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flowc")
    ap.add_argument("root")
    ap.add_argument("--seed", type=int, action="append", default=[])
    ap.add_argument("--seeds", type=int, default=2, help="new random seeds besides the fixed ones")
    ap.add_argument("--lines", type=int, default=300)
    args = ap.parse_args()
    flowc = os.path.abspath(args.flowc)
    shop = os.path.join(os.path.abspath(args.root), "examples", "shop", "shop.flow")
    seeds = args.seed or [1, 2, 3] + [random.SystemRandom().randrange(1, 2**31)
                                      for _ in range(args.seeds)]
    failures = 0
    for seed in seeds:
        work = tempfile.mkdtemp(prefix="flow-diff-%d-" % seed)
        try:
            lines, orders = generate(seed, args.lines)
            with open(os.path.join(work, "input.jsonl"), "w") as f:
                f.write("\n".join(lines) + "\n")
            cpp = outputs(flowc, shop, "cpp", work, orders)
            llvm = outputs(flowc, shop, "llvm", work, orders)
            problems = []  # the input stays in `work` when there are any
            for name in cpp:
                (rc_a, out_a, err_a), (rc_b, out_b, err_b) = cpp[name], llvm[name]
                if rc_a != rc_b:
                    problems.append("%s: exit status %d (cpp) vs %d (llvm)" % (name, rc_a, rc_b))
                if out_a != out_b:
                    problems.append("%s: stdout differs at %s" %
                                    (name, first_difference(out_a, out_b)))
                if err_a != err_b:
                    problems.append("%s: stderr differs at %s" %
                                    (name, first_difference(err_a, err_b)))
            rows = cpp["dump"][1].count(b"\n")
            events = cpp["dump --events"][1].count(b"\n")
            errors = cpp["run"][2].count(b"\n")
            if problems:
                failures += 1
                print("FAIL  seed %d (%d lines): the backends differ (input kept in %s)" %
                      (seed, len(lines), work))
                for p in problems:
                    print("      " + p)
            else:
                print("PASS  seed %d: %d input lines, %d table rows, %d events, %d stderr lines, "
                      "%d traces identical" % (seed, len(lines), rows, events, errors, len(orders)))
                shutil.rmtree(work, ignore_errors=True)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    print("differential: %d seeds, %d differ" % (len(seeds), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
