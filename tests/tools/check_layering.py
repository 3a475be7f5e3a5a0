#!/usr/bin/env python3
"""tests/tools/check_layering.py - every #include respects STYLE.md §2's dependency table."""
import pathlib
import re
import sys

ALLOWED = {
    "support": set(),
    "ast": {"support"},
    "parse": {"ast", "support"},
    "sema": {"ast", "support"},
    "ir": {"support"},
    "lower": {"ast", "sema", "ir", "support"},
    "codegen": {"ir", "support"},
    "driver": None,  # everything
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Raw string literals hold generated code (codegen/cpp), whose includes are not ours.
RAW_STRING = re.compile(r'R"(\w*)\(.*?\)\1"', re.S)


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    problems = []
    for path in sorted((root / "compiler").rglob("*")):
        if path.suffix not in (".h", ".cpp", ".def"):
            continue
        module = path.relative_to(root / "compiler").parts[0]
        allowed = ALLOWED.get(module)
        if allowed is None:
            continue
        for inc in INCLUDE.findall(RAW_STRING.sub('', path.read_text())):
            top = inc.split("/")[0]
            if "/" not in inc:
                continue  # generated parser headers, stdlib_embedded.h
            if top == module or top in allowed:
                continue
            if module == "codegen" and inc == "flow/rt/abi.h":
                continue
            problems.append(f"{path.relative_to(root)}: '{module}' may not include \"{inc}\"")
    for path in sorted((root / "runtime").rglob("*")) if (root / "runtime").exists() else []:
        if path.suffix in (".h", ".cpp"):
            for inc in INCLUDE.findall(path.read_text()):
                if inc.split("/")[0] in ALLOWED:
                    problems.append(f"{path.relative_to(root)}: the runtime may not include \"{inc}\"")
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
