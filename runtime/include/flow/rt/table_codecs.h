// flow/rt/table_codecs.h - ready-made TableCodecs: scalars, and dynamic rows by schema.
#pragma once

#include "flow/rt/codec.h"
#include "flow/rt/state_store.h"

#include <cstring>
#include <type_traits>

namespace flow::rt {

template <typename T>
void encodeScalar(const T& v, std::string& out) {
    if constexpr (std::is_same_v<T, std::int64_t>) {
        putZigzag(out, v);
    } else if constexpr (std::is_same_v<T, double>) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &v, 8);
        putFixed64(out, bits);
    } else {
        static_assert(std::is_same_v<T, std::string>);
        out.append(v);
    }
}

template <typename T>
bool decodeScalar(std::string_view in, T& v) {
    if constexpr (std::is_same_v<T, std::int64_t>) {
        Reader r(in);
        return r.zigzag(v) && r.remaining() == 0;
    } else if constexpr (std::is_same_v<T, double>) {
        Reader r(in);
        std::uint64_t bits = 0;
        if (!r.fixed64(bits) || r.remaining() != 0) {
            return false;
        }
        std::memcpy(&v, &bits, 8);
        return true;
    } else {
        v.assign(in);
        return true;
    }
}

template <typename K, typename V>
TableCodec<K, V> scalarCodec() {
    return {[](const K& k, std::string& o) { encodeScalar(k, o); },
            [](std::string_view i, K& k) { return decodeScalar(i, k); },
            [](const V& v, std::string& o) { encodeScalar(v, o); },
            [](std::string_view i, V& v) {
                return decodeScalar(i, v);
            }};
}

/// Keys and values as dynamic rows in the compact row format.
inline TableCodec<Row, Row> rowCodec(Schema keySchema, Schema valueSchema) {
    return {[keySchema](const Row& k, std::string& o) { (void)encodeRow(keySchema, k, o); },
            [keySchema](std::string_view i, Row& k) { return decodeRow(keySchema, i, k).isOk(); },
            [valueSchema](const Row& v, std::string& o) { (void)encodeRow(valueSchema, v, o); },
            [valueSchema](std::string_view i, Row& v) {
                return decodeRow(valueSchema, i, v).isOk();
            }};
}

}  // namespace flow::rt
