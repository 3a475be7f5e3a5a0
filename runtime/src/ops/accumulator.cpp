// runtime/src/ops/accumulator.cpp - the aggregate functions' accumulator kernels.
#include "flow/rt/ops/accumulator.h"

#include <algorithm>
#include <limits>

namespace flow::rt::ops {

namespace {

bool isNumber(const Value& v) {
    return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v);
}

double toDouble(const Value& v) {
    return std::holds_alternative<std::int64_t>(v) ? static_cast<double>(asInt(v)) : asFloat(v);
}

bool less(const Value& a, const Value& b) {
    if (isNumber(a) && isNumber(b) && a.index() != b.index()) {
        return toDouble(a) < toDouble(b);
    }
    return a < b;
}

// The same orders with an accumulator's value, a string compared in place.
bool less(const Value& a, const AccValue& b) {
    if (const std::string* bs = b.string();
        bs != nullptr && std::holds_alternative<std::string>(a)) {
        return std::get<std::string>(a) < *bs;
    }
    return less(a, b.get());
}
bool less(const AccValue& a, const Value& b) {
    if (const std::string* as = a.string();
        as != nullptr && std::holds_alternative<std::string>(b)) {
        return *as < std::get<std::string>(b);
    }
    return less(a.get(), b);
}
bool less(const AccValue& a, const AccValue& b) {
    if (a.string() != nullptr && b.string() != nullptr) {
        return *a.string() < *b.string();
    }
    return less(a.get(), b.get());
}

struct ByValue {
    bool operator()(const std::pair<Value, std::int64_t>& e, const Value& v) const {
        return less(e.first, v);
    }
};

}  // namespace

const char* aggKindName(AggKind k) {
    switch (k) {
    case AggKind::Count:
        return "count";
    case AggKind::Sum:
        return "sum";
    case AggKind::Min:
        return "min";
    case AggKind::Max:
        return "max";
    case AggKind::Avg:
        return "avg";
    case AggKind::First:
        return "first";
    case AggKind::Last:
        return "last";
    }
    return "?";
}

void ExactSum::take(const Value& v, int sign) {
    if (std::holds_alternative<std::int64_t>(v)) {
        sum_ += sign * absl::int128(asInt(v));
    } else if (std::holds_alternative<double>(v)) {
        floats_ = true;
    }
}

bool ExactSum::fits() const {
    return floats_ || (sum_ >= std::numeric_limits<std::int64_t>::min() &&
                       sum_ <= std::numeric_limits<std::int64_t>::max());
}

Value addValues(const Value& a, const Value& b) {
    if (isNone(a)) {
        return b;
    }
    if (isNone(b)) {
        return a;
    }
    if (std::holds_alternative<std::int64_t>(a) && std::holds_alternative<std::int64_t>(b)) {
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(asInt(a)) +
                                         static_cast<std::uint64_t>(asInt(b)));
    }
    if (isNumber(a) && isNumber(b)) {
        return toDouble(a) + toDouble(b);
    }
    return a;
}

Value subtractValues(const Value& a, const Value& b) {
    if (isNone(b)) {
        return a;
    }
    if (std::holds_alternative<std::int64_t>(b)) {
        return addValues(a, static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(asInt(b))));
    }
    if (std::holds_alternative<double>(b)) {
        return addValues(a, -asFloat(b));
    }
    return a;
}

