// flow/rt/rows.h - rows in their ABI layout (abi.h) as the runtime owns, compares,
// hashes, stores and prints them.
#pragma once

#include "flow/rt/plan.h"
#include "flow/rt/status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flow::rt {

/// A row of a layout with its own storage: the fixed part, and the bytes of its strings
/// (its FlowStr fields point into them). Copying copies the strings. A default-made
/// OwnedRow is empty (no layout); `OwnedRow(layout)` is all zero (empty strings, absent
/// optionals, false, 0).
class OwnedRow {
public:
    OwnedRow() = default;
    explicit OwnedRow(const plan::Layout* layout);
    OwnedRow(const plan::Layout* layout, const void* abiRow);  // deep copy
    OwnedRow(const OwnedRow& other);
    OwnedRow& operator=(const OwnedRow& other);
    OwnedRow(OwnedRow&& other) noexcept;
    OwnedRow& operator=(OwnedRow&& other) noexcept;
    ~OwnedRow();

    bool empty() const { return layout_ == nullptr; }
    const plan::Layout* layout() const { return layout_; }
    void* data() { return layout_ == nullptr ? nullptr : buf(); }
    const void* data() const { return layout_ == nullptr ? nullptr : buf(); }

    /// Makes this a zeroed row of `layout`, as OwnedRow(layout) would, reusing the memory.
    void reset(const plan::Layout* layout);
    /// Replaces the content with a deep copy of `abiRow` (which may point into this row).
    void assign(const void* abiRow);
    /// After a kernel wrote strings into this row from its arena: copy them in, so the
    /// row no longer points at memory it does not own.
    void adoptStrings();

    /// A field of another row, and the field of this one it goes to (assignFields).
    struct FieldFrom {
        const OwnedRow* row;
        std::int32_t field;  // in row->layout()
        std::int32_t to;     // in the layout assigned
    };
    /// Makes this a row of `layout` whose fields are zero except those `from` names, each
    /// copied from another row's field of the same type: what a kernel that only copies
    /// fields (plan::Kernel::copies) leaves in a zeroed row, once its strings are adopted.
    /// No row in `from` may be this one.
    void assignFields(const plan::Layout* layout, std::span<const FieldFrom> from);

    friend bool operator==(const OwnedRow& a, const OwnedRow& b);
    template <typename H>
    friend H AbslHashValue(H h, const OwnedRow& r) {
        return H::combine(std::move(h), r.hash());
    }
    std::size_t hash() const;

private:
    /// A row's bytes: the ABI row, then the bytes of its strings back to back in field
    /// order (every FlowStr points there). Up to this size (most keys and small rows)
    /// they live inside the object: no allocation to make or copy them, and one cache
    /// line to compare them. The object is 64 bytes.
    static constexpr std::size_t kInline = 48;
    /// Larger ones are on the heap, after a header.
    struct Heap {
        std::uint32_t capacity;  // bytes after the header
        std::uint32_t used;      // row and strings
    };
    static constexpr std::size_t kHeader = 8;
    static_assert(sizeof(Heap) == kHeader);

    std::uint8_t* buf() { return heap_ ? heap_.get() + kHeader : inline_; }
    const std::uint8_t* buf() const { return heap_ ? heap_.get() + kHeader : inline_; }
    /// Row and string bytes held.
    std::size_t used() const;
    /// Makes room for `bytes` (contents unspecified) and sets `layout_`.
    void reserveFor(const plan::Layout* layout, std::size_t bytes);
    /// Copies `bytes` of row and strings laid out as buf() holds them, and points the
    /// strings at their new place.
    void copyFrom(const plan::Layout* layout, const std::uint8_t* bytes, std::size_t n);

    const plan::Layout* layout_ = nullptr;
    std::unique_ptr<std::uint8_t[]> heap_;  // Heap, then the bytes; null: inline_
    alignas(8) std::uint8_t inline_[kInline];
};

