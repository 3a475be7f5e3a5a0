// flow/rt/ops/change.h - the change record every stream-processing operator emits.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace flow::rt::ops {

/// One change to a keyed result: an insert has no `before`, a delete no `after`, an
/// update both. Operators emit changes (never whole tables), so a view reading another
/// view sees exactly what to retract and what to add, and views stack. A stream's
/// events are inserts. Operators never emit a change whose `before` equals its `after`.
template <typename K, typename R>
struct Change {
    K key;
    std::optional<R> before;
    std::optional<R> after;

    bool isInsert() const { return !before.has_value() && after.has_value(); }
    bool isDelete() const { return before.has_value() && !after.has_value(); }
    bool isUpdate() const { return before.has_value() && after.has_value(); }
    bool operator==(const Change&) const = default;
};

/// Where operators append their changes, in the order they happen.
template <typename K, typename R>
using Changes = std::vector<Change<K, R>>;

/// Appends the change from `before` to `after` unless nothing changed.
template <typename K, typename R>
void emitChange(Changes<K, R>& out, const K& key, std::optional<R> before, std::optional<R> after) {
    if (before == after) {
        return;
    }
    out.push_back(Change<K, R>{key, std::move(before), std::move(after)});
}

/// How a join treats a left row without a matching right row.
enum class JoinKind : unsigned char {
    Inner,  // the left row produces nothing
    Left,   // the left row is joined with none
};

}  // namespace flow::rt::ops
