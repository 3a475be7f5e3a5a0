// runtime/tests/row_test_util.h - hand-built layouts and programs, and raw ABI rows to test with.
//
// makeLayout lays fields out as ir::computeLayout does (abi.h): each field at the next
// offset aligned for it (bool 1, everything else 8; an optional is a presence byte, then
// its value at the value's alignment), the size rounded up to 8 and at least 8.
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/plan.h"
#include "flow/rt/value.h"

#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace flow::rt::testing {

struct FieldDef {
    std::string name;
    plan::Scalar scalar = plan::Scalar::Int;
    bool optional = false;
    std::int32_t enumId = -1;
};

inline std::uint32_t roundUp(std::uint32_t n, std::uint32_t a) {
    return (n + a - 1) / a * a;
}

inline plan::Layout makeLayout(std::int32_t id, std::string name,
                               const std::vector<FieldDef>& fields) {
    plan::Layout l;
    l.id = id;
    l.name = std::move(name);
    std::uint32_t offset = 0;
    for (const FieldDef& d : fields) {
        plan::Field f;
        f.name = d.name;
        f.type.scalar = d.scalar;
        f.type.optional = d.optional;
        f.type.enumId = d.enumId;
        std::uint32_t align = d.scalar == plan::Scalar::Bool ? 1 : 8;
        std::uint32_t size = d.scalar == plan::Scalar::Bool     ? 1
                             : d.scalar == plan::Scalar::String ? 16
                                                                : 8;
        if (d.optional) {
            size += roundUp(1, align);
        }
        offset = roundUp(offset, align);
        f.offset = offset;
        offset += size;
        l.fields.push_back(std::move(f));
    }
    l.size = roundUp(offset == 0 ? 8 : offset, 8);
    return l;
}

inline std::uint32_t valueAt(const plan::Field& f) {
    return f.offset + (f.type.optional ? (f.type.scalar == plan::Scalar::Bool ? 1 : 8) : 0);
}

/// A raw ABI row under construction: its bytes, and the strings its FlowStr fields point at.
class RawRow {
public:
    explicit RawRow(const plan::Layout& layout) : layout_(&layout), bytes_(layout.size, 0) {}

    void* data() { return bytes_.data(); }
    const void* data() const { return bytes_.data(); }
    const plan::Layout& layout() const { return *layout_; }

    RawRow& setBool(std::size_t i, bool v) {
        *at(i) = v ? 1 : 0;
        return *this;
    }
    RawRow& setInt(std::size_t i, std::int64_t v) {
        std::memcpy(at(i), &v, 8);
        return *this;
    }
    RawRow& setFloat(std::size_t i, double v) {
        std::memcpy(at(i), &v, 8);
        return *this;
    }
    RawRow& setString(std::size_t i, std::string v) {
        strings_.push_back(std::move(v));
        FlowStr s{strings_.back().data(), static_cast<std::int64_t>(strings_.back().size())};
        std::memcpy(at(i), &s, sizeof s);
        return *this;
    }
    RawRow& setAbsent(std::size_t i) {
        bytes_[layout_->fields[i].offset] = 0;
        return *this;
    }
    /// Fills every byte (padding, the values of absent optionals) with noise, which no
    /// comparison may look at.
    void scribble(std::mt19937_64& rng) {
        for (auto& b : bytes_) {
            b = static_cast<std::uint8_t>(rng());
        }
    }

private:
    std::uint8_t* at(std::size_t i) {
        const plan::Field& f = layout_->fields[i];
        if (f.type.optional) {
            bytes_[f.offset] = 1;
        }
        return bytes_.data() + valueAt(f);
    }

    const plan::Layout* layout_;
    std::vector<std::uint8_t> bytes_;
    std::deque<std::string> strings_;
};

inline std::string randomString(std::mt19937_64& rng) {
    static const char* kPieces[] = {
        "a",   "Z", "0", " ", "\"", "\\", "\n", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "\x7F"};
    std::string s;
    std::size_t n = rng() % 12;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t k = rng() % 12;
        if (k == 11) {
            s.push_back('\0');
        } else {
            s += kPieces[k];
        }
    }
    return s;
}

inline std::int64_t randomInt(std::mt19937_64& rng) {
    const std::int64_t choices[] = {0,
                                    1,
                                    -1,
                                    INT64_MIN,
                                    INT64_MAX,
                                    86400000000,
                                    static_cast<std::int64_t>(rng()),
                                    static_cast<std::int64_t>(rng() % 2000000) - 1000000};
    return choices[rng() % 8];
}

