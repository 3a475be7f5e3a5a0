#!/usr/bin/env python3
"""tests/e2e/run/run_test.py FLOWC SOURCE_DIR WORK_DIR - `flowc run`, `dump` and `trace` on
the shop estate, end to end, with the real executables:

1. the scripted scenario (examples/shop/scenario.jsonl): the tables `flowc run` prints
   without --data, and `flowc dump` prints after a run with --data, equal the expected
   file; `flowc trace` tells one order's story across the four services; running the
   same input again appends nothing;
2. a second run with more input continues from the stored state: the same tables and
   events as one run over all of it;
3. kill -9 during `flowc run` on a large input, several times, then a run to the end:
   the same tables as an uninterrupted run, every event exactly once; the same with
   tests/lang/aggregates/single_view_ints.flow, whose inputs `ingest` hands straight to
   its one view;
4. runtime errors (tests/lang/aggregates/sum_overflow.flow, whose sums overflow):
   --on-error=stop stops at the first failing event with status 1 and keeps none of its
   effects; a run with the default skip then goes on from there, skips each failing
   event whole and ends with the same tables as one run with skip;
5. a data directory written before the logs kept a dictionary of types (records in
   envelope format 2, each naming its type; tests/e2e/run/format2_shop.tar.gz, written
   by rev 2e8bec6 from the shop and the input it holds) opens, and a run continues it:
   the same tables and events as one run over all of its input.
"""
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tarfile
import time

