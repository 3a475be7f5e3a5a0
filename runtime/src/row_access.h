// runtime/src/row_access.h - reading and writing the fields of an ABI row (abi.h's layout rules).
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/plan.h"

#include <cstdint>
#include <cstring>

namespace flow::rt::rowaccess {

inline std::uint32_t scalarSize(plan::Scalar s) {
    return s == plan::Scalar::Bool ? 1 : (s == plan::Scalar::String ? 16 : 8);
}

/// Where the value of `f` starts: after the presence byte of an optional, at the value's
/// alignment (bool? 1, everything else 8).
inline std::uint32_t valueOffset(const plan::Field& f) {
    if (!f.type.optional) {
        return f.offset;
    }
    return f.offset + (f.type.scalar == plan::Scalar::Bool ? 1 : 8);
}

inline bool present(const plan::Field& f, const std::uint8_t* row) {
    return !f.type.optional || row[f.offset] != 0;
}

inline std::int64_t readInt(const std::uint8_t* p) {
    std::int64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline double readFloat(const std::uint8_t* p) {
    double v = 0;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline FlowStr readStr(const std::uint8_t* p) {
    FlowStr s{};
    std::memcpy(&s, p, sizeof s);
    return s;
}

inline void writeInt(std::uint8_t* p, std::int64_t v) {
    std::memcpy(p, &v, sizeof v);
}

inline void writeFloat(std::uint8_t* p, double v) {
    std::memcpy(p, &v, sizeof v);
}

inline void writeStr(std::uint8_t* p, FlowStr s) {
    std::memcpy(p, &s, sizeof s);
}

}  // namespace flow::rt::rowaccess
