#!/usr/bin/env python3
"""tests/lit/limits/Inputs/gen.py - writes big or odd Flow inputs for the limits tests.

Usage: gen.py SHAPE N OUT   (OUT is a file, or a directory for 'imports')
"""
import os
import random
import sys


def expr_file(expr):
    return "service S {\n  query Q() = " + expr + ";\n}\n"


def main():
    shape, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if shape == "imports":
        # A root importing n empty files.
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "root.flow"), "w") as f:
            for i in range(n):
                f.write(f'import "f{i}.flow";\n')
        for i in range(n):
            with open(os.path.join(out, f"f{i}.flow"), "w") as f:
                f.write(f"service F{i} {{ }}\n")
        return
    if shape == "import-chain":
        # f0 imports f1 imports ... f(n-1).
        os.makedirs(out, exist_ok=True)
        for i in range(n):
            with open(os.path.join(out, f"f{i}.flow"), "w") as f:
                if i + 1 < n:
                    f.write(f'import "f{i + 1}.flow";\n')
                f.write(f"service F{i} {{ }}\n")
        return
    mode = "w"
    if shape == "parens":
        text = expr_file("(" * n + "1" + ")" * n)
    elif shape == "neg":
        text = expr_file("- " * n + "1")
    elif shape == "bang":
        text = expr_file("!" * n + "true")
    elif shape == "exists":
        text = expr_file("exists " * n + "T[1]")
    elif shape == "chain":
        text = expr_file("+".join(["1"] * n))
    elif shape == "members":
        text = expr_file("x" + ".a" * n)
    elif shape == "calls":
        text = expr_file("f" + "()" * n)
    elif shape == "braces":
        text = "service S { command C() " + "{ if true " * n + "{ }" + " }" * n + " }\n"
    elif shape == "bang-parens":
        # Prefix operators between brackets: each run is short, the whole is deep.
        text = expr_file(("!" * 200 + "(") * n + "true" + ")" * n)
    elif shape == "minus-parens":
        # Binary minus before each bracket: only the brackets nest.
        text = expr_file("1 - (" * n + "1" + ")" * n)
    elif shape == "else-if":
        text = "service S {\n  command C(x: int) { " + "if x > 0 { } else " * n + "{ } }\n}\n"
    elif shape == "one-line-services":
        # n services on one line (4 tokens each), then a duplicate of the first.
        text = "".join(f"service S{i} {{ }} " for i in range(n)) + "service S0 { }\n"
    elif shape == "one-line-tokens":
        # n tokens on one line that are no declaration.
        text = "; " * n + "\n"
    elif shape == "bad-members":
        # n words that are no member of a service: an error after every other token.
        text = "service S {\n" + "  a;\n" * n + "}\n"
    elif shape == "bad-escapes":
        # One string with n invalid escapes.
        text = expr_file('"' + "\\q" * n + '"')
    elif shape == "valid-events":
        # Distinct services and events, up to n bytes.
        parts, size, i = [], 0, 0
        while size < n:
            s = f"service S{i} {{ event E{i} {{ key id: string; n: int = 0; }} }}\n"
            parts.append(s)
            size += len(s)
            i += 1
        text = "".join(parts)
    elif shape == "same-event":
        # One event declared again and again in one service, up to n bytes.
        line = "  event E { key id: string; n: int = 0; }\n"
        text = "service S {\n" + line * (n // len(line)) + "}\n"
    elif shape == "comments":
        # n bytes of comment lines: a file that is big but trivial.
        line = "// just a comment\n"
        text = line * (n // len(line) + 1)
    elif shape == "garbage":
        rnd = random.Random(7)
        text = "".join(rnd.choice("#$`~^") for _ in range(n))
    elif shape == "bytes":
        rnd = random.Random(7)
        text = bytes(rnd.getrandbits(8) for _ in range(n))
        mode = "wb"
    elif shape == "bad-utf8":
        # Valid text with one invalid byte (a lone continuation byte) on line n.
        text = ("// line\n" * (n - 1)).encode() + b"service S { query Q() = \"a\x80b\"; }\n"
        mode = "wb"
    elif shape == "overlong-utf8":
        text = b"service S { query Q() = \"\xc0\xaf\"; }\n"
        mode = "wb"
    else:
        sys.exit(f"unknown shape {shape}")
    with open(out, mode) as f:
        f.write(text)


if __name__ == "__main__":
    main()
