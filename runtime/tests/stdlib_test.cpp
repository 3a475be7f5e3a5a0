// runtime/tests/stdlib_test.cpp - the standard library's flowrt_* functions, with a test FlowCtx.
//
// This file defines flowrt_alloc, flowrt_fail and programOf, which the engine defines in
// a real program; so it is its own test binary (flow_stdlib_tests), which links none of
// the engine, rather than part of flow_runtime_tests.
#define CATCH_CONFIG_MAIN
#include "flow/rt/abi.h"
#include "flow/rt/stdlib.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <limits>
#include <set>
#include <string>
#include <vector>

using namespace flow::rt;

/// The test's kernel context: an arena that keeps every allocation, and the failures.
struct FlowCtx {
    std::deque<std::string> arena;
    std::vector<std::pair<std::int32_t, std::int32_t>> failures;  // (code, site)
    const plan::Program* program = nullptr;
};

extern "C" char* flowrt_alloc(FlowCtx* ctx, int64_t bytes) {
    ctx->arena.emplace_back(static_cast<std::size_t>(bytes), '\xAA');  // poisoned
    return ctx->arena.back().data();
}

extern "C" int32_t flowrt_fail(FlowCtx* ctx, int32_t code, int32_t site) {
    ctx->failures.emplace_back(code, site);
    return FLOW_ERROR;
}

const plan::Program* flow::rt::programOf(FlowCtx* ctx) {
    return ctx->program;
}

namespace {

FlowStr fs(const std::string& s) {
    return FlowStr{s.data(), static_cast<std::int64_t>(s.size())};
}

std::string text(FlowStr s) {
    return s.len > 0 ? std::string(s.ptr, static_cast<std::size_t>(s.len)) : std::string();
}

}  // namespace

TEST_CASE("stdlib: string comparison and concatenation", "[stdlib]") {
    FlowCtx ctx;
    std::string a = "abc";
    std::string b = "abd";
    std::string empty;
    CHECK(flowrt_str_eq(fs(a), fs(a)) == 1);
    CHECK(flowrt_str_eq(fs(a), fs(b)) == 0);
    CHECK(flowrt_str_eq(fs(empty), FlowStr{nullptr, 0}) == 1);
    CHECK(flowrt_str_cmp(fs(a), fs(b)) == -1);
    CHECK(flowrt_str_cmp(fs(b), fs(a)) == 1);
    CHECK(flowrt_str_cmp(fs(a), fs(a)) == 0);
    std::string ab = "ab";
    CHECK(flowrt_str_cmp(fs(ab), fs(a)) == -1);  // a prefix first
    std::string eAcute = "\xC3\xA9";
    std::string z = "z";
    CHECK(flowrt_str_cmp(fs(eAcute), fs(z)) == 1);  // code point order, not signed chars
    CHECK(text(flowrt_str_concat(&ctx, fs(a), fs(b))) == "abcabd");
    CHECK(flowrt_str_concat(&ctx, fs(empty), fs(b)).ptr == b.data());  // no copy
    CHECK(flowrt_str_concat(&ctx, FlowStr{nullptr, 0}, FlowStr{nullptr, 0}).len == 0);
}

