// runtime/tests/rows_test.cpp - ABI rows: ownership, equality, the binary codec, JSON, time text.
#include "flow/rt/codec.h"
#include "flow/rt/rows.h"
#include "row_test_util.h"

#include <catch2/catch.hpp>

#include <absl/hash/hash.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using namespace flow::rt;
using namespace flow::rt::testing;
using plan::Scalar;

namespace {

std::string str(const OwnedRow& row, std::size_t i) {
    const plan::Field& f = row.layout()->fields[i];
    FlowStr s{};
    std::memcpy(&s, static_cast<const std::uint8_t*>(row.data()) + valueAt(f), sizeof s);
    return s.len > 0 ? std::string(s.ptr, static_cast<std::size_t>(s.len)) : std::string();
}

std::int64_t intAt(const void* row, const plan::Field& f) {
    std::int64_t v = 0;
    std::memcpy(&v, static_cast<const std::uint8_t*>(row) + valueAt(f), 8);
    return v;
}

/// Orders.OrderPlaced-like: every scalar type, optionals among them.
struct OrderFixture {
    plan::Program program = programWithEnums();
    OrderFixture() {
        program.layouts.push_back(makeLayout(0, "Orders.OrderPlaced",
                                             {{"order_id", Scalar::String},
                                              {"qty", Scalar::Int},
                                              {"price", Scalar::Float},
                                              {"paid", Scalar::Bool},
                                              {"at", Scalar::Timestamp},
                                              {"within", Scalar::Duration, true},
                                              {"state", Scalar::Enum, false, 0},
                                              {"note", Scalar::String, true},
                                              {"rush", Scalar::Bool, true}}));
    }
    const plan::Layout& layout() const { return program.layouts[0]; }
    RawRow sample() const {
        RawRow r(layout());
        r.setString(0, "o-1").setInt(1, 3).setFloat(2, 2.5).setBool(3, true);
        r.setInt(4, 1704067200000000).setInt(5, 90000000).setInt(6, 2);
        r.setString(7, "leave at the door").setAbsent(8);
        return r;
    }
};

}  // namespace

// ---- OwnedRow -------------------------------------------------------------------------

TEST_CASE("OwnedRow: a new row is zero, a copy owns its strings", "[rows]") {
    OrderFixture fx;
    OwnedRow empty;
    CHECK(empty.empty());
    CHECK(empty.hash() == 0);
    CHECK(empty == OwnedRow());

    OwnedRow zero(&fx.layout());
    CHECK_FALSE(zero.empty());
    CHECK(str(zero, 0).empty());
    CHECK(intAt(zero.data(), fx.layout().fields[1]) == 0);

    OwnedRow copy;
    {
        RawRow raw = fx.sample();
        copy = OwnedRow(&fx.layout(), raw.data());
        CHECK(rowsEqual(fx.layout(), copy.data(), raw.data()));
    }  // the source's strings are gone
    CHECK(str(copy, 0) == "o-1");
    CHECK(str(copy, 7) == "leave at the door");
    CHECK_FALSE(copy == zero);

    OwnedRow second(copy);
    CHECK(second == copy);
    CHECK(second.hash() == copy.hash());
    copy = zero;
    CHECK(str(second, 7) == "leave at the door");
    CHECK(copy == zero);
}

TEST_CASE("OwnedRow: moves keep short (in-object) and long strings valid", "[rows]") {
    OrderFixture fx;
    for (std::string text : {std::string("ab"), std::string(100, 'x')}) {
        RawRow raw(fx.layout());
        raw.setString(0, text).setAbsent(7);
        OwnedRow a(&fx.layout(), raw.data());
        OwnedRow b(std::move(a));
        CHECK(str(b, 0) == text);
        CHECK(a.empty());  // NOLINT(bugprone-use-after-move): moved-from rows are empty
        OwnedRow c;
        c = std::move(b);
        CHECK(str(c, 0) == text);
        std::vector<OwnedRow> many;
        for (int i = 0; i < 40; ++i) {
            many.push_back(c);  // reallocation moves them all
        }
        for (const OwnedRow& r : many) {
            CHECK(str(r, 0) == text);
        }
        OwnedRow& self = c;
        c = self;
        CHECK(str(c, 0) == text);
    }
}