void accAdd(AggKind kind, AggAcc& acc, const Value& v, std::int64_t seq, bool retractable) {
    switch (kind) {
    case AggKind::Count:
        ++acc.n;
        return;
    case AggKind::Sum:
    case AggKind::Avg:
        if (std::holds_alternative<std::int64_t>(v) && (acc.value.isInt() || acc.n == 0)) {
            // int + int wraps (see addValues); none + int is the int.
            acc.value.setInt(static_cast<std::int64_t>(
                (acc.n == 0 ? 0 : static_cast<std::uint64_t>(acc.value.asInt())) +
                static_cast<std::uint64_t>(asInt(v))));
            ++acc.n;
        } else if (!isNone(v)) {
            acc.value = addValues(acc.value.get(), v);
            ++acc.n;
        }
        return;
    case AggKind::Min:
    case AggKind::Max:
        if (isNone(v)) {
            return;
        }
        if (retractable) {
            CountedList& counted = acc.value.mutableCounted();
            auto it = std::lower_bound(counted.begin(), counted.end(), v, ByValue{});
            if (it != counted.end() && it->first == v) {
                ++it->second;
            } else {
                counted.insert(it, {v, 1});
            }
        } else if (acc.n == 0 || (kind == AggKind::Min ? less(v, acc.value) : less(acc.value, v))) {
            acc.value = v;
        }
        ++acc.n;
        return;
    case AggKind::First:
        if (acc.n++ == 0) {
            acc.value = v;
            acc.value.setSeq(seq);
        }
        return;
    case AggKind::Last:
        ++acc.n;
        acc.value = v;
        acc.value.setSeq(seq);
        return;
    }
}

void accRetract(AggKind kind, AggAcc& acc, const Value& v) {
    switch (kind) {
    case AggKind::Count:
    case AggKind::First:
    case AggKind::Last:
        --acc.n;
        return;
    case AggKind::Sum:
    case AggKind::Avg:
        if (!isNone(v)) {
            // Exactly none once the last value leaves, so an emptied sum never keeps a
            // rounding residue of floats that came and went.
            acc.value = --acc.n == 0 ? Value{} : subtractValues(acc.value.get(), v);
        }
        return;
    case AggKind::Min:
    case AggKind::Max: {
        if (isNone(v)) {
            return;
        }
        if (acc.value.counted().empty()) {
            return;
        }
        CountedList& counted = acc.value.mutableCounted();
        auto it = std::lower_bound(counted.begin(), counted.end(), v, ByValue{});
        if (it != counted.end() && it->first == v) {
            if (--it->second == 0) {
                counted.erase(it);
            }
            --acc.n;
        }
        return;
    }
    }
}

void accMerge(AggKind kind, AggAcc& into, const AggAcc& from) {
    if (from.n == 0) {
        return;
    }
    switch (kind) {
    case AggKind::Count:
        break;
    case AggKind::Sum:
    case AggKind::Avg:
        into.value = addValues(into.value.get(), from.value.get());
        break;
    case AggKind::Min:
    case AggKind::Max:
        if (into.n == 0 ||
            (kind == AggKind::Min ? less(from.value, into.value) : less(into.value, from.value))) {
            into.value = from.value;
        }
        break;
    case AggKind::First:
        if (into.n == 0 || from.value.seq() < into.value.seq()) {
            into.value = from.value;  // with its arrival number
        }
        break;
    case AggKind::Last:
        if (into.n == 0 || from.value.seq() > into.value.seq()) {
            into.value = from.value;  // with its arrival number
        }
        break;
    }
    into.n += from.n;
}

Value accResult(AggKind kind, const AggAcc& acc) {
    switch (kind) {
    case AggKind::Count:
        return acc.n;
    case AggKind::Avg:
        return acc.n == 0 ? Value{} : Value{toDouble(acc.value.get()) / static_cast<double>(acc.n)};
    case AggKind::Min:
        if (!acc.value.counted().empty()) {
            return acc.value.counted().front().first;
        }
        return acc.n == 0 ? Value{} : acc.value.get();
    case AggKind::Max:
        if (!acc.value.counted().empty()) {
            return acc.value.counted().back().first;
        }
        return acc.n == 0 ? Value{} : acc.value.get();
    case AggKind::Sum:
    case AggKind::First:
    case AggKind::Last:
        return acc.n == 0 ? Value{} : acc.value.get();
    }
    return {};
}

}  // namespace flow::rt::ops