TEST_CASE("stdlib: len, substr count code points", "[stdlib]") {
    FlowCtx ctx;
    std::string s = "h\xC3\xA9llo \xF0\x9F\x98\x80!";  // "héllo 😀!"
    CHECK(flowrt_len_string(fs(s)) == 8);
    CHECK(flowrt_len_string(FlowStr{nullptr, 0}) == 0);
    CHECK(flowrt_len_string(fs(std::string("\xE2\x82\xAC"))) == 1);

    struct Case {
        std::int64_t start;
        std::int64_t n;
        const char* want;
    };
    const Case cases[] = {
        {0, 1, "h"},
        {1, 1, "\xC3\xA9"},
        {1, 4, "\xC3\xA9llo"},
        {6, 1, "\xF0\x9F\x98\x80"},
        {6, 100, "\xF0\x9F\x98\x80!"},
        {8, 1, ""},
        {100, 1, ""},
        {0, 0, ""},
        {0, INT64_MAX, s.c_str()},
        {INT64_MAX, INT64_MAX, ""},
    };
    for (const Case& c : cases) {
        INFO(c.start << " " << c.n);
        FlowStr out{nullptr, -1};
        CHECK(flowrt_substr_string_int_int(&ctx, fs(s), c.start, c.n, &out, 9) == FLOW_OK);
        CHECK(text(out) == c.want);
    }
    FlowStr out{nullptr, -1};
    CHECK(flowrt_substr_string_int_int(&ctx, fs(s), -1, 2, &out, 9) == FLOW_ERROR);
    CHECK(flowrt_substr_string_int_int(&ctx, fs(s), 0, -1, &out, 10) == FLOW_ERROR);
    CHECK(out.len == -1);  // untouched on an error
    CHECK(ctx.failures == std::vector<std::pair<std::int32_t, std::int32_t>>{{FLOW_ERR_RANGE, 9},
                                                                             {FLOW_ERR_RANGE, 10}});
    CHECK(ctx.arena.empty());  // a substring is a view
}

TEST_CASE("stdlib: lower and upper", "[stdlib]") {
    FlowCtx ctx;
    struct Case {
        const char* in;
        const char* lower;
        const char* upper;
    };
    const Case cases[] = {
        {"Hello, World 42", "hello, world 42", "HELLO, WORLD 42"},
        {"\xC3\x89t\xC3\xA9 \xC3\x80 \xC3\x98", "\xC3\xA9t\xC3\xA9 \xC3\xA0 \xC3\xB8",
         "\xC3\x89T\xC3\x89 \xC3\x80 \xC3\x98"},                       // Été À Ø
        {"\xC3\x97\xC3\xB7", "\xC3\x97\xC3\xB7", "\xC3\x97\xC3\xB7"},  // × ÷ have no case
        {"stra\xC3\x9F"
         "e",
         "stra\xC3\x9F"
         "e",
         "STRA\xC3\x9F"
         "E"},                                                // ß stays (simple mapping)
        {"\xC3\xBF", "\xC3\xBF", "\xC5\xB8"},                 // ÿ -> Ÿ
        {"\xC2\xB5", "\xC2\xB5", "\xCE\x9C"},                 // µ -> Μ
        {"\xC4\x80\xC4\x81\xC5\x81\xC5\x82\xC5\xBD\xC5\xBE",  // Ā ā Ł ł Ž ž
         "\xC4\x81\xC4\x81\xC5\x82\xC5\x82\xC5\xBE\xC5\xBE",
         "\xC4\x80\xC4\x80\xC5\x81\xC5\x81\xC5\xBD\xC5\xBD"},
        {"\xC4\xB0", "i", "\xC4\xB0"},                                 // İ -> i
        {"\xC4\xB1", "\xC4\xB1", "I"},                                 // ı -> I
        {"\xC5\xBF", "\xC5\xBF", "S"},                                 // ſ -> S
        {"\xC4\xB8\xC5\x89", "\xC4\xB8\xC5\x89", "\xC4\xB8\xC5\x89"},  // ĸ ŉ: no simple case
        {"\xCE\x9A\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xAD\xCF\x81\xCE\xB1",  // Καλημέρα
         "\xCE\xBA\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xAD\xCF\x81\xCE\xB1",
         "\xCE\x9A\xCE\x91\xCE\x9B\xCE\x97\xCE\x9C\xCE\x88\xCE\xA1\xCE\x91"},
        {"\xCF\x82\xCE\xA3", "\xCF\x82\xCF\x83", "\xCE\xA3\xCE\xA3"},          // ς Σ
        {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\x81\xD1\x91",  // Привет Ёё
         "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD1\x91\xD1\x91",
         "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2 \xD0\x81\xD0\x81"},
        {"\xE4\xB8\xAD\xF0\x9F\x98\x80", "\xE4\xB8\xAD\xF0\x9F\x98\x80",
         "\xE4\xB8\xAD\xF0\x9F\x98\x80"},  // 中😀: untouched
        {"a\xFF"
         "b\xC3",
         "a\xFF"
         "b\xC3",
         "A\xFF"
         "B\xC3"},  // invalid bytes pass through
        {"", "", ""},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        std::string in = c.in;
        CHECK(text(flowrt_lower_string(&ctx, fs(in))) == c.lower);
        CHECK(text(flowrt_upper_string(&ctx, fs(in))) == c.upper);
    }
    std::string done = "already lower";
    std::size_t before = ctx.arena.size();
    CHECK(flowrt_lower_string(&ctx, fs(done)).ptr == done.data());
    CHECK(ctx.arena.size() == before);  // no change, no copy

    // Every mapped pair in the covered blocks round-trips, except the four one-way
    // mappings (ı ſ µ ς uppercase to letters whose lowercase is another) and İ.
    for (char32_t c = 0; c < 0x500; ++c) {
        char32_t up = upperCodePoint(c);
        char32_t lo = lowerCodePoint(c);
        INFO(static_cast<std::uint32_t>(c));
        if (up != c && c != 0x131 && c != 0x17F && c != 0xB5 && c != 0x3C2) {
            CHECK(lowerCodePoint(up) == c);
        }
        if (lo != c && c != 0x130) {
            CHECK(upperCodePoint(lo) == c);
        }
        CHECK((up == c || lo == c));
    }
}

