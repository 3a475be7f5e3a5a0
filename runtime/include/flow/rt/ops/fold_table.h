// flow/rt/ops/fold_table.h - a fold table: one row per key, updated by event handlers.
//
//   table Inventory key product: string {
//     available: int = 0;
//     on StockAdjusted e { available += e.delta; }
//   }
#pragma once

#include "flow/rt/ops/change.h"
#include "flow/rt/ops/state_codec.h"

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace flow::rt::ops {

/// What a handler decided about the row it updated.
enum class FoldResult : unsigned char { Keep, Delete };

/// Rows K -> V in the table `NAME`. Each `on E e [by ...]` clause of the declaration is a
/// handler (a callable closing over its event) passed to `apply` with the key it names.
/// A missing row starts from `defaults(key)`; a handler that returns Delete removes the
/// row (nothing happens if it did not exist). V must be equality-comparable: a handler
/// that leaves the row as it was emits nothing.
template <typename K, typename V>
class FoldTable {
public:
    using DefaultsFn = std::function<V(const K&)>;

    FoldTable(Store& store, const std::string& name, DefaultsFn defaults)
        : defaults_(std::move(defaults)), rows_(stateTable<K, V>(store, name)) {}

    /// Runs `handler(V& row)` (returning FoldResult, or void for Keep) on the row `key`.
    template <typename Handler>
    void apply(const K& key, Handler&& handler, Changes<K, V>& out) {
        std::optional<V> before;
        if (const V* found = rows_.find(key)) {
            before = *found;
        }
        V row = before ? *before : defaults_(key);
        FoldResult result = FoldResult::Keep;
        if constexpr (std::is_void_v<std::invoke_result_t<Handler&, V&>>) {
            handler(row);
        } else {
            result = handler(row);
        }
        std::optional<V> after;
        if (result == FoldResult::Keep) {
            after = std::move(row);
            if (after != before) {
                rows_.upsert(key) = *after;
            }
        } else if (before) {
            rows_.erase(key);
        }
        emitChange(out, key, std::move(before), std::move(after));
    }

    /// `T[k]`: the row, or null when absent (valid until the next call on this table).
    const V* find(const K& key) { return rows_.find(key); }
    StateTable<K, V>& table() { return rows_; }

private:
    DefaultsFn defaults_;
    StateTable<K, V>& rows_;
};

}  // namespace flow::rt::ops
