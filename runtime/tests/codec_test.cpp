// runtime/tests/codec_test.cpp - the row codec and the envelope: round trips and hostile bytes.
#include "flow/rt/codec.h"
#include "flow/rt/envelope.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <xxhash.h>

using namespace flow::rt;

namespace {

Schema orderSchema() {
    Schema s;
    s.name = "Orders.OrderPlaced";
    s.fields = {
        {"order_id", FieldType::String, false, {}},
        {"qty", FieldType::Int, false, {}},
        {"price", FieldType::Float, false, {}},
        {"paid", FieldType::Bool, false, {}},
        {"at", FieldType::Timestamp, false, {}},
        {"within", FieldType::Duration, true, {}},
        {"state", FieldType::Enum, false, {"Placed", "Reserved", "Shipped"}},
        {"note", FieldType::String, true, {}},
    };
    s.keyIndex = 0;
    return s;
}

Value randomValue(const FieldSpec& f, std::mt19937_64& rng) {
    if (f.optional && rng() % 4 == 0) {
        return Value{};
    }
    switch (f.type) {
    case FieldType::Bool:
        return Value{rng() % 2 == 0};
    case FieldType::Int:
    case FieldType::Timestamp:
    case FieldType::Duration: {
        std::int64_t choices[] = {0, -1, 1, INT64_MIN, INT64_MAX, static_cast<std::int64_t>(rng())};
        return Value{choices[rng() % 6]};
    }
    case FieldType::Enum:
        return Value{static_cast<std::int64_t>(rng() % f.enumValues.size())};
    case FieldType::Float:
        return Value{static_cast<double>(static_cast<std::int64_t>(rng())) / 7.0};
    case FieldType::String: {
        std::string s;
        std::size_t n = rng() % 20;
        for (std::size_t i = 0; i < n; ++i) {
            s += static_cast<char>('a' + rng() % 26);
        }
        if (rng() % 3 == 0) {
            s += "\xC3\xA9\xF0\x9F\x98\x80";  // é and an emoji
        }
        return Value{s};
    }
    }
    return Value{};
}

}  // namespace

TEST_CASE("rows round-trip through the codec") {
    Schema s = orderSchema();
    std::mt19937_64 rng(42);
    for (int i = 0; i < 2000; ++i) {
        Row row;
        for (const FieldSpec& f : s.fields) {
            row.push_back(randomValue(f, rng));
        }
        std::string bytes;
        REQUIRE(encodeRow(s, row, bytes).isOk());
        Row back;
        REQUIRE(decodeRow(s, bytes, back).isOk());
        REQUIRE(back == row);
    }
}

TEST_CASE("encoding rejects rows that do not fit the schema") {
    Schema s = orderSchema();
    Row row = {Value{std::string("o1")},
               Value{std::int64_t{1}},
               Value{1.0},
               Value{true},
               Value{std::int64_t{0}},
               Value{},
               Value{std::int64_t{7}},
               Value{}};  // enum index 7 of 3
    std::string bytes;
    CHECK(encodeRow(s, row, bytes).code() == StatusCode::InvalidArgument);
    row[6] = Value{std::int64_t{1}};
    row[0] = Value{};  // none in a non-optional field
    CHECK(encodeRow(s, row, bytes).code() == StatusCode::InvalidArgument);
    row.pop_back();
    CHECK(encodeRow(s, row, bytes).code() == StatusCode::InvalidArgument);
}

TEST_CASE("every truncation and every single-byte change of a row decodes or fails cleanly") {
    Schema s = orderSchema();
    Row row = {Value{std::string("order-1")},
               Value{std::int64_t{-5}},
               Value{2.5},
               Value{false},
               Value{std::int64_t{1700000000000000}},
               Value{std::int64_t{3600000000}},
               Value{std::int64_t{2}},
               Value{std::string("n\xC3\xA9")}};
    std::string bytes;
    REQUIRE(encodeRow(s, row, bytes).isOk());
    Row out;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        CHECK_FALSE(decodeRow(s, std::string_view(bytes).substr(0, n), out).isOk());
    }
    CHECK_FALSE(decodeRow(s, bytes + "x", out).isOk());  // trailing bytes
    int accepted = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string bad = bytes;
            bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
            Status st = decodeRow(s, bad, out);
            if (st.isOk()) {
                ++accepted;  // a flipped bit may still be a valid row: it must re-encode
                             // identically
                std::string again;
                REQUIRE(encodeRow(s, out, again).isOk());
                CHECK(again == bad);
            } else {
                CHECK(st.code() == StatusCode::Corruption);
            }
        }
    }
    CHECK(accepted < static_cast<int>(bytes.size() * 8));
}

