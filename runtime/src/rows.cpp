// runtime/src/rows.cpp - ABI rows: ownership, equality, hashing, order and the binary codec.
//
// JSON is in row_json.cpp, the text forms of timestamps and durations in time_format.cpp.
// Everything here walks a layout's fields (plan layouts hold scalar fields only) and reads
// values with memcpy, so a row needs no particular alignment.
#include "flow/rt/rows.h"

#include "flow/rt/codec.h"
#include "row_access.h"

#include <absl/hash/hash.h>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
// XXH3 inlined: most keys are short strings, hashed in a few dozen instructions.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace flow::rt {

using namespace rowaccess;

namespace {

/// Bytes of the strings a row holds (present string fields).
std::size_t stringBytes(const plan::Layout& l, const std::uint8_t* row) {
    std::size_t n = 0;
    for (const plan::Field& f : l.fields) {
        if (f.type.scalar == plan::Scalar::String && present(f, row)) {
            FlowStr s = readStr(row + valueOffset(f));
            n += s.len > 0 ? static_cast<std::size_t>(s.len) : 0;
        }
    }
    return n;
}

/// Presence bytes and bools to exactly 0 or 1, and zero bytes in the value of an absent
/// optional: an owned row holds no stale pointer and compares equal byte for byte where
/// it can.
void normalize(const plan::Layout& l, std::uint8_t* row) {
    for (const plan::Field& f : l.fields) {
        std::uint8_t* v = row + valueOffset(f);
        if (f.type.optional) {
            if (row[f.offset] == 0) {
                std::memset(v, 0, scalarSize(f.type.scalar));
                continue;
            }
            row[f.offset] = 1;
        }
        if (f.type.scalar == plan::Scalar::Bool) {
            *v = *v != 0 ? 1 : 0;
        }
    }
}

/// Points the string fields of `row` into `strings`, which holds their bytes back to
/// back in field order (the invariant of OwnedRow).
void pointStrings(const plan::Layout& l, std::uint8_t* row, const std::uint8_t* strings) {
    std::size_t pos = 0;
    for (const plan::Field& f : l.fields) {
        if (f.type.scalar != plan::Scalar::String || !present(f, row)) {
            continue;
        }
        std::uint8_t* v = row + valueOffset(f);
        FlowStr s = readStr(v);
        if (s.len <= 0) {
            writeStr(v, FlowStr{nullptr, 0});
            continue;
        }
        writeStr(v, FlowStr{reinterpret_cast<const char*>(strings) + pos, s.len});
        pos += static_cast<std::size_t>(s.len);
    }
}

int compareFloats(double a, double b) {
    // A total order for sorting and keys: NaNs equal each other and sort last; 0.0 and
    // -0.0 are equal.
    bool na = std::isnan(a);
    bool nb = std::isnan(b);
    if (na || nb) {
        return na == nb ? 0 : (na ? 1 : -1);
    }
    return a < b ? -1 : (a > b ? 1 : 0);
}

int compareStrings(FlowStr a, FlowStr b) {
    std::size_t la = a.len > 0 ? static_cast<std::size_t>(a.len) : 0;
    std::size_t lb = b.len > 0 ? static_cast<std::size_t>(b.len) : 0;
    std::size_t n = la < lb ? la : lb;
    int c = n > 0 ? std::memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return la == lb ? 0 : (la < lb ? -1 : 1);
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    // splitmix64's finaliser over the running state: cheap, and every input bit reaches
    // every output bit.
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return h;
}

std::size_t optionalCount(const plan::Layout& l) {
    std::size_t n = 0;
    for (const plan::Field& f : l.fields) {
        n += f.type.optional ? 1 : 0;
    }
    return n;
}

/// A present value of the compact row format (codec.h), written at `p`; returns the end.
inline char* writeValue(char* p, plan::Scalar scalar, const std::uint8_t* v) {
    switch (scalar) {
    case plan::Scalar::Bool:
        *p++ = *v != 0 ? '\1' : '\0';
        break;
    case plan::Scalar::Int:
    case plan::Scalar::Timestamp:
    case plan::Scalar::Duration:
        p = wire::zigzag(p, readInt(v));
        break;
    case plan::Scalar::Enum:
        p = wire::varint(p, static_cast<std::uint64_t>(readInt(v)));
        break;
    case plan::Scalar::Float: {
        std::uint64_t bits = 0;
        double d = readFloat(v);
        std::memcpy(&bits, &d, 8);
        p = wire::fixed64(p, bits);
        break;
    }
    case plan::Scalar::String: {
        FlowStr s = readStr(v);
        p = wire::bytes(p, s.len > 0 ? std::string_view(s.ptr, static_cast<std::size_t>(s.len))
                                     : std::string_view());
        break;
    }
    }
    return p;
}

}  // namespace