TEST_CASE("OwnedRow: rows on both sides of the inline size, through every operation", "[rows]") {
    // A key-like row: 24 bytes, so strings up to 24 bytes long keep it inside the object.
    plan::Program program = programWithEnums();
    program.layouts.push_back(makeLayout(0, "K", {{"k", Scalar::String}, {"n", Scalar::Int}}));
    const plan::Layout& l = program.layouts[0];
    auto make = [&](std::size_t len) {
        RawRow raw(l);
        raw.setString(0, std::string(len, static_cast<char>('a' + len % 26)))
            .setInt(1, static_cast<std::int64_t>(len));
        return OwnedRow(&l, raw.data());
    };
    auto check = [&](const OwnedRow& r, std::size_t len) {
        CHECK(str(r, 0) == std::string(len, static_cast<char>('a' + len % 26)));
        CHECK(intAt(r.data(), l.fields[1]) == static_cast<std::int64_t>(len));
    };
    const std::size_t lengths[] = {0, 1, 23, 24, 25, 40, 100, 1000};
    for (std::size_t a : lengths) {
        OwnedRow x = make(a);
        check(x, a);
        OwnedRow copy(x);
        check(copy, a);
        CHECK(copy == x);
        CHECK(copy.hash() == x.hash());
        for (std::size_t b : lengths) {
            OwnedRow y = make(b);
            OwnedRow target = make(a);
            target = y;  // copy-assign over a row of the other size
            check(target, b);
            CHECK(target == y);
            target.assign(x.data());  // deep copy over it again
            check(target, a);
            OwnedRow moved = make(b);
            moved = std::move(target);
            check(moved, a);
            moved.adoptStrings();
            check(moved, a);
            moved.reset(&l);
            CHECK(str(moved, 0).empty());
            CHECK(intAt(moved.data(), l.fields[1]) == 0);
        }
        std::vector<OwnedRow> many;
        for (int i = 0; i < 20; ++i) {
            many.push_back(x);  // growing moves them
        }
        for (const OwnedRow& r : many) {
            check(r, a);
        }
    }
}

TEST_CASE("OwnedRow: assign from itself and adoptStrings from an arena", "[rows]") {
    OrderFixture fx;
    RawRow raw = fx.sample();
    OwnedRow row(&fx.layout(), raw.data());
    row.assign(row.data());
    CHECK(str(row, 0) == "o-1");
    CHECK(str(row, 7) == "leave at the door");

    // A kernel writes field 7 from its arena and leaves field 0 pointing into the row.
    std::string arena = "from the arena";
    FlowStr s{arena.data(), static_cast<std::int64_t>(arena.size())};
    std::memcpy(static_cast<std::uint8_t*>(row.data()) + valueAt(fx.layout().fields[7]), &s,
                sizeof s);
    row.adoptStrings();
    arena.assign(arena.size(), '#');
    CHECK(str(row, 0) == "o-1");
    CHECK(str(row, 7) == "from the arena");
}

TEST_CASE("OwnedRow: adoptStrings takes strings from anywhere, the row's own bytes included",
          "[rows]") {
    plan::Program program = programWithEnums();
    // 64 bytes of row: on the heap whatever its strings, and reset keeps the block.
    program.layouts.push_back(makeLayout(0, "P",
                                         {{"a", Scalar::String},
                                          {"n", Scalar::Int},
                                          {"b", Scalar::String, true},
                                          {"c", Scalar::Int},
                                          {"d", Scalar::Int}}));
    // 48 bytes: inline with empty strings, on the heap once it has some.
    program.layouts.push_back(
        makeLayout(1, "S", {{"a", Scalar::String}, {"b", Scalar::String}, {"n", Scalar::Int}}));
    for (const plan::Layout* lp : {&program.layouts[0], &program.layouts[1]}) {
        const plan::Layout& l = *lp;
        const bool optionalB = l.fields[1].type.scalar != Scalar::String;
        const std::size_t ia = 0, ib = optionalB ? 2 : 1, in = optionalB ? 1 : 2;
        INFO("layout " << l.name << ", " << l.size << " bytes");
        auto expect = [&](const OwnedRow& r, const std::string& a, const std::string& b) {
            CHECK(str(r, ia) == a);
            CHECK(str(r, ib) == b);
            CHECK(intAt(r.data(), l.fields[in]) == 7);
            RawRow raw(l);
            raw.setString(ia, a).setInt(in, 7).setString(ib, b);
            const OwnedRow deep(&l, raw.data());
            CHECK(r == deep);
            CHECK(r.hash() == deep.hash());
            const OwnedRow copy(r);  // copies the bytes the row says it holds
            CHECK(copy == deep);
            OwnedRow moved(std::move(copy));
            CHECK(moved == deep);
        };
        // What a kernel leaves: the row reset, its strings pointing elsewhere.
        auto kernelWrites = [&](OwnedRow& r, std::string_view a, std::string_view b) {
            r.reset(&l);
            auto* w = static_cast<std::uint8_t*>(r.data());
            const FlowStr sa{a.data(), static_cast<std::int64_t>(a.size())};
            const FlowStr sb{b.data(), static_cast<std::int64_t>(b.size())};
            std::memcpy(w + valueAt(l.fields[ia]), &sa, sizeof sa);
            const std::int64_t n = 7;
            std::memcpy(w + valueAt(l.fields[in]), &n, sizeof n);
            if (l.fields[ib].type.optional) {
                w[l.fields[ib].offset] = 5;  // present (normalized to 1)
            }
            std::memcpy(w + valueAt(l.fields[ib]), &sb, sizeof sb);
        };
        std::string arenaA(60, 'x'), arenaB = "short";
        OwnedRow r;
        kernelWrites(r, arenaA, arenaB);
        r.adoptStrings();
        arenaA.assign(arenaA.size(), '#');
        expect(r, std::string(60, 'x'), "short");
        // Shorter strings: in the block the row has, where it keeps one.
        std::string a2 = "ab", b2(30, 'y');
        const void* before = r.data();
        kernelWrites(r, a2, b2);
        r.adoptStrings();
        if (l.size > 48) {
            CHECK(r.data() == before);
        }
        a2 = "##";
        b2.assign(b2.size(), '#');
        expect(r, "ab", std::string(30, 'y'));
        // Strings in the row's own memory (stale bytes past its end, as after a reset):
        // copied by way of a second buffer, not over themselves.
        OwnedRow own;
        const std::string ps(40, 'p');
        kernelWrites(own, ps, "qqqqqqqqqq");
        own.adoptStrings();
        if (l.size > 48) {
            // The block is kept: its old strings are still there to point at.
            const char* tail = static_cast<const char*>(own.data()) + l.size;
            kernelWrites(own, std::string_view(tail + 5, 30), std::string_view(tail + 38, 10));
            own.adoptStrings();
            expect(own, std::string(30, 'p'), "ppqqqqqqqq");
        }
        // Strings in the row's inline bytes, moved to a block of their own.
        OwnedRow inl;
        kernelWrites(inl, "", "");
        const char* inside = static_cast<const char*>(inl.data());
        if (l.size <= 48) {
            // (the row's own zero bytes, and a string made long enough to need a block)
            std::string longA(50, 'z');
            kernelWrites(inl, longA, std::string_view(inside, 4));
            inl.adoptStrings();
            CHECK(str(inl, ia) == longA);
            CHECK(str(inl, ib).size() == 4);
        }
        // Absent and empty strings.
        OwnedRow small;
        kernelWrites(small, "", "");
        if (l.fields[ib].type.optional) {
            static_cast<std::uint8_t*>(small.data())[l.fields[ib].offset] = 0;
        }
        small.adoptStrings();
        CHECK(str(small, ia).empty());
        CHECK(str(small, ib).empty());
    }
}

