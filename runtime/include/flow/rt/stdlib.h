// flow/rt/stdlib.h - the standard library's C++ side: the text helpers behind the flowrt_*
// functions of abi.h, the one hook the engine provides for them, and their symbol table.
//
// The flowrt_* functions themselves (stdlib/*.cpp) are compiled into flow_runtime, so a
// program links one library. They allocate through flowrt_alloc and report errors through
// flowrt_fail, which the engine defines; the helpers here need neither, so the engine,
// dumps and tests can use them on their own.
//
// Case mapping is Unicode's simple (one code point to one code point) mapping for ASCII,
// Latin-1 Supplement, Latin Extended-A, basic Greek (U+0386-U+03CE) and basic Cyrillic
// (U+0400-U+045F); every other code point is left as it is. No mapping depends on the
// locale or on context: 'I' lowers to 'i', 'Σ' to 'σ' (never 'ς'), 'ß' stays 'ß'.
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/plan.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace flow::rt {

/// The program a kernel call runs in: `string(e)` of an enum reads the value's name from
/// it. Defined by the engine next to flowrt_alloc (and by tests that call the stdlib).
const plan::Program* programOf(FlowCtx* ctx);

/// Code points in `s`: the bytes that do not continue a UTF-8 sequence (strings reaching
/// the runtime are validated at its edges, so this is exact for them).
std::int64_t utf8Length(std::string_view s);
/// `n` code points from code point `start` (0-based), clamped to the string; a view into
/// `s`. Both counts must be non-negative.
std::string_view utf8Substr(std::string_view s, std::int64_t start, std::int64_t n);

/// The simple case mappings of one code point (see the file comment for the coverage).
char32_t lowerCodePoint(char32_t c);
char32_t upperCodePoint(char32_t c);
/// `s` with every code point mapped; invalid UTF-8 bytes are copied unchanged. The result
/// is never longer than `s` (no covered mapping needs more bytes than its input).
std::string lowerUtf8(std::string_view s);
std::string upperUtf8(std::string_view s);

/// `string(f)`: the shortest text that reads back as the same double, with ".0" added to
/// an integral value ("2.0", "0.1", "1e+300", "-0.0"); "NaN", "Infinity", "-Infinity"
/// as in JSON.
std::string formatFloat(double v);

/// `trunc(ts, d)`: the largest multiple of `d` (counted from the Unix epoch) not after
/// `ts`, so negative timestamps round toward the past. False if `d` <= 0 or the result
/// is below the int64 range.
bool truncTimestamp(std::int64_t ts, std::int64_t d, std::int64_t& out);

/// The flowrt_* functions of abi.h's "Strings" and "The standard library" sections by
/// name, for a JIT that resolves kernel calls itself. Taking their addresses here also
/// keeps the linker from dropping them from a static flow_runtime.
struct StdlibSymbol {
    const char* name;
    void (*address)();
};
std::span<const StdlibSymbol> stdlibSymbols();

}  // namespace flow::rt
