// flow/rt/value.h - dynamic values, rows and the schemas that describe them.
//
// Compiled programs use generated structs; the runtime's generic paths (tests, the
// JSON edge, dumps, the LLVM backend's interpreter glue) use these dynamic rows.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace flow::rt {

/// The storage class of a field. Timestamps (UTC microseconds), durations
/// (microseconds) and enums (the value's index) are integers at run time.
enum class FieldType : std::uint8_t { Bool = 1, Int, Float, String, Timestamp, Duration, Enum };

const char* fieldTypeName(FieldType t);

struct FieldSpec {
    std::string name;
    FieldType type = FieldType::Int;
    bool optional = false;
    std::vector<std::string> enumValues;  // for Enum: the value names, in order
};

/// The fields of one event version, table row or key.
struct Schema {
    std::string name;  // "Orders.OrderPlaced"
    std::uint32_t version = 1;
    std::vector<FieldSpec> fields;
    int keyIndex = -1;  // the partition key field of an event, if any

    int indexOf(const std::string& field) const;
};

/// None, bool, int (also timestamp, duration, enum), float or string.
using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;
using Row = std::vector<Value>;

inline bool isNone(const Value& v) {
    return std::holds_alternative<std::monostate>(v);
}
inline std::int64_t asInt(const Value& v) {
    return std::get<std::int64_t>(v);
}
inline double asFloat(const Value& v) {
    return std::get<double>(v);
}
inline const std::string& asString(const Value& v) {
    return std::get<std::string>(v);
}
inline bool asBool(const Value& v) {
    return std::get<bool>(v);
}

/// True if `v` has the storage class of `spec` (or is none for an optional field).
bool valueFits(const Value& v, const FieldSpec& spec);

/// Debug and test text: `42`, `"s"`, `none`, `true`, `1.5`.
std::string valueToString(const Value& v);
std::string rowToString(const Row& r);

}  // namespace flow::rt