TEST_CASE("every value has one encoding: longer varint spellings are refused") {
    Schema s;
    s.name = "S";
    s.fields = {{"n", FieldType::Int, false, {}}};
    Row out;
    CHECK(decodeRow(s, std::string("\x02", 1), out).isOk());
    CHECK(decodeRow(s, std::string("\x82\x00", 2), out).code() ==
          StatusCode::Corruption);  // 1 spelt in two bytes
    CHECK(decodeRow(s, std::string("\x80\x80\x00", 3), out).code() == StatusCode::Corruption);
    CHECK(decodeRow(s, std::string("\x80\x01", 2), out).isOk());  // 64: the second byte is needed
}

TEST_CASE("wire::varint writes the 7-bit groups of every value, within kMaxVarint, and the "
          "reader reads them back") {
    // What a varint is, one byte at a time.
    auto reference = [](std::uint64_t v) {
        std::string out;
        while (v >= 0x80) {
            out.push_back(static_cast<char>((v & 0x7F) | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<char>(v));
        return out;
    };
    std::vector<std::uint64_t> values{0, ~std::uint64_t{0}};
    for (int k = 1; k < 64; ++k) {
        const std::uint64_t b = std::uint64_t{1} << k;
        values.insert(values.end(), {b - 1, b, b + 1, b | (b >> 1), b * 3 / 2 - 1});
    }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 5000; ++i) {
        values.push_back(rng() >> (rng() % 64));
    }
    for (std::uint64_t v : values) {
        CAPTURE(v);
        char buf[wire::kMaxVarint + 8];
        std::memset(buf, 0x5A, sizeof buf);
        const char* end = wire::varint(buf, v);
        const std::string want = reference(v);
        REQUIRE(end - buf == static_cast<std::ptrdiff_t>(want.size()));
        CHECK(std::string(buf, want.size()) == want);
        CHECK(buf[wire::kMaxVarint] == 0x5A);  // nothing past the room it may use
        std::uint64_t back = 0;
        Reader r(std::string_view(buf, want.size()));
        REQUIRE(r.varint(back));
        CHECK(back == v);
        const auto z = static_cast<std::int64_t>(v);
        const char* zend = wire::zigzag(buf, z);
        std::int64_t zback = 0;
        Reader zr(std::string_view(buf, static_cast<std::size_t>(zend - buf)));
        REQUIRE(zr.zigzag(zback));
        CHECK(zback == z);
    }
}

TEST_CASE("strings must be valid UTF-8 and within the size bound") {
    Schema s;
    s.name = "S";
    s.fields = {{"s", FieldType::String, false, {}}};
    std::string bytes;
    putBytes(bytes, "\xFF\xFE");
    Row out;
    CHECK(decodeRow(s, bytes, out).code() == StatusCode::Corruption);
    std::string huge;
    putVarint(huge, kMaxStringBytes + 1);
    CHECK(decodeRow(s, huge, out).code() == StatusCode::Corruption);
    std::string overlong = "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01";  // an 11-byte varint
    CHECK(decodeRow(s, overlong, out).code() == StatusCode::Corruption);
}

TEST_CASE("envelopes round-trip and ids are deterministic") {
    Envelope e;
    e.id = deriveEventId(requestId("req-1"), 0);
    e.causation = requestId("req-1");
    e.correlation = requestId("req-1");
    e.time = 1704067200000000;
    e.seq = 12345;
    e.version = 2;
    e.ingest = 77;
    e.depth = 3;
    e.type = "Orders.OrderPlaced";
    e.key = "o1";
    std::string rec;
    encodeEnvelope(e, "payload", rec);
    Envelope back;
    std::string_view payload;
    REQUIRE(decodeEnvelope(rec, back, payload).isOk());
    CHECK(payload == "payload");
    CHECK(back.id == e.id);
    CHECK(back.causation == e.causation);
    CHECK(back.time == e.time);
    CHECK(back.seq == e.seq);
    CHECK(back.version == 2);
    CHECK(back.ingest == 77);
    CHECK(back.depth == 3);
    CHECK(back.type == e.type);
    CHECK(back.key == "o1");
    // Same causation and index, same id; different index or causation, different id.
    CHECK(deriveEventId(e.causation, 0) == e.id);
    CHECK_FALSE(deriveEventId(e.causation, 1) == e.id);
    CHECK_FALSE(deriveEventId(requestId("req-2"), 0) == e.id);
    EventId parsed;
    REQUIRE(EventId::fromHex(e.id.toHex(), parsed));
    CHECK(parsed == e.id);
    CHECK_FALSE(EventId::fromHex("xyz", parsed));
    CHECK_FALSE(randomEventId() == randomEventId());
    for (std::size_t n = 0; n < rec.size() - 7; ++n) {
        CHECK_FALSE(decodeEnvelope(std::string_view(rec).substr(0, n), back, payload).isOk());
    }
}

namespace {

Envelope shaped(const EventId& id, const EventId& causation, const EventId& correlation) {
    Envelope e;
    e.id = id;
    e.causation = causation;
    e.correlation = correlation;
    e.time = 1704067200000000;
    e.seq = 9;
    e.ingest = 4;
    e.depth = id == causation ? 0 : 2;
    e.type = "Orders.OrderPlaced";
    e.key = "o1";
    return e;
}

void checkSame(const Envelope& a, const Envelope& b) {
    CHECK(a.id == b.id);
    CHECK(a.causation == b.causation);
    CHECK(a.correlation == b.correlation);
    CHECK(a.time == b.time);
    CHECK(a.seq == b.seq);
    CHECK(a.version == b.version);
    CHECK(a.ingest == b.ingest);
    CHECK(a.depth == b.depth);
    CHECK(a.type == b.type);
    CHECK(a.key == b.key);
}

}  // namespace

TEST_CASE("writeEnvelope writes encodeEnvelope's bytes, within envelopeBound, at every extreme") {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 2000; ++round) {
        Envelope e;
        auto id = [&] {
            return EventId{rng(), rng()};
        };
        e.id = id();
        // The ids that equal another are left out: all the cases.
        e.causation = rng() % 2 == 0 ? e.id : id();
        e.correlation = rng() % 2 == 0 ? e.causation : id();
        auto extreme = [&]() -> std::uint64_t {
            switch (rng() % 4) {
            case 0:
                return 0;
            case 1:
                return ~std::uint64_t{0};
            case 2:
                return std::uint64_t{1} << (rng() % 64);
            default:
                return rng();
            }
        };
        e.time = static_cast<std::int64_t>(extreme());
        e.seq = extreme();
        e.ingest = extreme();
        e.version = static_cast<std::uint32_t>(extreme());
        e.depth = static_cast<std::uint32_t>(extreme());
        e.typeNumber = rng() % 2 == 0 ? 0 : static_cast<std::uint32_t>(extreme());
        e.type = std::string(rng() % 300, 't');
        e.key = std::string(rng() % 300, 'k');
        INFO("round " << round);
        std::string encoded;
        encodeEnvelope(e, {}, encoded);
        std::string written(envelopeBound(e) + 16, '\xEE');
        char* end = writeEnvelope(written.data(), e);
        const auto n = static_cast<std::size_t>(end - written.data());
        CHECK(n <= envelopeBound(e));
        CHECK(written.substr(0, n) == encoded);
        CHECK(written.substr(envelopeBound(e)) == std::string(16, '\xEE'));  // nothing past it
    }
}

