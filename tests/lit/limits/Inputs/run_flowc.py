#!/usr/bin/env python3
"""tests/lit/limits/Inputs/run_flowc.py - runs flowc on hostile input and checks it failed well.

Usage: run_flowc.py [--expect-exit N] [--timeout S] FLOWC ARGS...
Prints flowc's stderr and stdout, then fails (exit 1) if flowc was killed by a signal,
printed a sanitizer report or an internal compiler error, ran longer than the timeout
(default 60 s) or exited with another status than expected (default 1).
"""
import subprocess
import sys


def main():
    args = sys.argv[1:]
    expect, timeout = 1, 60.0
    while args and args[0].startswith("--"):
        if args[0] == "--expect-exit":
            expect = int(args[1])
        elif args[0] == "--timeout":
            timeout = float(args[1])
        else:
            sys.exit(f"run_flowc.py: unknown option {args[0]}")
        args = args[2:]
    try:
        r = subprocess.run(args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"run_flowc.py: flowc did not finish within {timeout} s")
        return 1
    out = r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")
    sys.stdout.write(out)
    problems = []
    if r.returncode < 0:
        problems.append(f"flowc was killed by signal {-r.returncode}")
    elif r.returncode != expect:
        problems.append(f"flowc exited with {r.returncode}, expected {expect}")
    for marker in ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:",
                   "internal compiler error"):
        if marker in out:
            problems.append(f"flowc printed '{marker}'")
    for p in problems:
        print(f"run_flowc.py: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
