// flow/rt/ops/accumulator.h - the aggregate functions' accumulators, shared by every
// aggregating operator (over streams, over tables, over windows).
//
// The kernels work on dynamic `Value`s: an aggregate's argument is produced by a
// callable from whatever row type the operator is instantiated with, so generated code
// with its own row structs reuses them unchanged.
#pragma once

#include "flow/rt/ops/state_codec.h"
#include "flow/rt/value.h"

#include <absl/container/inlined_vector.h>
#include <absl/numeric/int128.h>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace flow::rt::ops {

/// LANGUAGE.md §4: count(), sum(x), min(x), max(x), avg(x) (float), first(x), last(x).
enum class AggKind : std::uint8_t { Count, Sum, Min, Max, Avg, First, Last };

const char* aggKindName(AggKind k);

/// One aggregate of a `select`: its function and its argument (ignored by Count).
template <typename R>
struct AggSpec {
    AggKind kind = AggKind::Count;
    std::function<Value(const R&)> arg;
    /// An int argument read without a Value (optional): sets `out` to the int `arg`
    /// would return and returns true, or returns false where `arg` returns none. When
    /// every aggregate of an operator is a count, or a sum or avg with `intArg`, the
    /// operator adds events without Values (AggregateSet::addInts).
    bool (*intArg)(const R& row, std::int32_t field, std::int64_t& out) = nullptr;
    std::int32_t intField = -1;  // passed to intArg
};

/// Values with their multiplicities, ascending (min and max over a table).
using CountedList = std::vector<std::pair<Value, std::int64_t>>;

/// An aggregate's value in 16 bytes (a `Value` takes 40), and its side: the arrival
/// number of a first or last, or the counted values of a min or max over a table (never
/// both: they are different aggregates). Accumulators sit in every group's table slot,
/// and a smaller slot is fewer cache lines per event: with the side here, an AggAcc is
/// 24 bytes, and a group of two aggregates 64 (GroupAcc).
///
/// The first 8 bytes hold the value (a string behind a pointer: only min, max, first and
/// last hold one); the next 8 its kind (3 bits), whether the side is an arrival number
/// (1 bit), and the side: the number (60 bits, signed), or a pointer to the counted
/// values (null: none; allocated on first use, 16-byte aligned so its low 4 bits are
/// free).
class AccValue {
public:
    AccValue() noexcept { p_.i = 0; }
    AccValue(const AccValue& o) : p_(o.p_), word_(o.word_) {
        if (tag() == Tag::String) {
            p_.s = new std::string(*o.p_.s);
        }
        if (const CountedList* l = o.list()) {
            word_ = (word_ & kTagMask) | reinterpret_cast<std::uintptr_t>(new CountedList(*l));
        }
    }
    AccValue(AccValue&& o) noexcept : p_(o.p_), word_(o.word_) { o.word_ = 0; }
    /// Copies the value and the side.
    AccValue& operator=(const AccValue& o) {
        if (this != &o) {
            AccValue copy(o);
            *this = std::move(copy);
        }
        return *this;
    }
    AccValue& operator=(AccValue&& o) noexcept {
        if (this != &o) {
            release();
            releaseSide();
            p_ = o.p_;
            word_ = o.word_;
            o.word_ = 0;
        }
        return *this;
    }
    ~AccValue() {
        release();
        releaseSide();
    }

    /// Sets the value; the side stays.
    AccValue& operator=(const Value& v) {
        switch (v.index()) {
        case 1:
            setScalar(Tag::Bool).b = std::get<bool>(v);
            break;
        case 2:
            setScalar(Tag::Int).i = std::get<std::int64_t>(v);
            break;
        case 3:
            setScalar(Tag::Float).d = std::get<double>(v);
            break;
        case 4:
            setString(std::get<std::string>(v));
            break;
        default:
            setScalar(Tag::None).i = 0;
        }
        return *this;
    }

    /// The value (a string is copied).
    Value get() const {
        switch (tag()) {
        case Tag::Bool:
            return p_.b;
        case Tag::Int:
            return p_.i;
        case Tag::Float:
            return p_.d;
        case Tag::String:
            return *p_.s;
        case Tag::None:
            break;
        }
        return {};
    }
    bool isInt() const { return tag() == Tag::Int; }
    bool isFloat() const { return tag() == Tag::Float; }
    std::int64_t asInt() const { return p_.i; }
    void setInt(std::int64_t v) { setScalar(Tag::Int).i = v; }
    /// The string held, or null.
    const std::string* string() const { return tag() == Tag::String ? p_.s : nullptr; }