TEST_CASE("envelope format 2 (the type by name) leaves out the ids that equal another, and "
          "reads format 1") {
    const EventId root = requestId("req-1");
    const EventId child = deriveEventId(root, 0);
    const EventId grandchild = deriveEventId(child, 0);
    // An input, what it caused directly, and what that caused: 32, 16 and 0 bytes saved.
    const Envelope input = shaped(root, root, root);
    const Envelope direct = shaped(child, root, root);
    const Envelope deeper = shaped(grandchild, child, root);
    std::size_t sizes[3];
    int n = 0;
    for (const Envelope* e : {&input, &direct, &deeper}) {
        std::string rec;
        encodeEnvelope(*e, "payload", rec);
        CHECK(static_cast<std::uint8_t>(rec[0]) == kEnvelopeFormat2);
        Envelope back;
        std::string_view payload;
        REQUIRE(decodeEnvelope(rec, back, payload).isOk());
        CHECK(payload == "payload");
        checkSame(back, *e);
        sizes[n++] = rec.size();
        for (std::size_t cut = 0; cut < rec.size() - 7; ++cut) {
            CHECK_FALSE(decodeEnvelope(std::string_view(rec).substr(0, cut), back, payload).isOk());
        }
    }
    CHECK(sizes[1] == sizes[0] + 16);
    CHECK(sizes[2] == sizes[1] + 16);

    SECTION("format 1, every id written out, is still read") {
        std::string rec(1, static_cast<char>(kEnvelopeFormat1));
        for (const EventId* id : {&deeper.id, &deeper.causation, &deeper.correlation}) {
            putFixed64(rec, id->hi);
            putFixed64(rec, id->lo);
        }
        putZigzag(rec, deeper.time);
        putVarint(rec, deeper.seq);
        putVarint(rec, deeper.version);
        putVarint(rec, deeper.ingest);
        putVarint(rec, deeper.depth);
        putBytes(rec, deeper.type);
        putBytes(rec, deeper.key);
        rec += "payload";
        Envelope back;
        std::string_view payload;
        REQUIRE(decodeEnvelope(rec, back, payload).isOk());
        CHECK(payload == "payload");
        checkSame(back, deeper);
    }
    SECTION("unknown flags and ids written out although a flag could name them are refused") {
        std::string rec;
        encodeEnvelope(input, "", rec);
        Envelope back;
        std::string_view payload;
        std::string unknown = rec;
        unknown[1] = static_cast<char>(unknown[1] | 4);
        CHECK(decodeEnvelope(unknown, back, payload).code() == StatusCode::Corruption);
        // The input's envelope with its flags cleared and all three ids written out.
        std::string spelled(1, static_cast<char>(kEnvelopeFormat2));
        spelled.push_back(0);
        for (int i = 0; i < 3; ++i) {
            putFixed64(spelled, root.hi);
            putFixed64(spelled, root.lo);
        }
        spelled += rec.substr(2 + 16);
        CHECK(decodeEnvelope(spelled, back, payload).code() == StatusCode::Corruption);
        for (char f : {0, 4, 9}) {
            std::string unknownFormat = rec;
            unknownFormat[0] = f;
            CHECK(decodeEnvelope(unknownFormat, back, payload).code() == StatusCode::Corruption);
        }
    }
}