// ---- OwnedRow ---------------------------------------------------------------------------

std::size_t OwnedRow::used() const {
    if (heap_) {
        Heap h;
        std::memcpy(&h, heap_.get(), kHeader);
        return h.used;
    }
    return kInline;  // copying all of inline_ costs no more than finding how much is used
}

void OwnedRow::reserveFor(const plan::Layout* layout, std::size_t bytes) {
    layout_ = layout;
    if (bytes <= kInline) {
        heap_.reset();
        return;
    }
    if (bytes > std::numeric_limits<std::uint32_t>::max()) {
        throw std::bad_alloc();
    }
    Heap h{0, static_cast<std::uint32_t>(bytes)};
    if (heap_) {
        std::memcpy(&h.capacity, heap_.get(), sizeof h.capacity);
    }
    if (!heap_ || h.capacity < bytes) {
        heap_ = std::make_unique_for_overwrite<std::uint8_t[]>(kHeader + bytes);
        h.capacity = static_cast<std::uint32_t>(bytes);
    }
    std::memcpy(heap_.get(), &h, kHeader);
}

void OwnedRow::copyFrom(const plan::Layout* layout, const std::uint8_t* bytes, std::size_t n) {
    reserveFor(layout, n);
    std::memcpy(buf(), bytes, n);
    pointStrings(*layout, buf(), buf() + layout->size);
}

OwnedRow::OwnedRow(const plan::Layout* layout) {
    reset(layout);
}

void OwnedRow::reset(const plan::Layout* layout) {
    reserveFor(layout, layout->size);
    std::memset(buf(), 0, layout->size);
}

OwnedRow::OwnedRow(const plan::Layout* layout, const void* abiRow) {
    layout_ = layout;
    assign(abiRow);
}

OwnedRow::OwnedRow(const OwnedRow& other) {
    if (other.layout_ != nullptr) {
        copyFrom(other.layout_, other.buf(), other.used());
    }
}

OwnedRow& OwnedRow::operator=(const OwnedRow& other) {
    if (this == &other) {
        return *this;
    }
    if (other.layout_ == nullptr) {
        layout_ = nullptr;
        heap_.reset();
        return *this;
    }
    copyFrom(other.layout_, other.buf(), other.used());
    return *this;
}

OwnedRow::OwnedRow(OwnedRow&& other) noexcept
    : layout_(other.layout_), heap_(std::move(other.heap_)) {
    if (layout_ != nullptr && !heap_) {
        // Inline bytes move: the strings must then be pointed at their new place.
        std::memcpy(inline_, other.inline_, kInline);
        pointStrings(*layout_, inline_, inline_ + layout_->size);
    }
    other.layout_ = nullptr;
}

OwnedRow& OwnedRow::operator=(OwnedRow&& other) noexcept {
    if (this == &other) {
        return *this;
    }
    layout_ = other.layout_;
    heap_ = std::move(other.heap_);
    if (layout_ != nullptr && !heap_) {
        std::memcpy(inline_, other.inline_, kInline);
        pointStrings(*layout_, inline_, inline_ + layout_->size);
    }
    other.layout_ = nullptr;
    return *this;
}