    /// Whether the values are equal (the sides are not compared).
    bool operator==(const AccValue& o) const {
        if (tag() != o.tag()) {
            return false;
        }
        switch (tag()) {
        case Tag::Bool:
            return p_.b == o.p_.b;
        case Tag::Int:
            return p_.i == o.p_.i;
        case Tag::Float:
            return p_.d == o.p_.d;
        case Tag::String:
            return *p_.s == *o.p_.s;
        case Tag::None:
            break;
        }
        return true;
    }

    // ---- The side ----
    /// The arrival numbers the side can hold.
    static constexpr std::int64_t kMaxSeq = (std::int64_t{1} << 59) - 1;
    static constexpr std::int64_t kMinSeq = -(std::int64_t{1} << 59);
    /// The arrival number (0 if none was set).
    std::int64_t seq() const {
        return (word_ & kSeqBit) != 0 ? static_cast<std::int64_t>(word_) >> kSideShift : 0;
    }
    /// Sets the arrival number, within [kMinSeq, kMaxSeq]; counted values held go.
    void setSeq(std::int64_t seq) {
        releaseSide();
        word_ = (word_ & kTagMask) | kSeqBit | (static_cast<std::uint64_t>(seq) << kSideShift);
    }
    /// The counted values (empty if none).
    const CountedList& counted() const {
        const CountedList* l = list();
        return l != nullptr ? *l : none();
    }
    /// The counted values, to change; an arrival number held goes.
    CountedList& mutableCounted() {
        if (CountedList* l = list()) {
            return *l;
        }
        auto* l = new CountedList();
        word_ = (word_ & kTagMask) | reinterpret_cast<std::uintptr_t>(l);
        return *l;
    }

private:
    enum class Tag : std::uint8_t { None, Bool, Int, Float, String };
    union Payload {
        bool b;
        std::int64_t i;
        double d;
        std::string* s;
    };
    static constexpr std::uint64_t kTagMask = 0x7;
    static constexpr std::uint64_t kSeqBit = 0x8;
    static constexpr int kSideShift = 4;
    static_assert(__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= 16, "a side pointer's low 4 bits");

    Tag tag() const { return static_cast<Tag>(word_ & kTagMask); }
    void setTag(Tag t) { word_ = (word_ & ~kTagMask) | static_cast<std::uint64_t>(t); }
    CountedList* list() const {
        return (word_ & kSeqBit) != 0
                   ? nullptr
                   : reinterpret_cast<CountedList*>(word_ & ~(kTagMask | kSeqBit));
    }
    static const CountedList& none() {
        static const CountedList empty;
        return empty;
    }
    void release() {
        if (tag() == Tag::String) {
            delete p_.s;
            setTag(Tag::None);
        }
    }
    void releaseSide() {
        delete list();
        word_ &= kTagMask;
    }
    Payload& setScalar(Tag t) {
        release();
        setTag(t);
        return p_;
    }
    void setString(const std::string& v) {
        if (tag() == Tag::String) {
            *p_.s = v;
        } else {
            p_.s = new std::string(v);
            setTag(Tag::String);
        }
    }

    Payload p_;
    std::uint64_t word_ = 0;  // the tag, the side's kind, the side
};
static_assert(sizeof(AccValue) == 16);

/// One aggregate's state in one group or window.
struct AggAcc {
    /// Sum, Avg: the running sum (none until a value arrives); Min, Max, First, Last over
    /// events: the current result. Its side (AccValue): First, Last over events: the
    /// arrival number of the value (merging sessions keeps the earlier first and the
    /// later last); Min, Max over a table: every present value with its multiplicity,
    /// ascending, so the extreme can be retracted.
    AccValue value;
    /// Count: rows. First, Last: rows seen. Sum, Avg, Min, Max: values that were not none.
    std::int64_t n = 0;

    bool operator==(const AggAcc& o) const {
        return value == o.value && n == o.n && value.seq() == o.value.seq() &&
               value.counted() == o.value.counted();
    }
};
static_assert(sizeof(AggAcc) == 24);

/// A group's (or window's) state: how many rows it holds and one AggAcc per aggregate.
struct GroupAcc {
    std::int64_t rows = 0;
    /// Inline for up to two aggregates: a group is copied whole (undo, sessions).
    absl::InlinedVector<AggAcc, 2> aggs;

    bool operator==(const GroupAcc&) const = default;
};
/// Two cache lines with a 64-byte key (OwnedRow) in a state table's slot.
static_assert(sizeof(GroupAcc) == 64);

/// Adds a row's argument `v`. `retractable` keeps what `accRetract` needs (tables).
void accAdd(AggKind kind, AggAcc& acc, const Value& v, std::int64_t seq, bool retractable);
/// Removes a value added with `retractable`. First and Last are not retracted here:
/// over tables they come from the group's row order (TableAggregate).
void accRetract(AggKind kind, AggAcc& acc, const Value& v);
/// Folds `from` into `into` (sessions that merge). Events only.
void accMerge(AggKind kind, AggAcc& into, const AggAcc& from);
/// The aggregate's value: none where no value was seen (avg, min, max, sum of only nones).
Value accResult(AggKind kind, const AggAcc& acc);