TEST_CASE("envelope format 3 names the type by its number in the log's dictionary") {
    LogTypes types;
    REQUIRE(*types.add("Orders.OrderPlaced") == 1);
    REQUIRE(*types.add("Orders.OrderPaid") == 2);
    CHECK(types.find("Orders.OrderPaid") == 2);
    CHECK(types.find("Orders.Nope") == 0);
    CHECK(types.name(0) == nullptr);
    CHECK(types.name(3) == nullptr);
    CHECK(*types.name(1) == "Orders.OrderPlaced");

    const EventId root = requestId("req-1");
    const EventId child = deriveEventId(root, 0);
    const EventId grandchild = deriveEventId(child, 0);
    for (const Envelope& shape :
         {shaped(root, root, root), shaped(child, root, root), shaped(grandchild, child, root)}) {
        Envelope e = shape;
        e.type = "Orders.OrderPaid";
        e.key.clear();
        e.typeNumber = 2;
        std::string rec;
        encodeEnvelope(e, "payload", rec);
        CHECK(static_cast<std::uint8_t>(rec[0]) == kEnvelopeFormat);
        Envelope back;
        std::string_view payload;
        REQUIRE(decodeEnvelope(rec, back, payload, &types).isOk());
        CHECK(payload == "payload");
        checkSame(back, e);
        CHECK(back.typeNumber == 2);
        // One byte for the type where format 2 has its name and an empty key.
        e.typeNumber = 0;
        std::string named;
        encodeEnvelope(e, "payload", named);
        CHECK(named.size() == rec.size() + e.type.size() + 1);
        // The same bytes again from what was read.
        std::string again;
        encodeEnvelope(back, "payload", again);
        CHECK(again == rec);
        for (std::size_t cut = 0; cut < rec.size() - 7; ++cut) {
            CHECK_FALSE(
                decodeEnvelope(std::string_view(rec).substr(0, cut), back, payload, &types).isOk());
        }
        // Without its log's dictionary, or with one that lacks the number, it cannot be read.
        CHECK(decodeEnvelope(rec, back, payload).code() == StatusCode::Corruption);
        LogTypes shorter;
        REQUIRE(shorter.add("Orders.OrderPlaced"));
        Status missing = decodeEnvelope(rec, back, payload, &shorter);
        CHECK(missing.code() == StatusCode::Corruption);
        CHECK(missing.message().find("type number 2") != std::string::npos);
        // Type number 0 is no type.
        std::string zero = rec;
        zero[zero.size() - std::string_view("payload").size() - 1] = 0;
        CHECK(decodeEnvelope(zero, back, payload, &types).code() == StatusCode::Corruption);
    }
}

