// codegen/stdlib_signatures.h - the C signature of every flowrt_* function of the
// standard library, as both backends call it (`Op::Call` with callee "len_string" calls
// flowrt_len_string, abi.h).
#pragma once

#include <string_view>
#include <vector>

namespace flow::codegen {

/// A C parameter or result type of abi.h, as LLVM IR passes it on the host's C ABI.
enum class CType : unsigned char {
    I32,  // int32_t (a bool argument is widened to it; a flag result is a bool)
    I64,  // int64_t
    F64,  // double
    Str,  // FlowStr: two arguments (ptr, i64), or a {ptr, i64} result (x86-64 SysV, AArch64)
};

enum class CallShape : unsigned char {
    Pure,      // flowrt_f(args...) -> value
    WithCtx,   // flowrt_f(ctx, args...) -> value (allocates in the call's arena)
    Fallible,  // flowrt_f(ctx, args..., &out, site) -> FLOW_OK or FLOW_ERROR
};

struct StdlibSignature {
    std::string_view callee;
    CallShape shape;
    /// The value: the C result (Pure, WithCtx), or what `out` points at (Fallible).
    CType result;
    bool returnsFlag;           // an int32_t 0 or 1 standing for a bool
    bool enumIdFirst;           // takes the argument's enum id (int32_t) before the value
    std::vector<CType> params;  // the value parameters, after ctx (and the enum id)
};

/// The signature of `callee`, or null if the runtime has no such function.
const StdlibSignature* findStdlibSignature(std::string_view callee);

}  // namespace flow::codegen
