// stdlib/time.cpp - time built-ins: trunc(ts, d).
#include "flow/rt/abi.h"
#include "flow/rt/stdlib.h"

namespace flow::rt {

bool truncTimestamp(std::int64_t ts, std::int64_t d, std::int64_t& out) {
    if (d <= 0) {
        return false;
    }
    // Floor, not C++'s truncation: -1us truncated to 1s is -1s, not 0.
    std::int64_t r = ts % d;
    if (r < 0) {
        r += d;
    }
    return !__builtin_sub_overflow(ts, r, &out);
}

}  // namespace flow::rt

extern "C" {

int32_t flowrt_trunc_timestamp_duration(FlowCtx* ctx, int64_t ts, int64_t d, int64_t* out,
                                        int32_t site) {
    if (d <= 0) {
        return flowrt_fail(ctx, FLOW_ERR_RANGE, site);
    }
    int64_t v = 0;
    if (!flow::rt::truncTimestamp(ts, d, v)) {
        return flowrt_fail(ctx, FLOW_ERR_OVERFLOW, site);
    }
    *out = v;
    return FLOW_OK;
}

}  // extern "C"
