// flow/rt/ops/state_codec.h - how operator state (keys, rows, accumulators) becomes bytes.
//
// Operators are templates over their key and row types, so their state tables need a
// codec for types they only know as template parameters. `StateCodec<T>` is that
// trait: `put` appends a self-delimiting encoding (so codecs compose into pairs,
// vectors and structs) and `get` reads one back through a bounds-checked Reader. The
// runtime specialises it for scalars, `Value`, `Row` (schema-free, tagged) and the
// standard containers; generated code specialises it for its own key and row structs.
// Encodings are canonical (equal values give equal bytes): RocksDB finds rows by them.
#pragma once

#include "flow/rt/codec.h"
#include "flow/rt/state_store.h"
#include "flow/rt/value.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flow::rt::ops {

/// Specialise with `static void put(std::string&, const T&)` and
/// `static bool get(Reader&, T&)`.
template <typename T, typename Enable = void>
struct StateCodec;

template <>
struct StateCodec<std::int64_t> {
    static void put(std::string& out, std::int64_t v) { putZigzag(out, v); }
    static bool get(Reader& in, std::int64_t& v) { return in.zigzag(v); }
};

template <>
struct StateCodec<bool> {
    static void put(std::string& out, bool v) { out.push_back(v ? '\1' : '\0'); }
    static bool get(Reader& in, bool& v) {
        std::uint8_t b = 0;
        if (!in.byte(b) || b > 1) {
            return false;
        }
        v = b == 1;
        return true;
    }
};

template <>
struct StateCodec<double> {
    static void put(std::string& out, double v) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        putFixed64(out, bits);
    }
    static bool get(Reader& in, double& v) {
        std::uint64_t bits = 0;
        if (!in.fixed64(bits)) {
            return false;
        }
        std::memcpy(&v, &bits, sizeof v);
        return true;
    }
};

template <>
struct StateCodec<std::string> {
    static void put(std::string& out, const std::string& v) { putBytes(out, v); }
    static bool get(Reader& in, std::string& v) {
        std::string_view s;
        if (!in.bytes(s)) {
            return false;
        }
        v.assign(s);
        return true;
    }
};

/// A tag byte (the variant index) and the payload: schema-free, so operator state
/// needs no schema and survives the addition of columns to rows it does not read.
template <>
struct StateCodec<Value> {
    static void put(std::string& out, const Value& v) {
        out.push_back(static_cast<char>(v.index()));
        switch (v.index()) {
        case 1:
            StateCodec<bool>::put(out, asBool(v));
            break;
        case 2:
            StateCodec<std::int64_t>::put(out, asInt(v));
            break;
        case 3:
            StateCodec<double>::put(out, asFloat(v));
            break;
        case 4:
            StateCodec<std::string>::put(out, asString(v));
            break;
        default:
            break;
        }
    }
    static bool get(Reader& in, Value& v) {
        std::uint8_t tag = 0;
        if (!in.byte(tag)) {
            return false;
        }
        switch (tag) {
        case 0:
            v = std::monostate{};
            return true;
        case 1: {
            bool b = false;
            return StateCodec<bool>::get(in, b) && (v = b, true);
        }
        case 2: {
            std::int64_t i = 0;
            return StateCodec<std::int64_t>::get(in, i) && (v = i, true);
        }
        case 3: {
            double d = 0;
            return StateCodec<double>::get(in, d) && (v = d, true);
        }
        case 4: {
            std::string s;
            return StateCodec<std::string>::get(in, s) && (v = std::move(s), true);
        }
        default:
            return false;
        }
    }
};

template <typename T>
struct StateCodec<std::vector<T>> {
    static void put(std::string& out, const std::vector<T>& v) {
        putVarint(out, v.size());
        for (const T& e : v) {
            StateCodec<T>::put(out, e);
        }
    }
    static bool get(Reader& in, std::vector<T>& v) {
        std::uint64_t n = 0;
        // Every element takes at least one byte: a count beyond the input is corrupt.
        if (!in.varint(n) || n > in.remaining()) {
            return false;
        }
        v.clear();
        v.resize(n);
        for (T& e : v) {
            if (!StateCodec<T>::get(in, e)) {
                return false;
            }
        }
        return true;
    }
};

template <typename T>
struct StateCodec<std::optional<T>> {
    static void put(std::string& out, const std::optional<T>& v) {
        StateCodec<bool>::put(out, v.has_value());
        if (v) {
            StateCodec<T>::put(out, *v);
        }
    }
    static bool get(Reader& in, std::optional<T>& v) {
        bool present = false;
        if (!StateCodec<bool>::get(in, present)) {
            return false;
        }
        if (!present) {
            v.reset();
            return true;
        }
        v.emplace();
        return StateCodec<T>::get(in, *v);
    }
};

template <typename A, typename B>
struct StateCodec<std::pair<A, B>> {
    static void put(std::string& out, const std::pair<A, B>& v) {
        StateCodec<A>::put(out, v.first);
        StateCodec<B>::put(out, v.second);
    }
    static bool get(Reader& in, std::pair<A, B>& v) {
        return StateCodec<A>::get(in, v.first) && StateCodec<B>::get(in, v.second);
    }
};

/// An empty payload (lists whose elements carry nothing but their identity).
struct Unit {
    bool operator==(const Unit&) const = default;
};

template <>
struct StateCodec<Unit> {
    static void put(std::string&, const Unit&) {}
    static bool get(Reader&, Unit&) { return true; }
};

/// Encodes one value on its own (a whole table key or value).
template <typename T>
std::string encodeState(const T& v) {
    std::string out;
    StateCodec<T>::put(out, v);
    return out;
}

/// Decodes a whole input: trailing bytes are corruption.
template <typename T>
bool decodeState(std::string_view in, T& v) {
    Reader r(in);
    return StateCodec<T>::get(r, v) && r.remaining() == 0;
}

/// The TableCodec of a state table whose key and value have StateCodecs.
template <typename K, typename V>
TableCodec<K, V> stateTableCodec() {
    return {[](const K& k, std::string& o) { StateCodec<K>::put(o, k); },
            [](std::string_view i, K& k) { return decodeState(i, k); },
            [](const V& v, std::string& o) { StateCodec<V>::put(o, v); },
            [](std::string_view i, V& v) {
                return decodeState(i, v);
            }};
}

/// Registers (or finds) the state table `name` with the StateCodec of K and V.
template <typename K, typename V>
StateTable<K, V>& stateTable(Store& store, const std::string& name) {
    return store.table<K, V>(name, stateTableCodec<K, V>());
}

}  // namespace flow::rt::ops