TEST_CASE("OwnedRow: assignFields leaves what a copy kernel and adoptStrings would", "[rows]") {
    OrderFixture fx;
    // The output: fields of the order in another order, a field nobody copies (zero).
    fx.program.layouts.push_back(makeLayout(1, "out",
                                            {{"note", Scalar::String, true},
                                             {"unset", Scalar::Int},
                                             {"order_id", Scalar::String},
                                             {"rush", Scalar::Bool, true},
                                             {"within", Scalar::Duration, true},
                                             {"qty", Scalar::Int}}));
    const plan::Layout& out = fx.program.layouts[1];
    auto expected = [&](const OwnedRow& from) {
        // What a kernel writes into a zeroed row (strings from `from`), then adopted.
        OwnedRow want(&out);
        auto* w = static_cast<std::uint8_t*>(want.data());
        const auto* f = static_cast<const std::uint8_t*>(from.data());
        const std::pair<int, int> copies[] = {{0, 7}, {2, 0}, {3, 8}, {4, 5}, {5, 1}};
        for (auto [to, field] : copies) {
            const plan::Field& df = out.fields[static_cast<std::size_t>(to)];
            const plan::Field& sf = fx.layout().fields[static_cast<std::size_t>(field)];
            std::uint32_t size =
                sf.type.scalar == Scalar::String ? 16 : (sf.type.scalar == Scalar::Bool ? 1 : 8);
            std::memcpy(w + df.offset, f + sf.offset, valueAt(sf) - sf.offset + size);
        }
        want.adoptStrings();
        return want;
    };
    const std::string longNote(100, 'n');  // past the row's in-object bytes
    for (const std::string& note : {std::string("leave at the door"), longNote, std::string()}) {
        RawRow raw = fx.sample();
        if (note.empty()) {
            raw.setAbsent(7);
        } else {
            raw.setString(7, note);
        }
        raw.setBool(8, true);
        auto source = std::make_unique<OwnedRow>(&fx.layout(), raw.data());
        OwnedRow row(&out);
        // Reused: a row that held a long string before holds a short one now, and back.
        for (int round = 0; round < 2; ++round) {
            const OwnedRow::FieldFrom from[] = {{source.get(), 8, 3},
                                                {source.get(), 0, 2},
                                                {source.get(), 7, 0},
                                                {source.get(), 1, 5},
                                                {source.get(), 5, 4}};
            row.assignFields(&out, from);
            OwnedRow want = expected(*source);
            CHECK(rowsEqual(out, row.data(), want.data()));
            CHECK(hashRow(out, row.data()) == hashRow(out, want.data()));
            CHECK(intAt(row.data(), out.fields[1]) == 0);
            CHECK(intAt(row.data(), out.fields[5]) == 3);
            CHECK(str(row, 2) == "o-1");
            CHECK(str(row, 0) == note);
        }
        // The row owns its strings: the source may go.
        source.reset();
        CHECK(str(row, 2) == "o-1");
        CHECK(str(row, 0) == note);
        OwnedRow copy = row;
        CHECK(str(copy, 0) == note);
    }
}

