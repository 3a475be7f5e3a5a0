// stdlib/symbols.cpp - the standard library's symbol table, for JITs and for the linker.
#include "flow/rt/abi.h"
#include "flow/rt/stdlib.h"

namespace flow::rt {

namespace {

#define FLOW_STDLIB_SYMBOL(fn)                                                                     \
    StdlibSymbol {                                                                                 \
#fn, reinterpret_cast < void (*)()>(&fn)                                                   \
    }

const StdlibSymbol kSymbols[] = {
    FLOW_STDLIB_SYMBOL(flowrt_str_eq),
    FLOW_STDLIB_SYMBOL(flowrt_str_cmp),
    FLOW_STDLIB_SYMBOL(flowrt_str_concat),
    FLOW_STDLIB_SYMBOL(flowrt_len_string),
    FLOW_STDLIB_SYMBOL(flowrt_lower_string),
    FLOW_STDLIB_SYMBOL(flowrt_upper_string),
    FLOW_STDLIB_SYMBOL(flowrt_contains_string_string),
    FLOW_STDLIB_SYMBOL(flowrt_starts_with_string_string),
    FLOW_STDLIB_SYMBOL(flowrt_substr_string_int_int),
    FLOW_STDLIB_SYMBOL(flowrt_abs_int),
    FLOW_STDLIB_SYMBOL(flowrt_abs_float),
    FLOW_STDLIB_SYMBOL(flowrt_abs_duration),
    FLOW_STDLIB_SYMBOL(flowrt_round_float),
    FLOW_STDLIB_SYMBOL(flowrt_floor_float),
    FLOW_STDLIB_SYMBOL(flowrt_int_float),
    FLOW_STDLIB_SYMBOL(flowrt_float_int),
    FLOW_STDLIB_SYMBOL(flowrt_string_int),
    FLOW_STDLIB_SYMBOL(flowrt_string_float),
    FLOW_STDLIB_SYMBOL(flowrt_string_bool),
    FLOW_STDLIB_SYMBOL(flowrt_string_string),
    FLOW_STDLIB_SYMBOL(flowrt_string_timestamp),
    FLOW_STDLIB_SYMBOL(flowrt_string_duration),
    FLOW_STDLIB_SYMBOL(flowrt_string_enum),
    FLOW_STDLIB_SYMBOL(flowrt_trunc_timestamp_duration),
};

#undef FLOW_STDLIB_SYMBOL

}  // namespace

std::span<const StdlibSymbol> stdlibSymbols() {
    return kSymbols;
}

}  // namespace flow::rt
