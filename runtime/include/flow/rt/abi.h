/* flow/rt/abi.h - the kernel ABI: what compiled kernels (from the C++ or the LLVM backend)
 * and libflowrt agree on. Plain C, so both backends and the runtime can use it.
 *
 * ROWS. A kernel sees rows as raw memory laid out by the IR's `Layout` (ir/ir.h):
 *   bool                                   1 byte (0 or 1), alignment 1
 *   int, timestamp, duration, enum index   int64_t, alignment 8
 *   float                                  double, alignment 8
 *   string                                 FlowStr, 16 bytes, alignment 8
 *   T? (optional)                          a presence byte, then T at T's alignment
 *                                          (bool? 2 bytes; int? 16; string? 24)
 * Fields sit in declaration order, each at the next offset aligned for it; a row's
 * size is a multiple of 8. Strings point at bytes owned by the row's owner (the
 * runtime) or by the call's arena; they are UTF-8, not NUL-terminated.
 *
 * KERNELS. Every kernel has the signature FlowKernelFn: `args[i]` points at the i-th
 * argument (a row, or a FlowEnvelope); which arguments a kernel takes is in the plan
 * (KernelArg). An output row is written in place; an optional row argument (the
 * right side of a left join) may be NULL. Kernels are pure: they read their arguments
 * and tables through the callbacks below, and never keep pointers across calls.
 *
 * RESULTS. FLOW_OK; FLOW_FALSE (a predicate that does not hold, an absent query
 * result); FLOW_DELETE (a table handler deleted its row); FLOW_REJECTED (a command's
 * `require` failed: flowrt_reject was called); FLOW_ERROR (a runtime error: flowrt_fail
 * was called with its code and site). After FLOW_REJECTED or FLOW_ERROR the runtime
 * discards everything the call emitted.
 */
#ifndef FLOW_RT_ABI_H
#define FLOW_RT_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct FlowStr {
    const char* ptr;
    int64_t len;
} FlowStr;

/* The envelope of an event, as kernels read it (`e.time`, `e.id`, ...). */
typedef struct FlowEnvelope {
    FlowStr id; /* 32 lowercase hex digits */
    FlowStr causation;
    FlowStr correlation;
    int64_t time; /* UTC microseconds */
    int64_t seq;
    int64_t version;
} FlowEnvelope;

typedef struct FlowCtx FlowCtx; /* the runtime's, opaque to kernels */

typedef int32_t (*FlowKernelFn)(FlowCtx* ctx, void** args);

enum { FLOW_OK = 0, FLOW_FALSE = 1, FLOW_DELETE = 2, FLOW_REJECTED = 3, FLOW_ERROR = 4 };

/* Runtime error codes (flowrt_fail). */
enum {
    FLOW_ERR_OVERFLOW = 1, /* int overflow (+, -, *, unary -, int(f), sum) */
    FLOW_ERR_DIV_ZERO = 2, /* int / 0, int % 0 */
    FLOW_ERR_RANGE = 3,    /* a value out of range: int(NaN), substr bounds, trunc by 0 */
    FLOW_ERR_ENUM = 4      /* an enum index out of range */
};

/* ---- Callbacks into the runtime (exported as flowrt_* symbols) ------------------- */

/* The row of `table` whose key (a row of the table's key layout) is `key`, or NULL.
 * The pointer is valid until the kernel returns. */
const void* flowrt_lookup(FlowCtx* ctx, int32_t table, const void* key);
/* Emits an event of type `event` (its last version's layout): the runtime copies it. */
void flowrt_emit(FlowCtx* ctx, int32_t event, const void* row);
/* Rejects the command being run, with its reason; the kernel then returns FLOW_REJECTED. */
void flowrt_reject(FlowCtx* ctx, FlowStr reason);
/* Records a runtime error at `site` (Program::sites); returns FLOW_ERROR. */
int32_t flowrt_fail(FlowCtx* ctx, int32_t code, int32_t site);
/* Runs query `query` with parameters `params` into `out`: FLOW_OK, or FLOW_FALSE when a
 * row-valued query finds no row. For tests. */
int32_t flowrt_query(FlowCtx* ctx, int32_t query, const void* params, void* out);
/* 1 if two rows of `layout` are equal field by field, else 0. */
int32_t flowrt_row_eq(FlowCtx* ctx, int32_t layout, const void* a, const void* b);
/* Memory for strings a kernel builds; released when the runtime has copied the output. */
char* flowrt_alloc(FlowCtx* ctx, int64_t bytes);

/* ---- Strings ----------------------------------------------------------------------- */

int32_t flowrt_str_eq(FlowStr a, FlowStr b);
int32_t flowrt_str_cmp(FlowStr a, FlowStr b); /* <0, 0, >0 by bytes (UTF-8 code point order) */
FlowStr flowrt_str_concat(FlowCtx* ctx, FlowStr a, FlowStr b);

/* ---- The standard library (stdlib/builtins.flow), one symbol per signature --------- */

int64_t flowrt_len_string(FlowStr s); /* code points */
FlowStr flowrt_lower_string(FlowCtx* ctx, FlowStr s);
FlowStr flowrt_upper_string(FlowCtx* ctx, FlowStr s);
int32_t flowrt_contains_string_string(FlowStr s, FlowStr t);
int32_t flowrt_starts_with_string_string(FlowStr s, FlowStr t);
/* 0-based code point `start`, `n` code points; clamped to the string. Negative start
 * or n is FLOW_ERR_RANGE (returns 0 and sets *out only on success). */
int32_t flowrt_substr_string_int_int(FlowCtx* ctx, FlowStr s, int64_t start, int64_t n,
                                     FlowStr* out, int32_t site);
int32_t flowrt_abs_int(FlowCtx* ctx, int64_t x, int64_t* out, int32_t site);
double flowrt_abs_float(double x);
int32_t flowrt_abs_duration(FlowCtx* ctx, int64_t x, int64_t* out, int32_t site);
double flowrt_round_float(double f); /* half away from zero */
double flowrt_floor_float(double f);
int32_t flowrt_int_float(FlowCtx* ctx, double f, int64_t* out, int32_t site); /* toward zero */
double flowrt_float_int(int64_t i);
FlowStr flowrt_string_int(FlowCtx* ctx, int64_t v);
FlowStr flowrt_string_float(FlowCtx* ctx, double v); /* shortest round-trip form */
FlowStr flowrt_string_bool(FlowCtx* ctx, int32_t v);
FlowStr flowrt_string_string(FlowCtx* ctx, FlowStr v);
FlowStr flowrt_string_timestamp(FlowCtx* ctx, int64_t v);            /* RFC 3339, UTC, "Z" */
FlowStr flowrt_string_duration(FlowCtx* ctx, int64_t v);             /* "1h30m", "250ms", "0s" */
FlowStr flowrt_string_enum(FlowCtx* ctx, int32_t enumId, int64_t v); /* the value's name */
int32_t flowrt_trunc_timestamp_duration(FlowCtx* ctx, int64_t ts, int64_t d, int64_t* out,
                                        int32_t site);

#ifdef __cplusplus
}
#endif

#endif /* FLOW_RT_ABI_H */
