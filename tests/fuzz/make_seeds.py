#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py - seed corpora for the decoder and log-recovery fuzzers.

Writes a few envelope+row records in the runtime's formats (see flow/rt/codec.h and
envelope.h) and a bare log segment header (flow/rt/event_log.h)."""
import struct
import sys
import zlib


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    return varint((n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1)


def blob(b):
    return varint(len(b)) + b


def row(i):
    # id, n, f?, b, t?, e, s?, d  -> bitmap for 3 optionals (f, t, s): f absent
    bitmap = bytes([0b001])
    return (bitmap + blob(b"order-%d" % i) + zigzag(i * 7 - 3) + b"\x01" + zigzag(1700000000000000 + i)
            + varint(i % 3) + blob("caf\u00e9".encode()) + zigzag(3600000000))


def envelope_head(i):
    return zigzag(1704067200000000 + i) + varint(i) + varint(1) + varint(i) + varint(i % 3)


def envelope_rest(i, payload):
    return envelope_head(i) + blob(b"Fuzz.Event") + blob(b"order-%d" % i) + payload


def envelope1(i, payload):
    """Format 1: all three ids."""
    ids = struct.pack("<QQQQQQ", i, i + 1, i + 2, i + 3, i + 4, i + 5)
    return b"\x01" + ids + envelope_rest(i, payload)


def envelope2(i, payload):
    """Format 2: flags (bit 0: causation is the id, bit 1: correlation is the causation),
    then the ids the flags do not name."""
    flags = i % 4
    ids = struct.pack("<QQ", i, i + 1)
    if not flags & 1:
        ids += struct.pack("<QQ", i + 2, i + 3)
    if not flags & 2:
        ids += struct.pack("<QQ", i + 4, i + 5)
    return b"\x02" + bytes([flags]) + ids + envelope_rest(i, payload)


def envelope3(i, payload):
    """Format 3: as format 2, then the type's number in the log's dictionary (the
    decoder fuzzer's has two types) and no key."""
    ids = envelope2(i, b"")[1:-len(envelope_rest(i, b""))]
    return b"\x03" + ids + envelope_head(i) + varint(1 + i % 2) + payload


def main():
    dec, log = sys.argv[1], sys.argv[2]
    for i in range(4):
        r = row(i)
        open(f"{dec}/row{i}", "wb").write(r)
        open(f"{dec}/env{i}", "wb").write(envelope1(i, r))
        open(f"{dec}/env2-{i}", "wb").write(envelope2(i, r))
        open(f"{dec}/env3-{i}", "wb").write(envelope3(i, r))
    # Valid segments need the XXH3 frame checksum: the log fuzzer writes those seeds
    # itself (FLOW_FUZZ_SEED_DIR). Here only the bare segment header.
    header = b"FLOWSEG1" + struct.pack("<Q", 0)
    open(f"{log}/header", "wb").write(header + struct.pack("<I", zlib.crc32(header)))

if __name__ == "__main__":
    main()