FLOWC, SRC, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
SHOP = os.path.join(SRC, "examples", "shop", "shop.flow")
HERE = os.path.join(SRC, "tests", "e2e", "run")
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def flowc(*args, check_status=True, cwd=None):
    r = subprocess.run([FLOWC, *args], capture_output=True, text=True, timeout=600, cwd=cwd)
    if check_status and r.returncode != 0:
        sys.exit(f"flowc {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
    return r


def fresh(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def tables(data, program=SHOP):
    return flowc("dump", program, "--data", data).stdout


def events(data, program=SHOP):
    """Every stored event by id, and how many times each id is stored."""
    lines = flowc("dump", program, "--data", data, "--events").stdout.splitlines()
    by_id, count = {}, collections.Counter()
    for line in lines:
        e = json.loads(line)
        count[e["id"]] += 1
        by_id[e["id"]] = (e["event"], json.dumps(e["data"], sort_keys=True), e["causation"])
    return by_id, count


def scenario():
    inp = os.path.join(SRC, "examples", "shop", "scenario.jsonl")
    with open(os.path.join(HERE, "shop_scenario.tables")) as f:
        expected = f.read()
    r = flowc("run", SHOP, "--input", inp)
    check(r.stdout == expected, "run without --data prints the expected tables")
    check("2 rejected" in r.stderr and "insufficient stock" in r.stderr,
          "run reports the rejected commands")
    data = fresh("scenario")
    flowc("run", SHOP, "--data", data, "--input", inp)
    check(tables(data) == expected, "dump after run --data equals the expected tables")
    story = flowc("trace", SHOP, "--data", data, "o1").stdout
    for service, event in [("Orders", "OrderPlaced"), ("Stock", "StockReserved"),
                           ("Payments", "PaymentReceived"), ("Shipments", "ShipmentDispatched")]:
        check(f"{service} emitted {event} " in story, f"trace o1 shows {service} emitting {event}")
    first_id = story.split("[", 1)[1].split(",", 1)[0]
    by_id, _ = events(data)
    full = [i for i in by_id if i.startswith(first_id)]
    check(len(full) == 1 and flowc("trace", SHOP, "--data", data, full[0]).stdout.startswith(
        "request "), "trace by event id tells that event's request")
    before = events(data)
    r = flowc("run", SHOP, "--data", data, "--input", inp)
    check(events(data) == before, "the same input again appends nothing")
    check(tables(data) == expected, "the same input again leaves the tables as they were")
    # What an input causes is processed before the next input: the payment finds the
    # reservation the order caused, and the order ships (as in a test block).
    order = os.path.join(WORK, "order.jsonl")
    with open(order, "w") as f:
        f.write('{"event":"Stock.StockAdjusted","data":{"product":"p1","delta":10}}\n')
        f.write('{"event":"Orders.OrderPlaced","data":{"order_id":"o1","customer":"c",'
                '"product":"p1","qty":2,"price":3}}\n')
        f.write('{"event":"Payments.PaymentReceived","data":{"order_id":"o1","amount":6}}\n')
        f.write('{"event":"Stock.StockAdjusted","data":{"product":"p2","delta":10}}\n')
    status = [line for line in flowc("run", SHOP, "--input", order).stdout.splitlines()
              if '"Orders.OrderStatus"' in line]
    check(len(status) == 1 and '"state":"Shipped"' in status[0],
          "an input's consequences are processed before the next input")
    bad = os.path.join(WORK, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"event":"Stock.StockAdjusted","data":{"product":"kiwi","delta":1}}\n')
        f.write('{"event":"Stock.Nope","data":{}}\n')
        f.write('{"event":"Stock.StockAdjusted","data":{"delta":1}}\n')
        f.write('not json\n')
        f.write('{"event":"Orders.OrderWithStock","data":{"order_id":"x","wanted":1,"available":1}}\n')
    r = flowc("run", SHOP, "--input", bad)
    check(r.returncode == 0 and "ingested 1 events (4 bad lines)" in r.stderr,
          "bad lines are reported and skipped")
    for n in (2, 3, 4, 5):
        check(f"bad.jsonl:{n}: bad input:" in r.stderr, f"bad line {n} is named with its line")
    r = flowc("run", SHOP, "--input", bad, "--on-bad-input=fail", check_status=False)
    check(r.returncode == 1 and "bad.jsonl:2:" in r.stderr, "--on-bad-input=fail stops at line 2")


def generate(path, n, seed):
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_input.py"), str(n), str(seed)],
                       stdout=f, check=True)


def continuation():
    part1, part2 = os.path.join(WORK, "part1.jsonl"), os.path.join(WORK, "part2.jsonl")
    generate(part1, 3000, 11)
    generate(part2, 3000, 12)
    both = fresh("both")
    flowc("run", SHOP, "--data", both, "--input", part1, "--input", part2)
    steps = fresh("steps")
    flowc("run", SHOP, "--data", steps, "--input", part1)
    flowc("run", SHOP, "--data", steps, "--input", part2)
    check(tables(steps) == tables(both), "a second run continues from the stored state")
    check(events(steps) == events(both), "... and stores the same events")


def crashes():
    big = os.path.join(WORK, "big.jsonl")
    generate(big, int(os.environ.get("FLOW_E2E_EVENTS", "30000")), 7)
    killed_runs(SHOP, big, "crashed", "")


def single_view_crashes():
    """The same with a program whose one view reads each event alone, so that `ingest`
    hands every input straight to it (docs/runtime.md, "An input processed in
    `ingest`"), and the replay after a crash takes the wave loop instead."""
    prog = os.path.join(SRC, "tests", "lang", "aggregates", "single_view_ints.flow")
    big = os.path.join(WORK, "postings.jsonl")
    rnd = random.Random(5)
    with open(big, "w") as f:
        # (Four postings to one shop event, cheaper to process; at most 200,000.)
        for i in range(min(int(os.environ.get("FLOW_E2E_EVENTS", "30000")) * 4, 200000)):
            data = {"id": str(i), "account": f"a{rnd.randrange(1000)}",
                    "amount": rnd.randrange(-1000, 1000),
                    "fee": None if i % 7 == 0 else rnd.randrange(100)}
            f.write(json.dumps({"event": "Ledger.Posted", "data": data}) + "\n")
    killed_runs(prog, big, "crashed_view", " (one view reading the event alone)")


def killed_runs(program, big, name, label):
    """kill -9 during runs of `program` over `big`, then a run to the end, against one
    uninterrupted run."""
    calm = fresh(name + "_calm")
    started = time.monotonic()
    flowc("run", program, "--data", calm, "--input", big)
    full_run = time.monotonic() - started
    expected_tables = tables(calm, program)
    expected_events, _ = events(calm, program)
    data = fresh(name)
    rnd = random.Random(int(os.environ.get("FLOW_E2E_SEED", "1")))
    kills, cycles = 0, int(os.environ.get("FLOW_E2E_KILLS", "4"))
    for _ in range(cycles):
        p = subprocess.Popen([FLOWC, "run", program, "--data", data, "--input", big],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Each run gets a little further: together they cover most of the input.
        time.sleep(rnd.uniform(0.4, 1.0) * full_run / cycles)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        p.wait()
    flowc("run", program, "--data", data, "--input", big)
    got_events, count = events(data, program)
    print(f"      {kills} kills; {len(expected_events)} events; full run {full_run:.1f} s")
    check(kills > 0, "at least one run was killed mid-way" + label)
    check(tables(data, program) == expected_tables,
          "after kill -9 and a rerun: the same tables" + label)
    check(max(count.values()) == 1, "after kill -9 and a rerun: no event stored twice" + label)
    check(got_events == expected_events, "after kill -9 and a rerun: the same events" + label)


def on_error():
    lang = os.path.join(SRC, "tests", "lang", "aggregates")
    prog = os.path.join(lang, "sum_overflow.flow")
    inp = os.path.join(lang, "sum_overflow.input.jsonl")
    with open(os.path.join(lang, "sum_overflow.tables.expected")) as f:
        expected = f.read()
    data = fresh("on_error")
    r = flowc("run", prog, "--data", data, "--input", inp, "--on-error=stop", check_status=False)
    errors = [line for line in r.stderr.splitlines() if "int overflow" in line]
    check(r.returncode == 1 and len(errors) == 1 and "table Ledger.Hopping" in errors[0],
          "--on-error=stop: status 1 at the first failing event, reported once")
    dumped = flowc("dump", prog, "--data", data).stdout
    # Input line 6 (h3, 5) overflows the hopping windows: the five before it are applied,
    # nothing of it is, in any table.
    check('"account":"h","n":2}' in dumped and '"id":"h3"' not in dumped and
          '"account":"h","postings":2,"total":9223372036854775797,' in dumped,
          "--on-error=stop: the failing event left no trace in any table")
    r = flowc("run", prog, "--data", data, "--input", inp)
    check(r.returncode == 0 and "5 failed" in r.stderr,
          "a run with skip goes on and skips the five failing events")
    check(flowc("dump", prog, "--data", data).stdout == expected,
          "... and ends with the tables of one run with skip")
    lines = flowc("dump", prog, "--data", data, "--events").stdout.splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    check(len(ids) == 16 and len(set(ids)) == 16, "... with each input event stored once")


def old_format():
    work = fresh("format2")
    with tarfile.open(os.path.join(HERE, "format2_shop.tar.gz")) as t:
        t.extractall(work, filter="data")
    base = os.path.join(work, "format2")
    shop = os.path.join(base, "shop.flow")
    part1 = os.path.join(base, "part1.jsonl")
    data = os.path.join(base, "data")
    orders_log = os.path.join(data, "Orders", "log")
    with open(os.path.join(orders_log, "00000000000000000000.seg"), "rb") as f:
        old = f.read()
    check(b"Orders.OrderPlaced" in old and not os.path.exists(os.path.join(orders_log, "types")),
          "the old data directory's records name their types, and it has no dictionary")
    # An input line's id is derived from the file's name as given, its line number and
    # its text: the archive's data was written by `flowc run shop.flow --data data
    # --input part1.jsonl` in its directory, so the runs here are made the same way.
    before = tables(data, shop)
    one = fresh("format2-one")
    flowc("run", shop, "--data", one, "--input", "part1.jsonl", cwd=base)
    check(before == tables(one, shop), "an old data directory reads as it was written")
    flowc("run", shop, "--data", data, "--input", "part2.jsonl", cwd=base)
    both = fresh("format2-both")
    flowc("run", shop, "--data", both, "--input", "part1.jsonl", "--input", "part2.jsonl",
          cwd=base)
    check(tables(data, shop) == tables(both, shop),
          "an old data directory continued: the same tables as one run")
    got, count = events(data, shop)
    check(got == events(both, shop)[0] and max(count.values()) == 1,
          "... and the same events, each once")
    flowc("run", shop, "--data", data, "--input", "part1.jsonl", cwd=base)
    check(events(data, shop)[0] == got, "the old input again appends nothing")
    with open(os.path.join(orders_log, "00000000000000000000.seg"), "rb") as f:
        grown = f.read()
    with open(os.path.join(orders_log, "types")) as f:
        names = f.read().splitlines()
    check(names[0] == "flow log types 1" and "Orders.OrderPlaced" in names[1:-1] and
          names[-1].startswith("checksum "), "the continued log has a dictionary of types")
    check(grown.count(b"Orders.OrderPlaced") == old.count(b"Orders.OrderPlaced"),
          "its new records name their types by number")
    with open(part1) as f:
        placed = next(json.loads(line) for line in f if "OrderPlaced" in line)
    story = flowc("trace", shop, "--data", data, placed["data"]["order_id"]).stdout
    check("Orders emitted OrderPlaced " in story and "Stock emitted " in story,
          "trace tells an order of the old records across services")


def main():
    os.makedirs(WORK, exist_ok=True)
    flowc("build", SHOP, "-o", os.path.join(WORK, "shop"))  # warm the cache
    scenario()
    continuation()
    on_error()
    old_format()
    crashes()
    single_view_crashes()
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("all checks passed")


if __name__ == "__main__":
    main()
