// runtime/src/row_json.cpp - ABI rows to and from JSON objects, with errors that name the field.
#include "flow/rt/codec.h"
#include "flow/rt/rows.h"
#include "row_access.h"
#include "text_util.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace flow::rt {

using namespace rowaccess;

namespace {

using Json = nlohmann::json;

const plan::Enum* enumOf(const plan::Program& program, const plan::Field& f) {
    if (f.type.enumId < 0 || static_cast<std::size_t>(f.type.enumId) >= program.enums.size()) {
        return nullptr;
    }
    return &program.enums[static_cast<std::size_t>(f.type.enumId)];
}

std::string expected(const plan::Program& program, const plan::Field& f) {
    std::string what;
    switch (f.type.scalar) {
    case plan::Scalar::Bool:
        what = "a bool";
        break;
    case plan::Scalar::Int:
        what = "an int";
        break;
    case plan::Scalar::Float:
        what = "a float";
        break;
    case plan::Scalar::String:
        what = "a string";
        break;
    case plan::Scalar::Timestamp:
        what = "a timestamp";
        break;
    case plan::Scalar::Duration:
        what = "a duration";
        break;
    case plan::Scalar::Enum: {
        const plan::Enum* e = enumOf(program, f);
        what = "a value of enum '" + (e != nullptr ? e->name : std::string("?")) + "'";
        break;
    }
    }
    return f.type.optional ? what + " or null" : what;
}

Status fieldError(const plan::Field& f, const std::string& what) {
    return Status::invalid("field '" + f.name + "': " + what);
}

Status typeError(const plan::Program& program, const plan::Field& f, const Json& j) {
    return fieldError(f, "expected " + expected(program, f) + ", found " + jsonKind(j));
}

enum class IntRead { Ok, WrongType, OutOfRange };

/// A JSON integer within int64. A float is the wrong type even when integral ("5.0"),
/// except that an integral float at or beyond int64's ends (how the parser reads an
/// integer literal too large for it) is reported as out of range.
IntRead readJsonInt(const Json& j, std::int64_t& out) {
    if (j.is_number_integer() && !j.is_number_unsigned()) {
        out = j.get<std::int64_t>();
        return IntRead::Ok;
    }
    if (j.is_number_unsigned()) {
        auto u = j.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) {
            return IntRead::OutOfRange;
        }
        out = static_cast<std::int64_t>(u);
        return IntRead::Ok;
    }
    if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::isfinite(d) && d == std::trunc(d) &&
            (d >= 9223372036854775808.0 || d <= -9223372036854775808.0)) {
            return IntRead::OutOfRange;
        }
    }
    return IntRead::WrongType;
}

Status readIntField(const plan::Program& program, const plan::Field& f, const Json& j,
                    std::int64_t& out) {
    switch (readJsonInt(j, out)) {
    case IntRead::Ok:
        return Status::ok();
    case IntRead::OutOfRange:
        return fieldError(f, j.dump() + " is out of the int64 range");
    case IntRead::WrongType:
        break;
    }
    return typeError(program, f, j);
}

/// Reads `j` into field `f` of `row`. Strings are left pointing into `j`.
Status readField(const plan::Program& program, const plan::Field& f, const Json& j,
                 std::uint8_t* row) {
    std::uint8_t* v = row + valueOffset(f);
    if (j.is_null()) {
        if (!f.type.optional) {
            return typeError(program, f, j);
        }
        row[f.offset] = 0;
        std::memset(v, 0, scalarSize(f.type.scalar));
        return Status::ok();
    }
    if (f.type.optional) {
        row[f.offset] = 1;
    }
    switch (f.type.scalar) {
    case plan::Scalar::Bool:
        if (!j.is_boolean()) {
            return typeError(program, f, j);
        }
        *v = j.get<bool>() ? 1 : 0;
        return Status::ok();
    case plan::Scalar::Int: {
        std::int64_t x = 0;
        FLOW_RT_TRY(readIntField(program, f, j, x));
        writeInt(v, x);
        return Status::ok();
    }
    case plan::Scalar::Float:
        if (j.is_number()) {
            writeFloat(v, j.get<double>());
            return Status::ok();
        }
        if (j.is_string()) {
            // What rowToJson writes for the values JSON numbers cannot hold.
            const auto& s = j.get_ref<const std::string&>();
            if (s == "NaN" || s == "Infinity" || s == "-Infinity") {
                writeFloat(v, s == "NaN"        ? std::numeric_limits<double>::quiet_NaN()
                              : s == "Infinity" ? std::numeric_limits<double>::infinity()
                                                : -std::numeric_limits<double>::infinity());
                return Status::ok();
            }
        }
        return typeError(program, f, j);
    case plan::Scalar::String: {
        if (!j.is_string()) {
            return typeError(program, f, j);
        }
        const auto& s = j.get_ref<const std::string&>();
        if (!validUtf8(s)) {
            return fieldError(f, "string is not valid UTF-8");
        }
        writeStr(v, FlowStr{s.data(), static_cast<std::int64_t>(s.size())});
        return Status::ok();
    }
    case plan::Scalar::Timestamp:
    case plan::Scalar::Duration: {
        bool ts = f.type.scalar == plan::Scalar::Timestamp;
        std::int64_t x = 0;
        if (j.is_string()) {
            const auto& s = j.get_ref<const std::string&>();
            if (!(ts ? parseTimestamp(s, x) : parseDuration(s, x))) {
                return fieldError(f, std::string("invalid ") + (ts ? "timestamp " : "duration ") +
                                         quote(s));
            }
        } else {
            FLOW_RT_TRY(readIntField(program, f, j, x));  // microseconds
        }
        writeInt(v, x);
        return Status::ok();
    }
    case plan::Scalar::Enum: {
        const plan::Enum* e = enumOf(program, f);
        if (!j.is_string() || e == nullptr) {
            return typeError(program, f, j);
        }
        const auto& s = j.get_ref<const std::string&>();
        for (std::size_t i = 0; i < e->values.size(); ++i) {
            if (e->values[i] == s) {
                writeInt(v, static_cast<std::int64_t>(i));
                return Status::ok();
            }
        }
        std::string msg = quote(s) + " is not a value of enum '" + e->name + "'";
        std::vector<std::string_view> names(e->values.begin(), e->values.end());
        std::string near = closestName(s, names);
        if (!near.empty()) {
            msg += "; did you mean '" + near + "'?";
        }
        return fieldError(f, msg);
    }
    }
    return typeError(program, f, j);
}

