// codegen/cpp/stdlib_calls.h - how generated code calls each standard library function
// (`Op::Call` with callee "len_string" calls flowrt_len_string, abi.h).
#pragma once

#include <string_view>

namespace flow::cppgen {

enum class CallShape : unsigned char {
    Pure,      // flowrt_f(args...) -> value
    WithCtx,   // flowrt_f(ctx, args...) -> value (allocates in the call's arena)
    Fallible,  // flowrt_f(ctx, args..., &out, site) -> FLOW_OK or FLOW_ERROR
};

struct StdlibCall {
    std::string_view callee;
    CallShape shape;
    bool returnsFlag;  // an int32_t 0 or 1 standing for a bool
    bool enumIdFirst;  // takes the argument's enum id before the value (string_enum)
};

/// The calling convention of `callee`, or null if the runtime has no such function.
const StdlibCall* findStdlibCall(std::string_view callee);

}  // namespace flow::cppgen