/// A sum computed exactly (128 bits), to check before a change is applied that an int
/// sum or avg stays within 64 bits: LANGUAGE.md §3 makes int overflow a runtime error,
/// so an operator applies no change that would overflow. None adds nothing; a float
/// sum always fits.
class ExactSum {
public:
    void add(const Value& v) { take(v, 1); }
    void add(const AccValue& v) {
        if (v.isInt()) {
            sum_ += absl::int128(v.asInt());
        } else if (v.isFloat()) {
            floats_ = true;
        }
    }
    void subtract(const Value& v) { take(v, -1); }
    bool fits() const;

private:
    void take(const Value& v, int sign);

    absl::int128 sum_ = 0;
    bool floats_ = false;
};

/// Int + int stays int (wrapping, modulo 2^64: callers check an `ExactSum` first, so a
/// retraction followed by an addition that ends within range is exact), anything with a
/// float is float. None is the identity.
Value addValues(const Value& a, const Value& b);
Value subtractValues(const Value& a, const Value& b);

/// One value per aggregate (arguments, results): inline, as operators make two per event.
using Values = absl::InlinedVector<Value, 4>;

/// The specs of one operator's aggregates, applied to whole groups.
template <typename R>
class AggregateSet {
public:
    explicit AggregateSet(std::vector<AggSpec<R>> specs) : specs_(std::move(specs)) {
        ints_ = !specs_.empty();
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            const AggKind k = specs_[i].kind;
            if (k == AggKind::First || k == AggKind::Last) {
                ordered_.push_back(i);
            }
            const bool intSum = (k == AggKind::Sum || k == AggKind::Avg) && specs_[i].intArg;
            ints_ = ints_ && (k == AggKind::Count || intSum);
        }
    }

    /// Whether addInts can take the events: every aggregate is a count, or a sum or avg
    /// of an int read by AggSpec::intArg.
    bool ints() const { return ints_; }

    /// For ints(): what `fits(&g, nullptr, &plus)` and then `add(g, plus, seq, false)`
    /// do with `plus = args(row)`, without making Values. False, and `g` unchanged, if an
    /// int sum would leave 64 bits.
    bool addInts(GroupAcc& g, const R& row) const {
        return addIntsBy(g, [&](std::size_t i, std::int64_t& v) {
            return specs_[i].intArg(row, specs_[i].intField, v);
        });
    }
    /// addInts with the arguments read by `arg(i, v)`, which sets `v` to aggregate i's
    /// argument and returns true, or returns false where it is none (not asked for
    /// counts). The engine reads them in an event it knows the layout of.
    template <typename Arg>
    bool addIntsBy(GroupAcc& g, Arg&& arg) const {
        const std::size_t n = specs_.size();
        std::int64_t v = 0;
        // A sum is int, or none in a group that has no value yet (then one int fits).
        // (The accumulators by pointer: each access to an InlinedVector asks where it is.)
        const std::size_t have = std::min(n, g.aggs.size());
        const AggAcc* old = g.aggs.data();
        for (std::size_t i = 0; i < have; ++i) {
            std::int64_t sum = 0;
            if (specs_[i].kind != AggKind::Count && old[i].value.isInt() && arg(i, v) &&
                __builtin_add_overflow(old[i].value.asInt(), v, &sum)) {
                return false;
            }
        }
        if (g.aggs.size() != n) {
            g.aggs.resize(n);
        }
        ++g.rows;
        AggAcc* accs = g.aggs.data();
        for (std::size_t i = 0; i < n; ++i) {
            const AggSpec<R>& s = specs_[i];
            AggAcc& acc = accs[i];
            if (s.kind == AggKind::Count) {
                ++acc.n;
            } else if (arg(i, v)) {
                if (acc.value.isInt()) {
                    acc.value.setInt(acc.value.asInt() + v);  // checked above
                    ++acc.n;
                } else {
                    accAdd(s.kind, acc, Value{v}, 0, false);
                }
            }
        }
        return true;
    }

    std::size_t size() const { return specs_.size(); }
    AggKind kind(std::size_t i) const { return specs_[i].kind; }
    /// Indexes of the First and Last aggregates.
    const std::vector<std::size_t>& ordered() const { return ordered_; }

    /// Each aggregate's argument for `row` (none for Count).
    Values args(const R& row) const {
        Values out(specs_.size());
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            if (specs_[i].kind != AggKind::Count && specs_[i].arg) {
                out[i] = specs_[i].arg(row);
            }
        }
        return out;
    }

    /// Whether retracting `minus` from `g` (null: nothing) and adding `plus` (null:
    /// nothing) keeps every int sum within 64 bits; `g` null is an empty group.
    bool fits(const GroupAcc* g, const Values* minus, const Values* plus) const {
        // No allocation: this runs for every event an aggregate takes.
        return fitsMerged(std::span<const GroupAcc* const>(&g, g != nullptr ? 1 : 0), minus, plus);
    }

    /// Whether merging `parts` into one group, retracting `minus` and adding `plus` (either
    /// null: nothing) keeps every int sum within 64 bits, whatever the order of the steps.
    bool fitsMerged(std::span<const GroupAcc* const> parts, const Values* minus,
                    const Values* plus) const {
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            if (specs_[i].kind != AggKind::Sum && specs_[i].kind != AggKind::Avg) {
                continue;
            }
            ExactSum sum;
            for (const GroupAcc* g : parts) {
                if (i < g->aggs.size()) {
                    sum.add(g->aggs[i].value);
                }
            }
            if (minus != nullptr) {
                sum.subtract((*minus)[i]);
            }
            if (plus != nullptr) {
                sum.add((*plus)[i]);
            }
            if (!sum.fits()) {
                return false;
            }
        }
        return true;
    }

    void add(GroupAcc& g, const Values& args, std::int64_t seq, bool retractable) const {
        g.aggs.resize(specs_.size());
        ++g.rows;
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            accAdd(specs_[i].kind, g.aggs[i], args[i], seq, retractable);
        }
    }

    void retract(GroupAcc& g, const Values& args) const {
        --g.rows;
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            accRetract(specs_[i].kind, g.aggs[i], args[i]);
        }
    }

    void merge(GroupAcc& into, const GroupAcc& from) const {
        into.aggs.resize(specs_.size());
        into.rows += from.rows;
        for (std::size_t i = 0; i < specs_.size() && i < from.aggs.size(); ++i) {
            accMerge(specs_[i].kind, into.aggs[i], from.aggs[i]);
        }
    }

    Values results(const GroupAcc& g) const {
        Values out(specs_.size());
        for (std::size_t i = 0; i < specs_.size() && i < g.aggs.size(); ++i) {
            out[i] = accResult(specs_[i].kind, g.aggs[i]);
        }
        return out;
    }

