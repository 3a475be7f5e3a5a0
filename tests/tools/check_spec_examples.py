#!/usr/bin/env python3
"""tests/tools/check_spec_examples.py - every ```flow example of docs/LANGUAGE.md appears,
verbatim up to whitespace, in a tests/lit/spec file (which lit then checks)."""
import pathlib
import re
import sys


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    spec = (root / "docs" / "LANGUAGE.md").read_text()
    blocks = re.findall(r"```flow\n(.*?)```", spec, re.S)
    corpus = " ".join(squash(p.read_text()) for p in sorted((root / "tests" / "lit" / "spec").rglob("*.flow")))
    missing = [b for b in blocks if squash(b) not in corpus]
    for b in missing:
        print("LANGUAGE.md example not covered by tests/lit/spec:\n" + b)
    print(f"{len(blocks) - len(missing)}/{len(blocks)} LANGUAGE.md examples covered")
    return 1 if missing or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
