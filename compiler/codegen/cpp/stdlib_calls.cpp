// codegen/cpp/stdlib_calls.cpp - the calling convention of every flowrt_* function of the
// standard library, checked against abi.h at compile time.
#include "codegen/cpp/stdlib_calls.h"

#include "flow/rt/abi.h"

#include <type_traits>

namespace flow::cppgen {

namespace {

constexpr StdlibCall kCalls[] = {
    {"len_string", CallShape::Pure, false, false},
    {"lower_string", CallShape::WithCtx, false, false},
    {"upper_string", CallShape::WithCtx, false, false},
    {"contains_string_string", CallShape::Pure, true, false},
    {"starts_with_string_string", CallShape::Pure, true, false},
    {"substr_string_int_int", CallShape::Fallible, false, false},
    {"abs_int", CallShape::Fallible, false, false},
    {"abs_float", CallShape::Pure, false, false},
    {"abs_duration", CallShape::Fallible, false, false},
    {"round_float", CallShape::Pure, false, false},
    {"floor_float", CallShape::Pure, false, false},
    {"int_float", CallShape::Fallible, false, false},
    {"float_int", CallShape::Pure, false, false},
    {"string_int", CallShape::WithCtx, false, false},
    {"string_float", CallShape::WithCtx, false, false},
    {"string_bool", CallShape::WithCtx, false, false},
    {"string_string", CallShape::WithCtx, false, false},
    {"string_timestamp", CallShape::WithCtx, false, false},
    {"string_duration", CallShape::WithCtx, false, false},
    {"string_enum", CallShape::WithCtx, false, true},
    {"trunc_timestamp_duration", CallShape::Fallible, false, false},
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

}  // namespace

const StdlibCall* findStdlibCall(std::string_view callee) {
    for (const StdlibCall& c : kCalls) {
        if (c.callee == callee) {
            return &c;
        }
    }
    return nullptr;
}

}  // namespace flow::cppgen