// ---- Equality, hashing, order ---------------------------------------------------------

TEST_CASE("rowsEqual/hashRow/compareRows agree, and ignore padding and absent values", "[rows]") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 300; ++round) {
        plan::Program program = programWithEnums();
        program.layouts.push_back(makeLayout(0, "R", randomFields(rng, program)));
        const plan::Layout& l = program.layouts[0];
        std::uint64_t seed = rng();
        RawRow a(l);
        RawRow b(l);
        std::mt19937_64 ra(seed);
        std::mt19937_64 rb(seed);
        randomize(a, program, ra);
        randomize(b, program, rb);
        // The same values over different noise.
        std::mt19937_64 noise(rng());
        RawRow c(l);
        {
            std::mt19937_64 rc(seed);
            randomize(c, program, rc);
        }
        INFO("round " << round);
        CHECK(rowsEqual(l, a.data(), b.data()));
        CHECK(hashRow(l, a.data()) == hashRow(l, b.data()));
        CHECK(compareRows(l, a.data(), b.data()) == 0);

        RawRow d(l);
        randomize(d, program, rng);
        bool eq = rowsEqual(l, a.data(), d.data());
        int ad = compareRows(l, a.data(), d.data());
        CHECK(eq == (ad == 0));
        CHECK(ad == -compareRows(l, d.data(), a.data()));
        if (eq) {
            CHECK(hashRow(l, a.data()) == hashRow(l, d.data()));
        }
        OwnedRow oa(&l, a.data());
        OwnedRow od(&l, d.data());
        CHECK((oa == od) == eq);
        CHECK(oa.hash() == hashRow(l, a.data()));
    }
}

TEST_CASE("hashFieldsOf/rowEqualsFieldsOf (KeyFields): a key row described by another row's fields "
          "hashes "
          "and compares as the key row made from them",
          "[rows]") {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 300; ++round) {
        plan::Program program = programWithEnums();
        std::vector<FieldDef> fields = randomFields(rng, program);
        program.layouts.push_back(makeLayout(0, "Event", fields));
        // The key: some of the event's fields, in another order.
        std::vector<std::int32_t> picked;
        std::vector<FieldDef> keyFields;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (rng() % 2 == 0) {
                picked.push_back(static_cast<std::int32_t>(i));
            }
        }
        std::shuffle(picked.begin(), picked.end(), rng);
        for (std::int32_t i : picked) {
            keyFields.push_back(fields[static_cast<std::size_t>(i)]);
        }
        program.layouts.push_back(makeLayout(1, "Key", keyFields));
        const plan::Layout& event = program.layouts[0];
        const plan::Layout& key = program.layouts[1];
        INFO("round " << round << ", " << picked.size() << " of " << fields.size() << " fields");

        auto keyOf = [&](const OwnedRow& e) {
            std::vector<OwnedRow::FieldFrom> from;
            for (std::size_t i = 0; i < picked.size(); ++i) {
                from.push_back({&e, picked[i], static_cast<std::int32_t>(i)});
            }
            OwnedRow k;
            k.assignFields(&key, from);
            return k;
        };
        const std::uint64_t seed = rng();
        RawRow a(event);
        {
            std::mt19937_64 ra(seed);
            randomize(a, program, ra);
        }
        OwnedRow ea(&event, a.data());
        OwnedRow ka = keyOf(ea);
        const KeyFields described(key, event, picked);
        CHECK(described.key() == &key);
        CHECK(described.from() == &event);
        const FieldsOf fa{described, ea.data()};
        CHECK(hashFieldsOf(fa) == hashRow(key, ka.data()));
        CHECK(rowEqualsFieldsOf(ka.data(), fa));
        // What the hash tables keep a row under.
        CHECK(tableHashOf(hashFieldsOf(fa)) == absl::Hash<OwnedRow>{}(ka));

        // Another event (half the time the same values): equal as fields exactly when
        // equal as key rows.
        RawRow b(event);
        std::mt19937_64 rb(rng() % 2 == 0 ? seed : rng());
        randomize(b, program, rb);
        OwnedRow eb(&event, b.data());
        OwnedRow kb = keyOf(eb);
        const FieldsOf fb{described, eb.data()};
        const bool equal = rowsEqual(key, ka.data(), kb.data());
        CHECK(rowEqualsFieldsOf(ka.data(), fb) == equal);
        CHECK(rowEqualsFieldsOf(kb.data(), fa) == equal);
        CHECK(hashFieldsOf(fb) == hashRow(key, kb.data()));
    }
}