/// Field-wise equality and a hash consistent with it (strings by content, floats by
/// value with 0.0 == -0.0, absent optionals equal regardless of padding).
bool rowsEqual(const plan::Layout& layout, const void* a, const void* b);
std::size_t hashRow(const plan::Layout& layout, const void* row);
/// A key row described by another row's fields: field i of `key` is field `fields[i]` of
/// a row of layout `from`, of the same type (optional or not alike). The engine probes a
/// table with an event's fields this way, where a group or join key only copies them,
/// without copying them into a key row first. What it needs of the two layouts is worked
/// out once, here.
struct FieldsOf;
class KeyFields {
public:
    KeyFields() = default;
    KeyFields(const plan::Layout& key, const plan::Layout& from,
              std::span<const std::int32_t> fields);
    bool empty() const { return key_ == nullptr; }
    const plan::Layout* key() const { return key_; }
    const plan::Layout* from() const { return from_; }

private:
    friend std::size_t hashFieldsOf(const FieldsOf& k);
    friend bool rowEqualsFieldsOf(const void* keyRow, const FieldsOf& k);
    /// A key field and the field it is, as offsets: presence bytes (optionals) and values.
    struct Pair {
        std::uint32_t keyPresence, keyValue, fromPresence, fromValue;
        plan::Scalar scalar;
        bool optional;
    };
    std::vector<Pair> pairs_;
    std::uint64_t seed_ = 0;  // hashRow's, of the key layout
    const plan::Layout* key_ = nullptr;
    const plan::Layout* from_ = nullptr;
};
/// The key row `fields` describes in `row` (a row of fields.from()).
struct FieldsOf {
    const KeyFields& fields;
    const void* row;
};
/// hashRow(*key, the key row k describes), and rowsEqual(*key, keyRow, that row).
std::size_t hashFieldsOf(const FieldsOf& k);
bool rowEqualsFieldsOf(const void* keyRow, const FieldsOf& k);
/// What the hash tables' hash of an OwnedRow (absl::Hash<OwnedRow>) makes of its hash():
/// the table's hash of a row known by hashFieldsOf.
std::size_t tableHashOf(std::size_t rowHash);
/// Orders rows field by field (for `order by` and deterministic dumps).
int compareRows(const plan::Layout& layout, const void* a, const void* b);

/// The compact binary row format of codec.h, from and to ABI rows.
void encodeAbiRow(const plan::Layout& layout, const void* row, std::string& out);
/// The same, written at `p`, which has room for abiRowBound(layout, row) bytes; returns
/// the end.
std::size_t abiRowBound(const plan::Layout& layout, const void* row);
char* writeAbiRow(char* p, const plan::Layout& layout, const void* row);
/// abiRowBound and writeAbiRow for one layout, with what they need from it worked out
/// once: the engine encodes every input of a type with the same writer. Same bytes.
class RowWriter {
public:
    explicit RowWriter(const plan::Layout& layout);
    std::size_t bound(const void* row) const;
    char* write(char* p, const void* row) const;

private:
    /// A field: where its value is, its presence byte (optionals) and its bit in the
    /// bitmap of absent ones.
    struct Op {
        std::uint32_t value;
        std::uint32_t presence;
        std::uint16_t bit;
        bool optional;
        plan::Scalar scalar;
    };
    std::vector<Op> ops_;
    std::vector<Op> strings_;  // the string fields, for bound()
    std::size_t bitmapBytes_ = 0;
    std::size_t fixedBound_ = 0;  // the bitmap and every field but a string's bytes
};

Status decodeAbiRow(const plan::Program& program, const plan::Layout& layout,
                    std::string_view bytes, OwnedRow& out);

/// JSON of a row: {"field": value, ...} in field order. Timestamps are RFC 3339 strings
/// ("2024-01-01T00:00:00Z", with microseconds when not zero), durations strings such as
/// "1h30m" or "250ms", enums their value's name, absent optionals null.
nlohmann::ordered_json rowToJson(const plan::Program& program, const plan::Layout& layout,
                                 const void* row);
/// Reads a row from a JSON object, starting from `defaults` (a row of the same layout,
/// may be null: zero values) for fields the object leaves out. Accepts what rowToJson
/// writes, and also integers for timestamps and durations (microseconds). Unknown
/// fields, missing fields without a default, and values of the wrong type are errors
/// whose message names the field: "field 'qty': expected an int, found a string".
Status jsonToRow(const plan::Program& program, const plan::Layout& layout,
                 const nlohmann::json& object, const void* defaults, bool requireAll,
                 OwnedRow& out);

/// Text forms shared by JSON, dumps and the standard library.
std::string formatTimestamp(std::int64_t micros);
bool parseTimestamp(std::string_view text, std::int64_t& micros);
std::string formatDuration(std::int64_t micros);
bool parseDuration(std::string_view text, std::int64_t& micros);

}  // namespace flow::rt
