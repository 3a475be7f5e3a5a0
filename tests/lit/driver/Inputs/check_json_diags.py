#!/usr/bin/env python3
"""tests/lit/driver/Inputs/check_json_diags.py - the JSON diagnostics of diag_two_errors.flow.

Usage: check_json_diags.py DIAGNOSTICS.json
Asserts the array holds the two errors with file, line, column, code, message and notes
(a located note for the duplicate, a hint without a location for the unknown field).
"""
import json
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        diags = json.load(f)
    assert isinstance(diags, list) and len(diags) == 2, diags
    for d in diags:
        for field in ("file", "line", "column", "endLine", "endColumn", "severity", "code",
                      "message", "notes"):
            assert field in d, (field, d)
        assert d["file"].endswith("diag_two_errors.flow"), d["file"]
        assert d["severity"] == "error", d
        assert isinstance(d["notes"], list), d
    dup, field = diags
    assert (dup["line"], dup["column"], dup["endColumn"]) == (7, 9, 13), dup
    assert dup["code"] == "E0202", dup
    assert dup["message"] == "duplicate declaration of event 'Sold v1'", dup
    assert len(dup["notes"]) == 1, dup
    note = dup["notes"][0]
    assert note["message"] == "previously declared here", note
    assert note["file"].endswith("diag_two_errors.flow"), note
    assert (note["line"], note["column"]) == (3, 9), note
    assert (field["line"], field["column"]) == (13, 22), field
    assert field["code"] == "E0203", field
    assert field["message"] == "event 'Shop.Sold' has no field 'qtty'", field
    assert field["notes"] == [{"message": "did you mean 'qty'?"}], field
    print("check_json_diags.py: 2 diagnostics as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
