#!/usr/bin/env python3
"""bench/flow/perf_breakdown.py - a perf profile of the timed loop only.

Reads `perf script` output (call graphs) on stdin and keeps the samples whose stack holds
ROOT (default: the harness's timed loop, flow::bench::drive), so input generation, result
checks and teardown do not count. Prints, as % of those samples, the functions by
inclusive time (the function and what it calls) and by self time.

    perf script -i perf.data | bench/flow/perf_breakdown.py [--root REGEX] [--top N]
"""
import argparse
import re
import sys
from collections import Counter


def strip_args(sym: str) -> str:
    """Drops parameter lists (keeps template arguments, one level deep)."""
    out, depth, angle = [], 0, 0
    for ch in sym:
        if ch == "(":
            depth += 1
            continue
        if ch == ")":
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        if ch == "<":
            angle += 1
            if angle > 2:
                continue
        elif ch == ">":
            angle -= 1
            if angle >= 2:
                continue
        elif angle > 2:
            continue
        out.append(ch)
    return "".join(out)


def short(sym: str) -> str:
    """A readable name: no argument lists, no deep templates, lambdas by their function."""
    sym = sym.replace("(anonymous namespace)::", "")
    lam = re.search(r"_Function_handler<.*?, (.*)::\{lambda\(.*?\)#(\d+)\}", sym)
    if lam:
        sym = f"lambda #{lam.group(2)} in {strip_args(lam.group(1))}"
    else:
        sym = strip_args(sym)
    for ns in ("flow::rt::", "flow::bench::", "absl::debian3::", "std::__cxx11::"):
        sym = sym.replace(ns, "")
    sym = sym.replace("container_internal::", "").replace("basic_string<char, "
                                                          "std::char_traits<char>, "
                                                          "std::allocator<char> >", "string")
    return sym.strip()


def samples(lines):
    stack = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield stack
            stack = []
            continue
        if line[0] not in " \t":
            continue  # the sample's header line
        parts = line.strip().split(" ", 1)
        if len(parts) == 2:
            sym = re.sub(r"\s+\([^()]*\)$", "", parts[1])  # drop the " (dso)" suffix
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            stack.append(sym)
    if stack:
        yield stack


# Where a sample's time goes, by the first of these its stack holds (most specific
# first). The engine's own phases; the rest of Engine::Impl::process (or run, for an
# input that ingest processes at once) is operator work.
PHASES = [
    ("checkpoints (state snapshots)", r"Store::checkpoint"),
    ("emit derived events (encode, log append)", r"Engine::Impl::(emit|emitCaptured)\b"),
    ("read inputs (log cursor, envelope and row decode)", r"Engine::Impl::(peek|decode)\b"),
    ("prefetch (keys computed, slots fetched before an input is admitted)",
     r"Engine::Impl::prefetch(Group|Joined|ByFields)\b"),
    ("operators (handlers, aggregates, joins, kernels)", r"Engine::Impl::(process|run)\b"),
    ("ingest (encode, log append, dedup set, emitted() copy)", r"Engine::ingest"),
    ("other (wave loop, clearEmitted, harness)", r""),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=r"flow::bench::drive")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    root = re.compile(args.root)
    total = 0
    inclusive, self_, phases = Counter(), Counter(), Counter()
    kernels = 0
    compiled = [(label, re.compile(rx)) for label, rx in PHASES]
    for stack in samples(sys.stdin):
        if not any(root.search(f) for f in stack):
            continue
        total += 1
        self_[short(stack[0])] += 1
        if re.match(r"f_k\d+_", stack[0]):
            kernels += 1
        for label, rx in compiled:
            if any(rx.search(f) for f in stack):
                phases[label] += 1
                break
        for f in set(short(f) for f in stack):
            inclusive[f] += 1
    if total == 0:
        print("no samples under", args.root)
        return 1
    print(f"{total} samples in {args.root}\n")
    print("phase")
    for label, _ in PHASES:
        print(f"{100.0 * phases[label] / total:8.1f}%  {label}")
    print(f"{100.0 * kernels / total:8.1f}%  (self time in the generated kernels, f_k*)\n")
    print("inclusive  function (with what it calls)")
    for f, n in inclusive.most_common(args.top + 8):
        if n == total and f != short(args.root):
            continue  # main, _start, ...: every sample
        print(f"{100.0 * n / total:8.1f}%  {f}")
    print("\nself       function")
    for f, n in self_.most_common(args.top):
        print(f"{100.0 * n / total:8.1f}%  {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