TEST_CASE("rowsEqual: floats by value, none apart from every value", "[rows]") {
    plan::Program program = programWithEnums();
    program.layouts.push_back(makeLayout(
        0, "F", {{"x", Scalar::Float}, {"y", Scalar::Int, true}, {"s", Scalar::String}}));
    const plan::Layout& l = program.layouts[0];
    RawRow a(l);
    RawRow b(l);
    a.setFloat(0, 0.0).setInt(1, 0).setString(2, "");
    b.setFloat(0, -0.0).setInt(1, 0).setString(2, "");
    CHECK(rowsEqual(l, a.data(), b.data()));
    CHECK(hashRow(l, a.data()) == hashRow(l, b.data()));
    a.setFloat(0, std::nan("1"));
    b.setFloat(0, -std::numeric_limits<double>::quiet_NaN());
    CHECK(rowsEqual(l, a.data(), b.data()));
    CHECK(hashRow(l, a.data()) == hashRow(l, b.data()));
    b.setFloat(0, std::numeric_limits<double>::infinity());
    CHECK(compareRows(l, b.data(), a.data()) < 0);  // NaN sorts last

    b.setFloat(0, std::nan("1")).setAbsent(1);
    CHECK_FALSE(rowsEqual(l, a.data(), b.data()));
    CHECK(compareRows(l, b.data(), a.data()) < 0);  // none sorts first
    CHECK(hashRow(l, a.data()) != hashRow(l, b.data()));

    b.setInt(1, 0).setString(2, "a");
    a.setString(2, "");
    CHECK(compareRows(l, a.data(), b.data()) < 0);  // a proper prefix first
    a.setString(2, "\xC3\xA9");                     // é (U+00E9) after "z"
    b.setString(2, "z");
    CHECK(compareRows(l, a.data(), b.data()) > 0);
}

// ---- The binary format ----------------------------------------------------------------

TEST_CASE("encodeAbiRow writes encodeRow's bytes; decodeAbiRow reads them back", "[rows]") {
    std::mt19937_64 rng(11);
    for (int round = 0; round < 500; ++round) {
        plan::Program program = programWithEnums();
        program.layouts.push_back(makeLayout(0, "R", randomFields(rng, program)));
        const plan::Layout& l = program.layouts[0];
        RawRow raw(l);
        randomize(raw, program, rng);
        INFO("round " << round);

        std::string mine = "prefix";
        encodeAbiRow(l, raw.data(), mine);
        std::string theirs = "prefix";
        REQUIRE(encodeRow(schemaOf(program, l), dynamicRow(l, raw.data()), theirs).isOk());
        CHECK(mine == theirs);
        // writeAbiRow, which encodeAbiRow calls, stays within abiRowBound.
        CHECK(mine.size() - 6 <= abiRowBound(l, raw.data()));
        // A RowWriter of the layout writes the same bytes, within the same bound.
        const RowWriter writer(l);
        CHECK(writer.bound(raw.data()) == abiRowBound(l, raw.data()));
        std::string written(writer.bound(raw.data()), '\xEE');
        char* end = writer.write(written.data(), raw.data());
        CHECK(std::string_view(written.data(), static_cast<std::size_t>(end - written.data())) ==
              std::string_view(mine).substr(6));

        OwnedRow back;
        Status s = decodeAbiRow(program, l, std::string_view(mine).substr(6), back);
        REQUIRE(s.isOk());
        CHECK(rowsEqual(l, back.data(), raw.data()));
        // Decoding again into the same row reuses it.
        REQUIRE(decodeAbiRow(program, l, std::string_view(mine).substr(6), back).isOk());
        CHECK(rowsEqual(l, back.data(), raw.data()));
    }
}

TEST_CASE("decodeAbiRow: hostile bytes are errors, never crashes", "[rows]") {
    OrderFixture fx;
    const plan::Layout& l = fx.layout();
    RawRow raw = fx.sample();
    std::string good;
    encodeAbiRow(l, raw.data(), good);
    OwnedRow out;

    SECTION("every truncation and a trailing byte") {
        for (std::size_t n = 0; n < good.size(); ++n) {
            CHECK_FALSE(
                decodeAbiRow(fx.program, l, std::string_view(good).substr(0, n), out).isOk());
            CHECK(out.layout() == &l);
        }
        Status s = decodeAbiRow(fx.program, l, good + "x", out);
        CHECK(s.message() == "Orders.OrderPlaced: 1 trailing bytes");
    }
    SECTION("values out of range") {
        // The bitmap (1 byte), then order_id "o-1", qty, price, paid, at, within, state.
        std::string bad = good;
        std::size_t state = good.size() - 1 - (1 + 17);  // before note (1 + 17 bytes)
        REQUIRE(static_cast<unsigned char>(bad[state]) == 2);
        bad[state] = 3;
        Status s = decodeAbiRow(fx.program, l, bad, out);
        CHECK(s.code() == StatusCode::Corruption);
        CHECK(s.message() ==
              "Orders.OrderPlaced.state: invalid enum value at byte " + std::to_string(state + 1));
        bad = good;
        bad[2] = '\xFF';  // inside "o-1"
        CHECK(decodeAbiRow(fx.program, l, bad, out).message() ==
              "Orders.OrderPlaced.order_id: string is not valid UTF-8 at byte 5");
        bad = good;
        bad[0] = static_cast<char>(bad[0] | 0x80);  // an unused bitmap bit
        CHECK(decodeAbiRow(fx.program, l, bad, out).message() ==
              "Orders.OrderPlaced: invalid optional-field bitmap");
    }
    SECTION("random mutations: an accepted row re-encodes to the same bytes") {
        std::mt19937_64 rng(3);
        for (int i = 0; i < 3000; ++i) {
            std::string bad = good;
            int edits = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < edits; ++k) {
                switch (rng() % 3) {
                case 0:
                    bad[rng() % bad.size()] = static_cast<char>(rng());
                    break;
                case 1:
                    bad.insert(bad.begin() + static_cast<std::ptrdiff_t>(rng() % bad.size()),
                               static_cast<char>(rng()));
                    break;
                default:
                    bad.erase(bad.begin() + static_cast<std::ptrdiff_t>(rng() % bad.size()));
                    break;
                }
            }
            if (decodeAbiRow(fx.program, l, bad, out).isOk()) {
                std::string again;
                encodeAbiRow(l, out.data(), again);
                CHECK(again == bad);
            }
        }
    }
}