TEST_CASE("a log's dictionary of types: names, the file form, and what it refuses") {
    LogTypes types;
    REQUIRE(types.add("Orders.OrderPlaced"));
    REQUIRE(types.add("Stock.Réservé"));
    for (std::string_view bad :
         {std::string_view(""), std::string_view("a\nb"), std::string_view("\xff\xfe"),
          std::string_view("Orders.OrderPlaced")}) {
        CHECK(types.add(bad).status().code() == StatusCode::InvalidArgument);
    }
    CHECK_FALSE(types.add(std::string(kMaxTypeBytes + 1, 'x')));
    CHECK(types.size() == 2);

    const std::string file = types.encode();
    CHECK(file.rfind("flow log types 1\nOrders.OrderPlaced\nStock.Réservé\nchecksum ", 0) == 0);
    LogTypes back;
    REQUIRE(LogTypes::decode(file, "types", back).isOk());
    CHECK(back.size() == 2);
    CHECK(*back.name(2) == "Stock.Réservé");
    REQUIRE(LogTypes::decode(LogTypes().encode(), "types", back).isOk());
    CHECK(back.size() == 0);

    // What the checksum line of `body` would be.
    auto sealed = [](std::string body) {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016" PRIx64,
                      static_cast<std::uint64_t>(XXH3_64bits(body.data(), body.size())));
        return body + "checksum " + hex + "\n";
    };
    CHECK(sealed("flow log types 1\nOrders.OrderPlaced\nStock.Réservé\n") == file);
    auto refused = [](const std::string& text) {
        LogTypes out;
        Status st = LogTypes::decode(text, "DIR/types", out);
        return st.code() == StatusCode::Corruption && st.message().rfind("DIR/types: ", 0) == 0;
    };
    std::string flipped = file;
    flipped[20] ^= 1;
    CHECK(refused(flipped));
    CHECK(refused(file.substr(0, file.size() - 1)));
    CHECK(refused(file.substr(0, file.find("checksum"))));
    CHECK(refused(""));
    CHECK(refused("flow log types 2\n"));
    CHECK(refused(sealed("flow log types 2\nA.B\n")));
    CHECK(refused(sealed("flow log types 1\nA.B\nA.B\n")));
    CHECK(refused(sealed("flow log types 1\nA.B\n\n")));
    CHECK(refused(sealed("flow log types 1\n\xff\n")));
    CHECK(refused(sealed("flow log types 1\nA.B")));

    SECTION("kept in the log's directory") {
        testing::TempDir dir;
        FileSystem& fs = posixFileSystem();
        LogTypes loaded;
        REQUIRE(LogTypes::load(fs, dir.path, loaded).isOk());
        CHECK(loaded.size() == 0);
        REQUIRE(types.save(fs, dir.path).isOk());
        REQUIRE(LogTypes::load(fs, dir.path, loaded).isOk());
        CHECK(loaded.size() == 2);
        CHECK(loaded.find("Stock.Réservé") == 2);
        std::string text;
        REQUIRE(fs.readFile(dir.path + "/types", text).isOk());
        CHECK(text == file);
        REQUIRE(fs.writeFileAtomic(dir.path + "/types", flipped).isOk());
        CHECK(LogTypes::load(fs, dir.path, loaded).code() == StatusCode::Corruption);
    }
}

TEST_CASE("event ids are the same in every build: logs written before replay the same") {
    // Values from the first implementation (a heap buffer of domain, NUL and data). A
    // change here would make a replay emit again what is already in the logs.
    const EventId root = requestId("req-1");
    CHECK(root.toHex() == "fcb54476b116fc5851f0026a227823b2");
    CHECK(deriveEventId(root, 7).toHex() == "e00fddb07438085d6bc246f3432de8fb");
    CHECK(deriveEventId(root, "Orders.OnPlace", 2).toHex() == "a98bac4323b7414bbb1098b07f03315a");
    // A key longer than the stack buffer.
    CHECK(requestId(std::string(300, 'x')).toHex() == "46e26fc661490a94ef15069fd8d0fb30");
}