private:
    std::vector<AggSpec<R>> specs_;
    std::vector<std::size_t> ordered_;
    bool ints_ = false;
};

/// The default projection of a Row-keyed aggregate: the group key's columns, then the
/// aggregates in order.
inline Row keyThenAggregates(const Row& key, std::span<const Value> aggs) {
    Row out = key;
    out.insert(out.end(), aggs.begin(), aggs.end());
    return out;
}

template <>
struct StateCodec<AggAcc> {
    static void put(std::string& out, const AggAcc& a) {
        StateCodec<Value>::put(out, a.value.get());
        StateCodec<std::int64_t>::put(out, a.n);
        StateCodec<std::int64_t>::put(out, a.value.seq());
        StateCodec<CountedList>::put(out, a.value.counted());
    }
    /// False for bytes no AggAcc writes: an arrival number beyond the side's 60 bits, or
    /// one beside counted values.
    static bool get(Reader& in, AggAcc& a) {
        CountedList counted;
        Value value;
        std::int64_t seq = 0;
        if (!StateCodec<Value>::get(in, value) || !StateCodec<std::int64_t>::get(in, a.n) ||
            !StateCodec<std::int64_t>::get(in, seq) || !StateCodec<CountedList>::get(in, counted) ||
            seq < AccValue::kMinSeq || seq > AccValue::kMaxSeq || (seq != 0 && !counted.empty())) {
            return false;
        }
        a.value = AccValue();
        a.value = value;
        if (!counted.empty()) {
            a.value.mutableCounted() = std::move(counted);
        } else if (seq != 0) {
            a.value.setSeq(seq);
        }
        return true;
    }
};

template <>
struct StateCodec<GroupAcc> {
    // The same bytes as a std::vector<AggAcc> (snapshots from before it was inline).
    static void put(std::string& out, const GroupAcc& g) {
        StateCodec<std::int64_t>::put(out, g.rows);
        StateCodec<std::vector<AggAcc>>::put(out,
                                             std::vector<AggAcc>(g.aggs.begin(), g.aggs.end()));
    }
    static bool get(Reader& in, GroupAcc& g) {
        std::vector<AggAcc> aggs;
        if (!StateCodec<std::int64_t>::get(in, g.rows) ||
            !StateCodec<std::vector<AggAcc>>::get(in, aggs)) {
            return false;
        }
        g.aggs.assign(std::make_move_iterator(aggs.begin()), std::make_move_iterator(aggs.end()));
        return true;
    }
};

}  // namespace flow::rt::ops