TEST_CASE("stdlib: contains and starts_with", "[stdlib]") {
    std::string s = "h\xC3\xA9llo";
    std::string empty;
    std::string llo = "llo";
    std::string he = "h\xC3\xA9";
    std::string missing = "hex";
    CHECK(flowrt_contains_string_string(fs(s), fs(llo)) == 1);
    CHECK(flowrt_contains_string_string(fs(s), fs(empty)) == 1);
    CHECK(flowrt_contains_string_string(fs(empty), fs(empty)) == 1);
    CHECK(flowrt_contains_string_string(fs(s), fs(missing)) == 0);
    CHECK(flowrt_contains_string_string(fs(empty), fs(llo)) == 0);
    CHECK(flowrt_starts_with_string_string(fs(s), fs(he)) == 1);
    CHECK(flowrt_starts_with_string_string(fs(s), fs(empty)) == 1);
    CHECK(flowrt_starts_with_string_string(fs(s), fs(llo)) == 0);
    CHECK(flowrt_starts_with_string_string(fs(he), fs(s)) == 0);
}

TEST_CASE("stdlib: numbers", "[stdlib]") {
    FlowCtx ctx;
    std::int64_t out = 0;
    CHECK(flowrt_abs_int(&ctx, -5, &out, 1) == FLOW_OK);
    CHECK(out == 5);
    CHECK(flowrt_abs_int(&ctx, INT64_MAX, &out, 1) == FLOW_OK);
    CHECK(out == INT64_MAX);
    CHECK(flowrt_abs_int(&ctx, INT64_MIN + 1, &out, 1) == FLOW_OK);
    CHECK(out == INT64_MAX);
    out = 7;
    CHECK(flowrt_abs_int(&ctx, INT64_MIN, &out, 2) == FLOW_ERROR);
    CHECK(flowrt_abs_duration(&ctx, INT64_MIN, &out, 3) == FLOW_ERROR);
    CHECK(out == 7);
    CHECK(flowrt_abs_duration(&ctx, -90000000, &out, 3) == FLOW_OK);
    CHECK(out == 90000000);
    CHECK(ctx.failures == std::vector<std::pair<std::int32_t, std::int32_t>>{
                              {FLOW_ERR_OVERFLOW, 2}, {FLOW_ERR_OVERFLOW, 3}});

    CHECK(flowrt_abs_float(-2.5) == 2.5);
    CHECK_FALSE(std::signbit(flowrt_abs_float(-0.0)));

    CHECK(flowrt_round_float(0.5) == 1.0);
    CHECK(flowrt_round_float(-0.5) == -1.0);
    CHECK(flowrt_round_float(2.5) == 3.0);
    CHECK(flowrt_round_float(-2.5) == -3.0);
    CHECK(flowrt_round_float(1.4999999999999998) == 1.0);
    CHECK(flowrt_round_float(0.49999999999999994) == 0.0);
    CHECK(flowrt_round_float(4503599627370497.0) == 4503599627370497.0);
    CHECK(std::isnan(flowrt_round_float(std::nan(""))));
    CHECK(flowrt_floor_float(-0.5) == -1.0);
    CHECK(flowrt_floor_float(1.999) == 1.0);
    CHECK(flowrt_floor_float(-3.0) == -3.0);

    ctx.failures.clear();
    struct IntCase {
        double f;
        std::int64_t want;
    };
    for (IntCase c : {IntCase{1.9, 1}, IntCase{-1.9, -1}, IntCase{-0.0, 0}, IntCase{0.5, 0},
                      IntCase{-9223372036854775808.0, INT64_MIN},
                      IntCase{9223372036854774784.0, 9223372036854774784}}) {
        INFO(c.f);
        CHECK(flowrt_int_float(&ctx, c.f, &out, 4) == FLOW_OK);
        CHECK(out == c.want);
    }
    CHECK(flowrt_int_float(&ctx, std::nan(""), &out, 5) == FLOW_ERROR);
    CHECK(flowrt_int_float(&ctx, 9223372036854775808.0, &out, 6) == FLOW_ERROR);
    CHECK(flowrt_int_float(&ctx, -9223372036854777856.0, &out, 7) == FLOW_ERROR);
    CHECK(flowrt_int_float(&ctx, std::numeric_limits<double>::infinity(), &out, 8) == FLOW_ERROR);
    CHECK(ctx.failures ==
          std::vector<std::pair<std::int32_t, std::int32_t>>{{FLOW_ERR_RANGE, 5},
                                                             {FLOW_ERR_OVERFLOW, 6},
                                                             {FLOW_ERR_OVERFLOW, 7},
                                                             {FLOW_ERR_OVERFLOW, 8}});
    CHECK(flowrt_float_int(-3) == -3.0);
    CHECK(flowrt_float_int(INT64_MAX) == 9223372036854775808.0);
}