OwnedRow::~OwnedRow() = default;

void OwnedRow::assign(const void* abiRow) {
    const plan::Layout& l = *layout_;
    const auto* src = static_cast<const std::uint8_t*>(abiRow);
    // Built aside first: `abiRow` may be this row, and its strings may be ours.
    const std::size_t n = l.size + stringBytes(l, src);
    constexpr std::size_t kStack = 256;
    std::uint8_t stack[kStack];
    std::unique_ptr<std::uint8_t[]> large;
    std::uint8_t* tmp = stack;
    if (n > kStack) {
        large = std::make_unique_for_overwrite<std::uint8_t[]>(n);
        tmp = large.get();
    }
    std::memcpy(tmp, src, l.size);
    std::size_t pos = l.size;
    for (const plan::Field& f : l.fields) {
        if (f.type.scalar == plan::Scalar::String && present(f, src)) {
            FlowStr s = readStr(src + valueOffset(f));
            if (s.len > 0) {
                std::memcpy(tmp + pos, s.ptr, static_cast<std::size_t>(s.len));
                pos += static_cast<std::size_t>(s.len);
            }
        }
    }
    normalize(l, tmp);
    copyFrom(&l, tmp, n);
}

void OwnedRow::adoptStrings() {
    assign(buf());
}

void OwnedRow::assignFields(const plan::Layout* layout, std::span<const FieldFrom> from) {
    std::size_t n = layout->size;
    for (const FieldFrom& f : from) {
        const plan::Field& sf = f.row->layout()->fields[static_cast<std::size_t>(f.field)];
        const auto* src = static_cast<const std::uint8_t*>(f.row->data());
        if (sf.type.scalar == plan::Scalar::String && present(sf, src)) {
            FlowStr str = readStr(src + valueOffset(sf));
            n += str.len > 0 ? static_cast<std::size_t>(str.len) : 0;
        }
    }
    reserveFor(layout, n);
    std::uint8_t* row = buf();
    // (Sizes are multiples of 8, and values 1, 8 or 16 bytes: fixed-size copies, which the
    // compiler inlines, where most rows are a few words.)
    for (std::size_t i = 0; i < layout->size; i += 8) {
        std::memset(row + i, 0, 8);
    }
    // The values, strings still pointing into their rows (owned rows: normalized already)...
    for (const FieldFrom& f : from) {
        const plan::Field& sf = f.row->layout()->fields[static_cast<std::size_t>(f.field)];
        const plan::Field& df = layout->fields[static_cast<std::size_t>(f.to)];
        const auto* src = static_cast<const std::uint8_t*>(f.row->data());
        if (!present(sf, src)) {
            continue;
        }
        if (df.type.optional) {
            row[df.offset] = 1;
        }
        std::uint8_t* to = row + valueOffset(df);
        const std::uint8_t* at = src + valueOffset(sf);
        switch (sf.type.scalar) {
        case plan::Scalar::Bool:
            *to = *at;
            break;
        case plan::Scalar::String:
            std::memcpy(to, at, 16);
            break;
        default:
            std::memcpy(to, at, 8);
        }
    }
    // ...then their bytes after the row, in field order (the invariant pointStrings reads).
    std::size_t pos = layout->size;
    for (const plan::Field& f : layout->fields) {
        if (f.type.scalar != plan::Scalar::String || !present(f, row)) {
            continue;
        }
        std::uint8_t* v = row + valueOffset(f);
        FlowStr str = readStr(v);
        if (str.len <= 0) {
            writeStr(v, FlowStr{nullptr, 0});
            continue;
        }
        std::memcpy(row + pos, str.ptr, static_cast<std::size_t>(str.len));
        writeStr(v, FlowStr{reinterpret_cast<const char*>(row) + pos, str.len});
        pos += static_cast<std::size_t>(str.len);
    }
}