inline double randomFloat(std::mt19937_64& rng) {
    const double choices[] = {
        0.0,   -0.0,   1.5, -2.25,
        1e300, 5e-324, 0.1, static_cast<double>(static_cast<std::int64_t>(rng())) / 7.0};
    return choices[rng() % 8];
}

/// Random values in every field of `row` (after scribbling), absent optionals included.
inline void randomize(RawRow& row, const plan::Program& program, std::mt19937_64& rng) {
    row.scribble(rng);
    const plan::Layout& l = row.layout();
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        const plan::Field& f = l.fields[i];
        if (f.type.optional && rng() % 4 == 0) {
            row.setAbsent(i);
            continue;
        }
        switch (f.type.scalar) {
        case plan::Scalar::Bool:
            row.setBool(i, rng() % 2 == 0);
            break;
        case plan::Scalar::Int:
        case plan::Scalar::Timestamp:
        case plan::Scalar::Duration:
            row.setInt(i, randomInt(rng));
            break;
        case plan::Scalar::Enum:
            row.setInt(
                i,
                static_cast<std::int64_t>(
                    rng() % program.enums[static_cast<std::size_t>(f.type.enumId)].values.size()));
            break;
        case plan::Scalar::Float:
            row.setFloat(i, randomFloat(rng));
            break;
        case plan::Scalar::String:
            row.setString(i, randomString(rng));
            break;
        }
    }
}

/// A program with two enums and no layouts yet.
inline plan::Program programWithEnums() {
    plan::Program p;
    p.enums.push_back(plan::Enum{"Orders.OrderState", {"Placed", "Reserved", "Shipped"}});
    p.enums.push_back(plan::Enum{"Orders.Single", {"Only"}});
    return p;
}

/// A random layout of up to 12 fields over the program's enums.
inline std::vector<FieldDef> randomFields(std::mt19937_64& rng, const plan::Program& program) {
    std::vector<FieldDef> fields;
    std::size_t n = rng() % 13;
    for (std::size_t i = 0; i < n; ++i) {
        FieldDef d;
        d.name = "f" + std::to_string(i);
        d.scalar = static_cast<plan::Scalar>(rng() % 7);
        d.optional = rng() % 3 == 0;
        if (d.scalar == plan::Scalar::Enum) {
            d.enumId = static_cast<std::int32_t>(rng() % program.enums.size());
        }
        fields.push_back(d);
    }
    return fields;
}

/// The codec.h Schema and dynamic Row equivalent to a layout and an ABI row.
inline Schema schemaOf(const plan::Program& program, const plan::Layout& l) {
    Schema s;
    s.name = l.name;
    for (const plan::Field& f : l.fields) {
        FieldSpec spec;
        spec.name = f.name;
        spec.optional = f.type.optional;
        switch (f.type.scalar) {
        case plan::Scalar::Bool:
            spec.type = FieldType::Bool;
            break;
        case plan::Scalar::Int:
            spec.type = FieldType::Int;
            break;
        case plan::Scalar::Float:
            spec.type = FieldType::Float;
            break;
        case plan::Scalar::String:
            spec.type = FieldType::String;
            break;
        case plan::Scalar::Timestamp:
            spec.type = FieldType::Timestamp;
            break;
        case plan::Scalar::Duration:
            spec.type = FieldType::Duration;
            break;
        case plan::Scalar::Enum:
            spec.type = FieldType::Enum;
            spec.enumValues = program.enums[static_cast<std::size_t>(f.type.enumId)].values;
            break;
        }
        s.fields.push_back(spec);
    }
    return s;
}

inline Row dynamicRow(const plan::Layout& l, const void* abiRow) {
    const auto* r = static_cast<const std::uint8_t*>(abiRow);
    Row out;
    for (const plan::Field& f : l.fields) {
        if (f.type.optional && r[f.offset] == 0) {
            out.emplace_back();
            continue;
        }
        const std::uint8_t* v = r + valueAt(f);
        switch (f.type.scalar) {
        case plan::Scalar::Bool:
            out.emplace_back(*v != 0);
            break;
        case plan::Scalar::Float: {
            double d = 0;
            std::memcpy(&d, v, 8);
            out.emplace_back(d);
            break;
        }
        case plan::Scalar::String: {
            FlowStr s{};
            std::memcpy(&s, v, sizeof s);
            out.emplace_back(s.len > 0 ? std::string(s.ptr, static_cast<std::size_t>(s.len))
                                       : std::string());
            break;
        }
        default: {
            std::int64_t x = 0;
            std::memcpy(&x, v, 8);
            out.emplace_back(x);
            break;
        }
        }
    }
    return out;
}

}  // namespace flow::rt::testing