TEST_CASE("stdlib: string(x)", "[stdlib]") {
    FlowCtx ctx;
    CHECK(text(flowrt_string_int(&ctx, 0)) == "0");
    CHECK(text(flowrt_string_int(&ctx, -42)) == "-42");
    CHECK(text(flowrt_string_int(&ctx, INT64_MIN)) == "-9223372036854775808");

    struct FloatCase {
        double v;
        const char* want;
    };
    for (FloatCase c : {FloatCase{0.1, "0.1"}, FloatCase{2.0, "2.0"}, FloatCase{-0.0, "-0.0"},
                        FloatCase{1.5e300, "1.5e+300"}, FloatCase{1e21, "1e+21"},
                        FloatCase{123456789.0, "123456789.0"}, FloatCase{5e-324, "5e-324"},
                        FloatCase{0.1 + 0.2, "0.30000000000000004"}, FloatCase{std::nan(""), "NaN"},
                        FloatCase{std::numeric_limits<double>::infinity(), "Infinity"},
                        FloatCase{-std::numeric_limits<double>::infinity(), "-Infinity"}}) {
        INFO(c.want);
        std::string s = text(flowrt_string_float(&ctx, c.v));
        CHECK(s == c.want);
        if (std::isfinite(c.v)) {
            CHECK(std::strtod(s.c_str(), nullptr) == c.v);  // reads back exactly
        }
    }
    CHECK(text(flowrt_string_bool(&ctx, 1)) == "true");
    CHECK(text(flowrt_string_bool(&ctx, 0)) == "false");
    std::string s = "same";
    CHECK(flowrt_string_string(&ctx, fs(s)).ptr == s.data());
    CHECK(text(flowrt_string_timestamp(&ctx, 1704067200250000)) == "2024-01-01T00:00:00.250Z");
    CHECK(text(flowrt_string_timestamp(&ctx, -1)) == "1969-12-31T23:59:59.999999Z");
    CHECK(text(flowrt_string_duration(&ctx, 5400000000)) == "1h30m");
    CHECK(text(flowrt_string_duration(&ctx, 250000)) == "250ms");
    CHECK(text(flowrt_string_duration(&ctx, 0)) == "0s");
    CHECK(text(flowrt_string_duration(&ctx, -300000000)) == "-5m");

    plan::Program program;
    program.enums.push_back(plan::Enum{"Orders.OrderState", {"Placed", "Shipped"}});
    ctx.program = &program;
    CHECK(text(flowrt_string_enum(&ctx, 0, 1)) == "Shipped");
    CHECK(text(flowrt_string_enum(&ctx, 0, 2)) == "2");  // out of range: the index
    CHECK(text(flowrt_string_enum(&ctx, 5, 0)) == "0");
}