namespace {

bool sameShape(const plan::Layout& a, const plan::Layout& b) {
    if (a.size != b.size || a.fields.size() != b.fields.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
        const plan::Field& x = a.fields[i];
        const plan::Field& y = b.fields[i];
        if (x.offset != y.offset || x.type.row != y.type.row || x.type.scalar != y.type.scalar ||
            x.type.optional != y.type.optional || x.type.enumId != y.type.enumId) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool operator==(const OwnedRow& a, const OwnedRow& b) {
    if (a.layout_ == nullptr || b.layout_ == nullptr) {
        return a.layout_ == b.layout_;
    }
    // Rows of two layouts with the same shape compare by value: a grouped table's key
    // (its `.key` layout) meets its group key (the `.group` layout) in lookups.
    if (a.layout_ != b.layout_ && !sameShape(*a.layout_, *b.layout_)) {
        return false;
    }
    return rowsEqual(*a.layout_, a.data(), b.data());
}

std::size_t OwnedRow::hash() const {
    return layout_ == nullptr ? 0 : hashRow(*layout_, data());
}

// ---- Equality, hashing, order -----------------------------------------------------------

namespace {

/// Whether the present values `va` and `vb` of type `scalar` are equal.
inline bool valueEqual(plan::Scalar scalar, const std::uint8_t* va, const std::uint8_t* vb) {
    switch (scalar) {
    case plan::Scalar::Bool:
        return (*va != 0) == (*vb != 0);
    case plan::Scalar::Int:
    case plan::Scalar::Timestamp:
    case plan::Scalar::Duration:
    case plan::Scalar::Enum:
        return readInt(va) == readInt(vb);
    case plan::Scalar::Float:
        return compareFloats(readFloat(va), readFloat(vb)) == 0;
    case plan::Scalar::String: {
        FlowStr sa = readStr(va);
        FlowStr sb = readStr(vb);
        return sa.len == sb.len &&
               (sa.len <= 0 || std::memcmp(sa.ptr, sb.ptr, static_cast<std::size_t>(sa.len)) == 0);
    }
    }
    return true;
}

/// Whether field `fa` of row `ra` equals field `fb` (of the same type) of row `rb`.
bool fieldEqual(const plan::Field& fa, const std::uint8_t* ra, const plan::Field& fb,
                const std::uint8_t* rb) {
    if (fa.type.optional) {
        bool pa = ra[fa.offset] != 0;
        if (pa != (rb[fb.offset] != 0)) {
            return false;
        }
        if (!pa) {
            return true;
        }
    }
    return valueEqual(fa.type.scalar, ra + valueOffset(fa), rb + valueOffset(fb));
}

/// The running hash `h` with a value of type `scalar` at `v` (null: an absent optional).
inline std::uint64_t mixValue(std::uint64_t h, plan::Scalar scalar, const std::uint8_t* v) {
    if (v == nullptr) {
        return mix(h, 0xA5A5A5A5A5A5A5A5ull);  // absent: distinct from every present 0
    }
    switch (scalar) {
    case plan::Scalar::Bool:
        return mix(h, *v != 0 ? 1 : 0);
    case plan::Scalar::Int:
    case plan::Scalar::Timestamp:
    case plan::Scalar::Duration:
    case plan::Scalar::Enum:
        return mix(h, static_cast<std::uint64_t>(readInt(v)));
    case plan::Scalar::Float: {
        double d = readFloat(v);
        if (d == 0) {
            d = 0;  // -0.0 hashes as 0.0
        } else if (std::isnan(d)) {
            d = std::numeric_limits<double>::quiet_NaN();
        }
        std::uint64_t bits = 0;
        std::memcpy(&bits, &d, 8);
        return mix(h, bits);
    }
    case plan::Scalar::String: {
        FlowStr s = readStr(v);
        return mix(h, s.len > 0 ? XXH3_64bits(s.ptr, static_cast<std::size_t>(s.len))
                                : 0x3C6EF372FE94F82Bull);
    }
    }
    return h;
}

/// The running hash `h` with field `f` of row `r`.
std::uint64_t mixField(std::uint64_t h, const plan::Field& f, const std::uint8_t* r) {
    return mixValue(h, f.type.scalar,
                    f.type.optional && r[f.offset] == 0 ? nullptr : r + valueOffset(f));
}

std::uint64_t hashSeed(const plan::Layout& layout) {
    return 0x2545F4914F6CDD1Dull ^ layout.fields.size();
}

}  // namespace

bool rowsEqual(const plan::Layout& layout, const void* a, const void* b) {
    const auto* ra = static_cast<const std::uint8_t*>(a);
    const auto* rb = static_cast<const std::uint8_t*>(b);
    for (const plan::Field& f : layout.fields) {
        if (!fieldEqual(f, ra, f, rb)) {
            return false;
        }
    }
    return true;
}

std::size_t hashRow(const plan::Layout& layout, const void* row) {
    const auto* r = static_cast<const std::uint8_t*>(row);
    std::uint64_t h = hashSeed(layout);
    for (const plan::Field& f : layout.fields) {
        h = mixField(h, f, r);
    }
    return static_cast<std::size_t>(h);
}

KeyFields::KeyFields(const plan::Layout& key, const plan::Layout& from,
                     std::span<const std::int32_t> fields)
    : seed_(hashSeed(key)), key_(&key), from_(&from) {
    for (std::size_t i = 0; i < key.fields.size(); ++i) {
        const plan::Field& k = key.fields[i];
        const plan::Field& f = from.fields[static_cast<std::size_t>(fields[i])];
        pairs_.push_back(
            {k.offset, valueOffset(k), f.offset, valueOffset(f), k.type.scalar, k.type.optional});
    }
}

std::size_t hashFieldsOf(const FieldsOf& k) {
    const auto* r = static_cast<const std::uint8_t*>(k.row);
    std::uint64_t h = k.fields.seed_;
    for (const KeyFields::Pair& f : k.fields.pairs_) {
        h = mixValue(h, f.scalar, f.optional && r[f.fromPresence] == 0 ? nullptr : r + f.fromValue);
    }
    return static_cast<std::size_t>(h);
}

namespace {
/// A row's hash, hashed as AbslHashValue(OwnedRow) hashes a row: by its hash().
struct HashedAs {
    std::size_t hash;
    template <typename H>
    friend H AbslHashValue(H h, const HashedAs& v) {
        return H::combine(std::move(h), v.hash);
    }
};
}  // namespace

std::size_t tableHashOf(std::size_t rowHash) {
    return absl::Hash<HashedAs>{}(HashedAs{rowHash});
}

bool rowEqualsFieldsOf(const void* keyRow, const FieldsOf& k) {
    const auto* ra = static_cast<const std::uint8_t*>(keyRow);
    const auto* rb = static_cast<const std::uint8_t*>(k.row);
    for (const KeyFields::Pair& f : k.fields.pairs_) {
        if (f.optional) {
            const bool pa = ra[f.keyPresence] != 0;
            if (pa != (rb[f.fromPresence] != 0)) {
                return false;
            }
            if (!pa) {
                continue;
            }
        }
        if (!valueEqual(f.scalar, ra + f.keyValue, rb + f.fromValue)) {
            return false;
        }
    }
    return true;
}

int compareRows(const plan::Layout& layout, const void* a, const void* b) {
    const auto* ra = static_cast<const std::uint8_t*>(a);
    const auto* rb = static_cast<const std::uint8_t*>(b);
    for (const plan::Field& f : layout.fields) {
        if (f.type.optional) {
            bool pa = ra[f.offset] != 0;
            bool pb = rb[f.offset] != 0;
            if (pa != pb) {
                return pa ? 1 : -1;  // none sorts first
            }
            if (!pa) {
                continue;
            }
        }
        const std::uint8_t* va = ra + valueOffset(f);
        const std::uint8_t* vb = rb + valueOffset(f);
        int c = 0;
        switch (f.type.scalar) {
        case plan::Scalar::Bool:
            c = static_cast<int>(*va != 0) - static_cast<int>(*vb != 0);
            break;
        case plan::Scalar::Int:
        case plan::Scalar::Timestamp:
        case plan::Scalar::Duration:
        case plan::Scalar::Enum: {
            std::int64_t x = readInt(va);
            std::int64_t y = readInt(vb);
            c = x < y ? -1 : (x > y ? 1 : 0);
            break;
        }
        case plan::Scalar::Float:
            c = compareFloats(readFloat(va), readFloat(vb));
            break;
        case plan::Scalar::String:
            c = compareStrings(readStr(va), readStr(vb));
            break;
        }
        if (c != 0) {
            return c;
        }
    }
    return 0;
}

// ---- The binary format (codec.h) --------------------------------------------------------

std::size_t abiRowBound(const plan::Layout& layout, const void* row) {
    // Its bitmap (at most a bit per field), then each field at its longest.
    const auto* r = static_cast<const std::uint8_t*>(row);
    return (layout.fields.size() + 7) / 8 + layout.fields.size() * wire::kMaxVarint +
           stringBytes(layout, r);
}

char* writeAbiRow(char* p, const plan::Layout& layout, const void* row) {
    const auto* r = static_cast<const std::uint8_t*>(row);
    const std::size_t bitmapBytes = (optionalCount(layout) + 7) / 8;
    char* bitmap = p;
    std::memset(bitmap, 0, bitmapBytes);
    p += bitmapBytes;
    std::size_t opt = 0;
    for (const plan::Field& f : layout.fields) {
        if (f.type.optional) {
            std::size_t bit = opt++;
            if (r[f.offset] == 0) {
                bitmap[bit / 8] = static_cast<char>(bitmap[bit / 8] | (1 << (bit % 8)));
                continue;
            }
        }
        p = writeValue(p, f.type.scalar, r + valueOffset(f));
    }
    return p;
}

RowWriter::RowWriter(const plan::Layout& layout) {
    std::uint16_t bit = 0;
    for (const plan::Field& f : layout.fields) {
        Op op{valueOffset(f), f.offset, 0, f.type.optional, f.type.scalar};
        if (f.type.optional) {
            op.bit = bit++;
        }
        ops_.push_back(op);
        if (f.type.scalar == plan::Scalar::String) {
            strings_.push_back(op);
        }
    }
    bitmapBytes_ = (bit + 7) / 8;
    fixedBound_ = (layout.fields.size() + 7) / 8 + layout.fields.size() * wire::kMaxVarint;
}

std::size_t RowWriter::bound(const void* row) const {
    const auto* r = static_cast<const std::uint8_t*>(row);
    std::size_t n = fixedBound_;
    for (const Op& op : strings_) {
        if (!op.optional || r[op.presence] != 0) {
            FlowStr s = readStr(r + op.value);
            n += s.len > 0 ? static_cast<std::size_t>(s.len) : 0;
        }
    }
    return n;
}

char* RowWriter::write(char* p, const void* row) const {
    const auto* r = static_cast<const std::uint8_t*>(row);
    char* bitmap = p;
    for (std::size_t i = 0; i < bitmapBytes_; ++i) {
        bitmap[i] = 0;
    }
    p += bitmapBytes_;
    for (const Op& op : ops_) {
        if (op.optional && r[op.presence] == 0) {
            bitmap[op.bit / 8] = static_cast<char>(bitmap[op.bit / 8] | (1 << (op.bit % 8)));
            continue;
        }
        p = writeValue(p, op.scalar, r + op.value);
    }
    return p;
}

void encodeAbiRow(const plan::Layout& layout, const void* row, std::string& out) {
    wire::Room room(out, abiRowBound(layout, row));  // `out` grows once
    room.done(writeAbiRow(room.at(), layout, row));
}

Status decodeAbiRow(const plan::Program& program, const plan::Layout& layout,
                    std::string_view bytes, OwnedRow& out) {
    if (out.layout() != &layout) {
        out = OwnedRow(&layout);
    }
    // Decode into `out` with strings pointing into `bytes`, then let assign() copy them.
    auto* row = static_cast<std::uint8_t*>(out.data());
    Reader r(bytes);
    std::size_t optionals = optionalCount(layout);
    std::string_view bitmap;
    auto fail = [&](Status s) {
        out = OwnedRow(&layout);  // never leave pointers into `bytes` behind
        return s;
    };
    if (!r.raw((optionals + 7) / 8, bitmap)) {
        return fail(Status::corruption(layout.name + ": truncated row"));
    }
    std::size_t opt = 0;
    for (const plan::Field& f : layout.fields) {
        if (f.type.optional) {
            bool absent = (static_cast<std::uint8_t>(bitmap[opt / 8]) >> (opt % 8)) & 1;
            ++opt;
            row[f.offset] = absent ? 0 : 1;
            if (absent) {
                std::memset(row + valueOffset(f), 0, scalarSize(f.type.scalar));
                continue;
            }
        }
        auto bad = [&](const char* what) {
            return fail(Status::corruption(layout.name + "." + f.name + ": " + what + " at byte " +
                                           std::to_string(r.position())));
        };
        std::uint8_t* v = row + valueOffset(f);
        switch (f.type.scalar) {
        case plan::Scalar::Bool: {
            std::uint8_t b = 0;
            if (!r.byte(b) || b > 1) {
                return bad("invalid bool");
            }
            *v = b;
            break;
        }
        case plan::Scalar::Int:
        case plan::Scalar::Timestamp:
        case plan::Scalar::Duration: {
            std::int64_t x = 0;
            if (!r.zigzag(x)) {
                return bad("invalid integer");
            }
            writeInt(v, x);
            break;
        }
        case plan::Scalar::Enum: {
            std::uint64_t x = 0;
            std::size_t count = 0;
            if (f.type.enumId >= 0 &&
                static_cast<std::size_t>(f.type.enumId) < program.enums.size()) {
                count = program.enums[static_cast<std::size_t>(f.type.enumId)].values.size();
            }
            if (!r.varint(x) || x >= count) {
                return bad("invalid enum value");
            }
            writeInt(v, static_cast<std::int64_t>(x));
            break;
        }
        case plan::Scalar::Float: {
            std::uint64_t bits = 0;
            if (!r.fixed64(bits)) {
                return bad("truncated float");
            }
            double d = 0;
            std::memcpy(&d, &bits, 8);
            writeFloat(v, d);
            break;
        }
        case plan::Scalar::String: {
            std::string_view s;
            if (!r.bytes(s)) {
                return bad("invalid string length");
            }
            if (!validUtf8(s)) {
                return bad("string is not valid UTF-8");
            }
            writeStr(v, FlowStr{s.data(), static_cast<std::int64_t>(s.size())});
            break;
        }
        }
    }
    // Unused bits of the bitmap must be zero, and nothing may follow the last field.
    if (optionals % 8 != 0 && !bitmap.empty() &&
        (static_cast<std::uint8_t>(bitmap.back()) >> (optionals % 8)) != 0) {
        return fail(Status::corruption(layout.name + ": invalid optional-field bitmap"));
    }
    if (r.remaining() != 0) {
        return fail(Status::corruption(layout.name + ": " + std::to_string(r.remaining()) +
                                       " trailing bytes"));
    }
    out.assign(row);
    return Status::ok();
}

}  // namespace flow::rt
