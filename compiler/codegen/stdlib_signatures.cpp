// codegen/stdlib_signatures.cpp - the standard library's signatures, checked against
// abi.h at compile time.
#include "codegen/stdlib_signatures.h"

#include "flow/rt/abi.h"

#include <type_traits>

namespace flow::codegen {

namespace {

using enum CType;
using enum CallShape;

const StdlibSignature kSignatures[] = {
    {"len_string", Pure, I64, false, false, {Str}},
    {"lower_string", WithCtx, Str, false, false, {Str}},
    {"upper_string", WithCtx, Str, false, false, {Str}},
    {"contains_string_string", Pure, I32, true, false, {Str, Str}},
    {"starts_with_string_string", Pure, I32, true, false, {Str, Str}},
    {"substr_string_int_int", Fallible, Str, false, false, {Str, I64, I64}},
    {"abs_int", Fallible, I64, false, false, {I64}},
    {"abs_float", Pure, F64, false, false, {F64}},
    {"abs_duration", Fallible, I64, false, false, {I64}},
    {"round_float", Pure, F64, false, false, {F64}},
    {"floor_float", Pure, F64, false, false, {F64}},
    {"int_float", Fallible, I64, false, false, {F64}},
    {"float_int", Pure, F64, false, false, {I64}},
    {"string_int", WithCtx, Str, false, false, {I64}},
    {"string_float", WithCtx, Str, false, false, {F64}},
    {"string_bool", WithCtx, Str, false, false, {I32}},
    {"string_string", WithCtx, Str, false, false, {Str}},
    {"string_timestamp", WithCtx, Str, false, false, {I64}},
    {"string_duration", WithCtx, Str, false, false, {I64}},
    {"string_enum", WithCtx, Str, false, true, {I64}},
    {"trunc_timestamp_duration", Fallible, I64, false, false, {I64, I64}},
};

// The table above must agree with abi.h: a signature changed there fails here.
template <typename F, typename G>
constexpr bool kSame = std::is_same_v<F, G>;
using Ctx = FlowCtx*;
static_assert(kSame<decltype(&flowrt_len_string), int64_t (*)(FlowStr)>);
static_assert(kSame<decltype(&flowrt_lower_string), FlowStr (*)(Ctx, FlowStr)>);
static_assert(kSame<decltype(&flowrt_upper_string), FlowStr (*)(Ctx, FlowStr)>);
static_assert(kSame<decltype(&flowrt_contains_string_string), int32_t (*)(FlowStr, FlowStr)>);
static_assert(kSame<decltype(&flowrt_starts_with_string_string), int32_t (*)(FlowStr, FlowStr)>);
static_assert(kSame<decltype(&flowrt_substr_string_int_int),
                    int32_t (*)(Ctx, FlowStr, int64_t, int64_t, FlowStr*, int32_t)>);
static_assert(kSame<decltype(&flowrt_abs_int), int32_t (*)(Ctx, int64_t, int64_t*, int32_t)>);
static_assert(kSame<decltype(&flowrt_abs_float), double (*)(double)>);
static_assert(kSame<decltype(&flowrt_abs_duration), int32_t (*)(Ctx, int64_t, int64_t*, int32_t)>);
static_assert(kSame<decltype(&flowrt_round_float), double (*)(double)>);
static_assert(kSame<decltype(&flowrt_floor_float), double (*)(double)>);
static_assert(kSame<decltype(&flowrt_int_float), int32_t (*)(Ctx, double, int64_t*, int32_t)>);
static_assert(kSame<decltype(&flowrt_float_int), double (*)(int64_t)>);
static_assert(kSame<decltype(&flowrt_string_int), FlowStr (*)(Ctx, int64_t)>);
static_assert(kSame<decltype(&flowrt_string_float), FlowStr (*)(Ctx, double)>);
static_assert(kSame<decltype(&flowrt_string_bool), FlowStr (*)(Ctx, int32_t)>);
static_assert(kSame<decltype(&flowrt_string_string), FlowStr (*)(Ctx, FlowStr)>);
static_assert(kSame<decltype(&flowrt_string_timestamp), FlowStr (*)(Ctx, int64_t)>);
static_assert(kSame<decltype(&flowrt_string_duration), FlowStr (*)(Ctx, int64_t)>);
static_assert(kSame<decltype(&flowrt_string_enum), FlowStr (*)(Ctx, int32_t, int64_t)>);
static_assert(kSame<decltype(&flowrt_trunc_timestamp_duration),
                    int32_t (*)(Ctx, int64_t, int64_t, int64_t*, int32_t)>);
// FlowStr is passed as (ptr, i64) and returned as {ptr, i64}: two eightbytes of class
// INTEGER on x86-64 SysV, two registers on AArch64.
static_assert(sizeof(FlowStr) == 16 && alignof(FlowStr) == 8);

}  // namespace

const StdlibSignature* findStdlibSignature(std::string_view callee) {
    for (const StdlibSignature& s : kSignatures) {
        if (s.callee == callee) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace flow::codegen