template <typename J>
J floatJson(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
    }
    return d;
}

}  // namespace

nlohmann::ordered_json rowToJson(const plan::Program& program, const plan::Layout& layout,
                                 const void* row) {
    const auto* r = static_cast<const std::uint8_t*>(row);
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const plan::Field& f : layout.fields) {
        if (!present(f, r)) {
            out[f.name] = nullptr;
            continue;
        }
        const std::uint8_t* v = r + valueOffset(f);
        switch (f.type.scalar) {
        case plan::Scalar::Bool:
            out[f.name] = *v != 0;
            break;
        case plan::Scalar::Int:
            out[f.name] = readInt(v);
            break;
        case plan::Scalar::Float:
            out[f.name] = floatJson<nlohmann::ordered_json>(readFloat(v));
            break;
        case plan::Scalar::String: {
            FlowStr s = readStr(v);
            out[f.name] = s.len > 0 ? std::string(s.ptr, static_cast<std::size_t>(s.len)) : "";
            break;
        }
        case plan::Scalar::Timestamp:
            out[f.name] = formatTimestamp(readInt(v));
            break;
        case plan::Scalar::Duration:
            out[f.name] = formatDuration(readInt(v));
            break;
        case plan::Scalar::Enum: {
            // An index out of range cannot come from a checked row; print the number
            // rather than lose it.
            const plan::Enum* e = enumOf(program, f);
            std::int64_t i = readInt(v);
            if (e != nullptr && i >= 0 && static_cast<std::uint64_t>(i) < e->values.size()) {
                out[f.name] = e->values[static_cast<std::size_t>(i)];
            } else {
                out[f.name] = i;
            }
            break;
        }
        }
    }
    return out;
}

Status jsonToRow(const plan::Program& program, const plan::Layout& layout,
                 const nlohmann::json& object, const void* defaults, bool requireAll,
                 OwnedRow& out) {
    if (!object.is_object()) {
        return Status::invalid(std::string("expected an object, found ") + jsonKind(object));
    }
    // Build the row in scratch memory (strings pointing into `object` and `defaults`),
    // then copy it into `out` in one go: on an error `out` is left as it was.
    std::vector<std::uint8_t> row(layout.size);
    if (defaults != nullptr) {
        std::memcpy(row.data(), defaults, layout.size);
    }
    std::vector<bool> seen(layout.fields.size());
    for (auto it = object.begin(); it != object.end(); ++it) {
        const std::string& key = it.key();
        std::size_t i = 0;
        while (i < layout.fields.size() && layout.fields[i].name != key) {
            ++i;
        }
        if (i == layout.fields.size()) {
            std::string msg = "unknown field " + quote(key);
            std::vector<std::string_view> names;
            for (const plan::Field& f : layout.fields) {
                names.emplace_back(f.name);
            }
            std::string near = closestName(key, names);
            if (!near.empty()) {
                msg += "; did you mean '" + near + "'?";
            }
            return Status::invalid(msg);
        }
        seen[i] = true;
        FLOW_RT_TRY(readField(program, layout.fields[i], it.value(), row.data()));
    }
    // When every field is required, a missing one must have a declared default (taken
    // from `defaults`) or be optional (none); otherwise missing fields keep `defaults` or
    // their zero value.
    if (requireAll) {
        for (std::size_t i = 0; i < layout.fields.size(); ++i) {
            const plan::Field& f = layout.fields[i];
            if (seen[i] || (f.hasDefault && defaults != nullptr)) {
                continue;
            }
            if (!f.type.optional) {
                return Status::invalid("missing field '" + f.name + "'");
            }
            row.data()[f.offset] = 0;  // none
        }
    }
    if (out.layout() == &layout) {
        out.assign(row.data());
    } else {
        out = OwnedRow(&layout, row.data());
    }
    return Status::ok();
}

}  // namespace flow::rt