// ---- JSON -------------------------------------------------------------------------------

TEST_CASE("rowToJson: the documented forms", "[rows][json]") {
    OrderFixture fx;
    RawRow raw = fx.sample();
    CHECK(rowToJson(fx.program, fx.layout(), raw.data()).dump() ==
          R"({"order_id":"o-1","qty":3,"price":2.5,"paid":true,"at":"2024-01-01T00:00:00Z",)"
          R"("within":"1m30s","state":"Shipped","note":"leave at the door","rush":null})");
    raw.setFloat(2, std::nan("")).setInt(4, -1).setAbsent(5).setInt(6, 0).setBool(8, false);
    CHECK(rowToJson(fx.program, fx.layout(), raw.data()).dump() ==
          R"({"order_id":"o-1","qty":3,"price":"NaN","paid":true,)"
          R"("at":"1969-12-31T23:59:59.999999Z","within":null,"state":"Placed",)"
          R"("note":"leave at the door","rush":false})");
}

TEST_CASE("rowToJson then jsonToRow is the identity", "[rows][json]") {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 500; ++round) {
        plan::Program program = programWithEnums();
        program.layouts.push_back(makeLayout(0, "R", randomFields(rng, program)));
        const plan::Layout& l = program.layouts[0];
        RawRow raw(l);
        randomize(raw, program, rng);
        std::string text = rowToJson(program, l, raw.data()).dump();
        INFO(text);
        OwnedRow back;
        Status s = jsonToRow(program, l, nlohmann::json::parse(text), nullptr, true, back);
        REQUIRE(s.message() == "");
        CHECK(rowsEqual(l, back.data(), raw.data()));
    }
    // Floats JSON numbers cannot hold.
    plan::Program program = programWithEnums();
    program.layouts.push_back(makeLayout(0, "F", {{"x", Scalar::Float}}));
    for (double d : {std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), std::nan("")}) {
        RawRow raw(program.layouts[0]);
        raw.setFloat(0, d);
        OwnedRow back;
        REQUIRE(jsonToRow(program, program.layouts[0],
                          rowToJson(program, program.layouts[0], raw.data()), nullptr, true, back)
                    .isOk());
        CHECK(rowsEqual(program.layouts[0], back.data(), raw.data()));
    }
}

TEST_CASE("jsonToRow: alternative inputs, defaults and missing fields", "[rows][json]") {
    OrderFixture fx;
    const plan::Layout& l = fx.layout();
    OwnedRow out;
    auto read = [&](const char* text, const void* defaults, bool requireAll) {
        return jsonToRow(fx.program, l, nlohmann::json::parse(text), defaults, requireAll, out);
    };
    // Integers for timestamps and durations; an integer for a float; offsets in timestamps.
    REQUIRE(read(R"({"order_id":"x","qty":-4,"price":7,"paid":false,"at":5,"within":-90000000,
                     "state":"Reserved","note":null})",
                 nullptr, true)
                .isOk());
    CHECK(intAt(out.data(), l.fields[4]) == 5);
    CHECK(intAt(out.data(), l.fields[5]) == -90000000);
    REQUIRE(read(R"({"order_id":"x","qty":1,"price":1.0,"paid":true,
                     "at":"2024-01-01T01:00:00+01:00","state":"Placed"})",
                 nullptr, true)
                .isOk());
    CHECK(intAt(out.data(), l.fields[4]) == 1704067200000000);
    CHECK(static_cast<const std::uint8_t*>(out.data())[l.fields[5].offset] == 0);  // none

    // Missing fields: an error when all are required, zero otherwise, defaults if given.
    CHECK(read(R"({"order_id":"x"})", nullptr, true).message() == "missing field 'qty'");
    REQUIRE(read(R"({"order_id":"x"})", nullptr, false).isOk());
    CHECK(intAt(out.data(), l.fields[1]) == 0);
    RawRow defaults = fx.sample();
    // Only fields declared with a default may be left out; here every one is.
    CHECK(read(R"({"qty":9,"note":null})", defaults.data(), true).message() ==
          "missing field 'order_id'");
    plan::Layout& declared = fx.program.layouts[static_cast<std::size_t>(l.id)];
    for (plan::Field& f : declared.fields) {
        f.hasDefault = true;
    }
    REQUIRE(read(R"({"qty":9,"note":null})", defaults.data(), true).isOk());
    CHECK(str(out, 0) == "o-1");
    CHECK(intAt(out.data(), l.fields[1]) == 9);
    CHECK(static_cast<const std::uint8_t*>(out.data())[l.fields[7].offset] == 0);

    // An error leaves `out` as it was.
    OwnedRow before = out;
    CHECK_FALSE(read(R"({"qty":"9"})", defaults.data(), true).isOk());
    CHECK(out == before);
}

