#!/usr/bin/env python3
"""tests/tools/check_diag_coverage.py - every diagnostic code has a negative test under tests/lit."""
import pathlib
import subprocess
import sys


def main() -> int:
    flowc, root = sys.argv[1], pathlib.Path(sys.argv[2])
    listing = subprocess.run([flowc, "--list-diagnostics"], check=True, capture_output=True, text=True).stdout
    codes = [line.split()[0] for line in listing.splitlines() if line.strip()]
    text = ""
    for path in (root / "tests" / "lit").rglob("*"):
        if path.is_file():
            text += path.read_text(errors="replace")
    missing = [c for c in codes if f"[{c}]" not in text]
    for c in missing:
        print(f"diagnostic {c} has no negative test in tests/lit (expected-error {{{{... [{c}]}}}})")
    print(f"{len(codes) - len(missing)}/{len(codes)} diagnostic codes covered")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
