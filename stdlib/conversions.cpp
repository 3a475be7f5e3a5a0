// stdlib/conversions.cpp - string(x) for every scalar type.
#include "flow/rt/abi.h"
#include "flow/rt/rows.h"
#include "flow/rt/stdlib.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace flow::rt {

std::string formatFloat(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "Infinity" : "-Infinity";
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round trip
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) {
        s += ".0";  // a float always reads as one: "2.0", not "2"
    }
    return s;
}

namespace {

FlowStr arenaString(FlowCtx* ctx, const std::string& text) {
    if (text.empty()) {
        return FlowStr{nullptr, 0};
    }
    auto n = static_cast<std::int64_t>(text.size());
    char* p = flowrt_alloc(ctx, n);
    std::memcpy(p, text.data(), text.size());
    return FlowStr{p, n};
}

FlowStr literal(const char* s) {
    return FlowStr{s, static_cast<std::int64_t>(std::strlen(s))};
}

}  // namespace

}  // namespace flow::rt

extern "C" {

FlowStr flowrt_string_int(FlowCtx* ctx, int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    auto n = static_cast<std::int64_t>(end - buf);
    char* p = flowrt_alloc(ctx, n);
    std::memcpy(p, buf, static_cast<std::size_t>(n));
    return FlowStr{p, n};
}

FlowStr flowrt_string_float(FlowCtx* ctx, double v) {
    return flow::rt::arenaString(ctx, flow::rt::formatFloat(v));
}

FlowStr flowrt_string_bool(FlowCtx* /*ctx*/, int32_t v) {
    return flow::rt::literal(v != 0 ? "true" : "false");  // static storage: no copy
}

FlowStr flowrt_string_string(FlowCtx* /*ctx*/, FlowStr v) {
    return v;  // immutable, and it outlives the call
}

FlowStr flowrt_string_timestamp(FlowCtx* ctx, int64_t v) {
    return flow::rt::arenaString(ctx, flow::rt::formatTimestamp(v));
}

FlowStr flowrt_string_duration(FlowCtx* ctx, int64_t v) {
    return flow::rt::arenaString(ctx, flow::rt::formatDuration(v));
}

FlowStr flowrt_string_enum(FlowCtx* ctx, int32_t enumId, int64_t v) {
    // The name lives in the program, which outlives every call. An index out of range
    // cannot come from a checked row; it prints as the number rather than failing, since
    // string() has no error path.
    const flow::rt::plan::Program* program = flow::rt::programOf(ctx);
    if (program != nullptr && enumId >= 0 &&
        static_cast<std::size_t>(enumId) < program->enums.size()) {
        const auto& values = program->enums[static_cast<std::size_t>(enumId)].values;
        if (v >= 0 && static_cast<std::uint64_t>(v) < values.size()) {
            const std::string& name = values[static_cast<std::size_t>(v)];
            return FlowStr{name.data(), static_cast<std::int64_t>(name.size())};
        }
    }
    return flowrt_string_int(ctx, v);
}

}  // extern "C"