TEST_CASE("jsonToRow: errors name the field", "[rows][json]") {
    OrderFixture fx;
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"([])", "expected an object, found an array"},
        {R"({"qty":"3"})", "field 'qty': expected an int, found a string"},
        {R"({"qty":3.0})", "field 'qty': expected an int, found a float"},
        {R"({"qty":null})", "field 'qty': expected an int, found null"},
        {R"({"qty":9223372036854775808})",
         "field 'qty': 9223372036854775808 is out of the int64 range"},
        {R"({"qty":-9223372036854775809})",
         "field 'qty': -9.223372036854776e+18 is out of the int64 range"},
        {R"({"qty":1e30})", "field 'qty': 1e+30 is out of the int64 range"},
        {R"({"price":"1.5"})", "field 'price': expected a float, found a string"},
        {R"({"paid":1})", "field 'paid': expected a bool, found an int"},
        {R"({"order_id":7})", "field 'order_id': expected a string, found an int"},
        {R"({"at":"2024-02-30T00:00:00Z"})",
         "field 'at': invalid timestamp '2024-02-30T00:00:00Z'"},
        {R"({"at":true})", "field 'at': expected a timestamp, found a bool"},
        {R"({"at":1.5})", "field 'at': expected a timestamp, found a float"},
        {R"({"within":"90 s"})", "field 'within': invalid duration '90 s'"},
        {R"({"within":[]})", "field 'within': expected a duration or null, found an array"},
        {R"({"state":"Shiped"})",
         "field 'state': 'Shiped' is not a value of enum 'Orders.OrderState'; did you mean "
         "'Shipped'?"},
        {R"({"state":"Lost"})", "field 'state': 'Lost' is not a value of enum 'Orders.OrderState'"},
        {R"({"state":1})",
         "field 'state': expected a value of enum 'Orders.OrderState', found an int"},
        {R"({"note":{}})", "field 'note': expected a string or null, found an object"},
        {R"({"qtx":1})", "unknown field 'qtx'; did you mean 'qty'?"},
        {R"({"zzzzzz":1})", "unknown field 'zzzzzz'"},
        {R"({"a\nb":1})", "unknown field 'a\\x0Ab'"},
    };
    for (const Case& c : cases) {
        OwnedRow out;
        Status s =
            jsonToRow(fx.program, fx.layout(), nlohmann::json::parse(c.json), nullptr, false, out);
        INFO(c.json);
        CHECK(s.code() == StatusCode::InvalidArgument);
        CHECK(s.message() == c.message);
    }
    // A string that is not UTF-8 can only come from a json built in code.
    nlohmann::json j = {{"order_id", std::string("\xC3(")}};
    OwnedRow out;
    CHECK(jsonToRow(fx.program, fx.layout(), j, nullptr, false, out).message() ==
          "field 'order_id': string is not valid UTF-8");
    // A long hostile name is cut short in the message.
    j = {{std::string(1000, 'k'), 1}};
    CHECK(jsonToRow(fx.program, fx.layout(), j, nullptr, false, out).message() ==
          "unknown field '" + std::string(64, 'k') + "...'");
}

// ---- Timestamps and durations ---------------------------------------------------------