TEST_CASE("stdlib: trunc(ts, d) floors to multiples from the epoch", "[stdlib]") {
    FlowCtx ctx;
    const std::int64_t hour = 3600000000;
    struct Case {
        std::int64_t ts;
        std::int64_t d;
        std::int64_t want;
    };
    for (Case c :
         {Case{1704070800123456, hour, 1704070800000000},
          Case{1704070800000000, hour, 1704070800000000}, Case{-1, 1000000, -1000000},
          Case{-1000000, 1000000, -1000000}, Case{-1000001, 1000000, -2000000}, Case{123, 1, 123},
          Case{INT64_MAX, INT64_MAX, INT64_MAX}, Case{INT64_MIN, 1, INT64_MIN},
          Case{INT64_MIN, 2, INT64_MIN}, Case{5, INT64_MAX, 0}}) {
        INFO(c.ts << " " << c.d);
        std::int64_t out = 0;
        CHECK(flowrt_trunc_timestamp_duration(&ctx, c.ts, c.d, &out, 1) == FLOW_OK);
        CHECK(out == c.want);
    }
    std::int64_t out = 42;
    CHECK(flowrt_trunc_timestamp_duration(&ctx, 5, 0, &out, 2) == FLOW_ERROR);
    CHECK(flowrt_trunc_timestamp_duration(&ctx, 5, -hour, &out, 3) == FLOW_ERROR);
    // The floor of INT64_MIN + 1 to a multiple of 2^62 + 1 is below the int64 range.
    CHECK(flowrt_trunc_timestamp_duration(&ctx, INT64_MIN + 1, (std::int64_t{1} << 62) + 1, &out,
                                          4) == FLOW_ERROR);
    CHECK(out == 42);
    CHECK(ctx.failures == std::vector<std::pair<std::int32_t, std::int32_t>>{
                              {FLOW_ERR_RANGE, 2}, {FLOW_ERR_RANGE, 3}, {FLOW_ERR_OVERFLOW, 4}});
}

TEST_CASE("stdlib: the symbol table names every function once", "[stdlib]") {
    std::set<std::string> names;
    for (const StdlibSymbol& s : stdlibSymbols()) {
        CHECK(s.address != nullptr);
        CHECK(std::string(s.name).starts_with("flowrt_"));
        names.insert(s.name);
    }
    CHECK(names.size() == stdlibSymbols().size());
    CHECK(names.size() == 24);
    CHECK(names.count("flowrt_substr_string_int_int") == 1);
    CHECK(names.count("flowrt_alloc") == 0);  // the engine's, not the library's
}
