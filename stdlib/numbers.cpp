// stdlib/numbers.cpp - numeric built-ins: abs, round, floor, int(f), float(i).
#include "flow/rt/abi.h"

#include <cmath>
#include <cstdint>

extern "C" {

int32_t flowrt_abs_int(FlowCtx* ctx, int64_t x, int64_t* out, int32_t site) {
    if (x == INT64_MIN) {
        return flowrt_fail(ctx, FLOW_ERR_OVERFLOW, site);  // |INT64_MIN| is not an int64
    }
    *out = x < 0 ? -x : x;
    return FLOW_OK;
}

double flowrt_abs_float(double x) {
    return std::fabs(x);
}

int32_t flowrt_abs_duration(FlowCtx* ctx, int64_t x, int64_t* out, int32_t site) {
    return flowrt_abs_int(ctx, x, out, site);
}

double flowrt_round_float(double f) {
    return std::round(f);  // halfway cases away from zero: round(-2.5) == -3.0
}

double flowrt_floor_float(double f) {
    return std::floor(f);
}

int32_t flowrt_int_float(FlowCtx* ctx, double f, int64_t* out, int32_t site) {
    // abi.h: a value outside int64 is an overflow (so are the infinities); NaN has no
    // integer at all and is out of range. -2^63 and 2^63 are exact doubles, and no double
    // lies between -2^63 - 1 and -2^63.
    if (std::isnan(f)) {
        return flowrt_fail(ctx, FLOW_ERR_RANGE, site);
    }
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) {
        return flowrt_fail(ctx, FLOW_ERR_OVERFLOW, site);
    }
    *out = static_cast<int64_t>(f);  // truncates toward zero
    return FLOW_OK;
}

double flowrt_float_int(int64_t i) {
    return static_cast<double>(i);
}

}  // extern "C"
