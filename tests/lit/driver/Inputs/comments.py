#!/usr/bin/env python3
"""tests/lit/driver/Inputs/comments.py - two `flowc --emit=tokens` dumps hold the same comments.

Usage: comments.py BEFORE.tokens AFTER.tokens
Compares the text of every LINE_COMMENT and BLOCK_COMMENT token, in order: formatting
may move a comment, but never drops, duplicates, reorders or rewrites one.
"""
import sys


def comments(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3 and parts[1] in ("LINE_COMMENT", "BLOCK_COMMENT"):
                out.append(parts[2])
    return out


def main():
    before, after = comments(sys.argv[1]), comments(sys.argv[2])
    if not before:
        print("comments.py: no comments in the input")
        return 1
    if before != after:
        print("comments.py: the comments differ")
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else "(none)"
            a = after[i] if i < len(after) else "(none)"
            print(("  " if a == b else "! ") + b + "  ->  " + a)
        return 1
    print(f"comments.py: {len(before)} comments kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