TEST_CASE("formatTimestamp and parseTimestamp", "[rows][time]") {
    struct Case {
        std::int64_t micros;
        const char* text;
    };
    const Case cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1704067200000000, "2024-01-01T00:00:00Z"},
        {1704067200123000, "2024-01-01T00:00:00.123Z"},
        {1704067200123456, "2024-01-01T00:00:00.123456Z"},
        {1704067200000001, "2024-01-01T00:00:00.000001Z"},
        {-1, "1969-12-31T23:59:59.999999Z"},
        {951782400000000, "2000-02-29T00:00:00Z"},
        {-62135596800000000, "0001-01-01T00:00:00Z"},
        {-62167219200000000, "0000-01-01T00:00:00Z"},
        {-62198755200000000, "-0001-01-01T00:00:00Z"},
        {253402300799999999, "9999-12-31T23:59:59.999999Z"},
        {253402300800000000, "+10000-01-01T00:00:00Z"},
        {INT64_MAX, "+294247-01-10T04:00:54.775807Z"},
        {INT64_MIN, "-290308-12-21T19:59:05.224192Z"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        CHECK(formatTimestamp(c.micros) == c.text);
        std::int64_t back = 0;
        CHECK(parseTimestamp(c.text, back));
        CHECK(back == c.micros);
    }
    struct Alt {
        const char* text;
        std::int64_t micros;
    };
    const Alt alternatives[] = {
        {"2024-01-01t00:00:00z", 1704067200000000},
        {"2024-01-01 00:00:00Z", 1704067200000000},
        {"2024-01-01T05:30:00+05:30", 1704067200000000},
        {"2023-12-31T23:00:00-01:00", 1704067200000000},
        {"2024-01-01T00:00:00.5Z", 1704067200500000},
        {"2024-01-01T00:00:00.123456000Z", 1704067200123456},
        {"+2024-01-01T00:00:00Z", 1704067200000000},
    };
    for (const Alt& a : alternatives) {
        INFO(a.text);
        std::int64_t v = 0;
        CHECK(parseTimestamp(a.text, v));
        CHECK(v == a.micros);
    }
    for (const char* bad : {"",
                            "2024-01-01",
                            "2024-01-01T00:00Z",
                            "2024-01-01T00:00:00",
                            "2024-1-01T00:00:00Z",
                            "2024-13-01T00:00:00Z",
                            "2023-02-29T00:00:00Z",
                            "1900-02-29T00:00:00Z",
                            "2024-01-01T24:00:00Z",
                            "2024-01-01T00:60:00Z",
                            "2024-01-01T00:00:60Z",
                            "2024-01-01T00:00:00.Z",
                            "2024-01-01T00:00:00.1234567Z",
                            "2024-01-01T00:00:00.0000000001Z",
                            "2024-01-01T00:00:00+24:00",
                            "2024-01-01T00:00:00+0100",
                            "2024-01-01T00:00:00Z ",
                            " 2024-01-01T00:00:00Z",
                            "+294247-01-10T04:00:54.775808Z",
                            "-290308-12-21T19:59:05.224191Z",
                            "+1234567-01-01T00:00:00Z",
                            "abcd-01-01T00:00:00Z"}) {
        INFO(bad);
        std::int64_t v = 42;
        CHECK_FALSE(parseTimestamp(bad, v));
        CHECK(v == 42);
    }
    std::mt19937_64 rng(1);
    for (int i = 0; i < 20000; ++i) {
        auto micros = static_cast<std::int64_t>(rng());
        if (i % 2 == 0) {
            micros %= 4102444800000000;  // around 1900-2100, where the calendar is busy
        }
        std::int64_t back = 0;
        REQUIRE(parseTimestamp(formatTimestamp(micros), back));
        REQUIRE(back == micros);
    }
}

TEST_CASE("formatDuration and parseDuration", "[rows][time]") {
    struct Case {
        std::int64_t micros;
        const char* text;
    };
    const Case cases[] = {
        {0, "0s"},
        {1, "1us"},
        {250000, "250ms"},
        {1500000, "1s500ms"},
        {90000000, "1m30s"},
        {5400000000, "1h30m"},
        {93600000000, "1d2h"},
        {-300000000, "-5m"},
        {86400000001, "1d1us"},
        {INT64_MAX, "106751991d4h54s775ms807us"},
        {INT64_MIN, "-106751991d4h54s775ms808us"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        CHECK(formatDuration(c.micros) == c.text);
        std::int64_t back = 0;
        CHECK(parseDuration(c.text, back));
        CHECK(back == c.micros);
    }
    struct Alt {
        const char* text;
        std::int64_t micros;
    };
    const Alt alternatives[] = {
        {"90s", 90000000}, {"1.5s", 1500000},   {"0.25d", 21600000000},
        {"1.5ms", 1500},   {"-0s", 0},          {"2h0m", 7200000000},
        {"007s", 7000000}, {"10\xC2\xB5s", 10}, {"1.000000s", 1000000},
        {"0.000001s", 1},
    };
    for (const Alt& a : alternatives) {
        INFO(a.text);
        std::int64_t v = 0;
        CHECK(parseDuration(a.text, v));
        CHECK(v == a.micros);
    }
    for (const char* bad : {"", "-", "5", "s", "5 s", "5S", "5sec", "30m1h", "1m1m", "1.s", ".5s",
                            "0.5us", "1.0000001s", "+5s", "--5s", "5s-",
                            "106751991d4h54s775ms808us", "99999999999999999999us", "1e3s"}) {
        INFO(bad);
        std::int64_t v = 42;
        CHECK_FALSE(parseDuration(bad, v));
        CHECK(v == 42);
    }
    std::mt19937_64 rng(2);
    for (int i = 0; i < 20000; ++i) {
        auto micros = static_cast<std::int64_t>(rng()) >> (rng() % 64);
        std::int64_t back = 0;
        REQUIRE(parseDuration(formatDuration(micros), back));
        REQUIRE(back == micros);
    }
}
