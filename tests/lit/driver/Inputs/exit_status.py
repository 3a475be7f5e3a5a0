#!/usr/bin/env python3
"""tests/lit/driver/Inputs/exit_status.py - runs a command and checks its exit status.

Usage: exit_status.py N COMMAND ARGS...
Passes the command's stdout and stderr through (stderr first, then stdout, so one
FileCheck can read both), and fails if the command exited with another status than N
or was killed by a signal.
"""
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: exit_status.py N COMMAND ARGS...")
    expect = int(sys.argv[1])
    r = subprocess.run(sys.argv[2:], capture_output=True)
    sys.stdout.write(r.stderr.decode("utf-8", "replace"))
    sys.stdout.write(r.stdout.decode("utf-8", "replace"))
    if r.returncode != expect:
        print(f"exit_status.py: exited with {r.returncode}, expected {expect}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
