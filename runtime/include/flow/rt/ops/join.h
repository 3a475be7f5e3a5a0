// flow/rt/ops/join.h - joins: stream-table, stream-stream (within a time bound) and
// table-table (including foreign-key, many-to-one), inner and left.
//
// A join condition is one equality or a conjunction of them; the operators see it as a
// key extracted from each side (a Row or a struct for several columns). Joining a
// table looks its row up by the table's key (docs/language-notes.md).
#pragma once

#include "flow/rt/ops/change.h"
#include "flow/rt/ops/deadline_index.h"
#include "flow/rt/ops/state_lists.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace flow::rt::ops {

/// Each event joined with the right table's row current when the event is processed.
/// Stateless: the right table belongs to the operator that maintains it (a fold table,
/// a view), read through `lookup`. Emits one insert per event (inner: only if a row
/// was found; left: always, with a null right row when none was found), keyed by the
/// event's key.
template <typename SK, typename S, typename RK, typename R, typename O>
class StreamTableJoin {
public:
    using LookupKeyFn = std::function<RK(const S&)>;
    /// The right row for a key, or null; the pointer is used before the next lookup.
    using LookupFn = std::function<const R*(const RK&)>;
    /// Builds the output; `right` is null only in a left join.
    using CombineFn = std::function<O(const S&, const R* right)>;

    StreamTableJoin(JoinKind kind, LookupKeyFn lookupKey, LookupFn lookup, CombineFn combine)
        : kind_(kind), lookupKey_(std::move(lookupKey)), lookup_(std::move(lookup)),
          combine_(std::move(combine)) {}

    void onEvent(const SK& key, const S& event, Changes<SK, O>& out) {
        const R* right = lookup_(lookupKey_(event));
        if (right == nullptr && kind_ == JoinKind::Inner) {
            return;
        }
        out.push_back(Change<SK, O>{key, std::nullopt, combine_(event, right)});
    }

private:
    JoinKind kind_;
    LookupKeyFn lookupKey_;
    LookupFn lookup_;
    CombineFn combine_;
};

/// A LookupFn reading a state table (a fold table's or a view's rows).
template <typename RK, typename R>
std::function<const R*(const RK&)> lookupIn(StateTable<RK, R>& table) {
    return [&table](const RK& key) {
        return table.find(key);
    };
}

/// An event buffered by a stream-stream join.
template <typename T>
struct Buffered {
    std::int64_t time = 0;
    T row{};
};

template <typename T>
struct StateCodec<Buffered<T>> {
    static void put(std::string& out, const Buffered<T>& b) {
        StateCodec<std::int64_t>::put(out, b.time);
        StateCodec<T>::put(out, b.row);
    }
    static bool get(Reader& in, Buffered<T>& b) {
        return StateCodec<std::int64_t>::get(in, b.time) && StateCodec<T>::get(in, b.row);
    }
};

/// Inner join of two event streams on a key, within a bound on event time: the pair
/// (l, r) is emitted once, when the second of the two arrives, if |t_l - t_r| <=
/// within. The watermark is the greatest event time seen (either side) minus `within`;
/// an event before the watermark is late (counted, dropped: it could have matched
/// events already expired). A buffered event expires once no event at or after the
/// watermark can match it (t + within < watermark). Output order: per arriving event,
/// its partners in their arrival order.
/// Tables: `NAME#left`, `NAME#right` (+ `.nodes`: buffered events per join key, in
/// arrival order), `NAME#due` (+ `.nodes`, `.entries`, `.entries.nodes`: expiry),
/// `NAME#meta` (maxTime, late, seq).
template <typename JK, typename L, typename R, typename OK, typename O>
class StreamStreamJoin {
public:
    using LeftKeyFn = std::function<JK(const L&)>;
    using RightKeyFn = std::function<JK(const R&)>;
    using CombineFn = std::function<O(const L&, const R&)>;
    using OutputKeyFn = std::function<OK(const O&)>;

    StreamStreamJoin(Store& store, const std::string& name, std::int64_t within, LeftKeyFn leftKey,
                     RightKeyFn rightKey, CombineFn combine, OutputKeyFn outputKey)
        : within_(within), leftKey_(std::move(leftKey)), rightKey_(std::move(rightKey)),
          combine_(std::move(combine)), outputKey_(std::move(outputKey)),
          left_(store, name + "#left"), right_(store, name + "#right"),
          due_(store, name + "#due", std::max<std::int64_t>(1, within / 8)),
          meta_(store, name + "#meta") {
        assert(within_ >= 0);
    }

    void onLeft(const L& event, std::int64_t time, Changes<OK, O>& out) {
        if (late(time)) {
            return;
        }
        JK key = leftKey_(event);
        right_.forEach(key, [&](std::int64_t, const Buffered<R>& r) {
            if (within(time, r.time)) {
                emit(combine_(event, r.row), out);
            }
        });
        std::int64_t seq = meta_.next("seq");
        left_.pushBack(key, seq, Buffered<L>{time, event});
        advance(seq, time);
    }

    void onRight(const R& event, std::int64_t time, Changes<OK, O>& out) {
        if (late(time)) {
            return;
        }
        JK key = rightKey_(event);
        left_.forEach(key, [&](std::int64_t, const Buffered<L>& l) {
            if (within(l.time, time)) {
                emit(combine_(l.row, event), out);
            }
        });
        std::int64_t seq = meta_.next("seq");
        right_.pushBack(key, seq, Buffered<R>{time, event});
        advance(seq, time);
    }

    /// Moves event time to `time` without an event: buffered events expire as the
    /// watermark passes them, and later events before it are late. Emits nothing.
    void advanceTo(std::int64_t time) { expire(time); }

    std::int64_t lateEvents() { return meta_.get("late"); }
    std::optional<std::int64_t> watermark() {
        std::optional<std::int64_t> m = meta_.find("maxTime");
        if (!m) {
            return std::nullopt;
        }
        return *m - within_;
    }

private:
    bool within(std::int64_t a, std::int64_t b) const {
        return a - b <= within_ && b - a <= within_;
    }

    bool late(std::int64_t time) {
        std::optional<std::int64_t> w = watermark();
        if (w && time < *w) {
            meta_.set("late", meta_.get("late") + 1);
            return true;
        }
        return false;
    }

    void emit(O row, Changes<OK, O>& out) {
        OK key = outputKey_(row);
        out.push_back(Change<OK, O>{std::move(key), std::nullopt, std::move(row)});
    }

    /// Schedules the new event's expiry, moves the watermark and expires what it passed.
    void advance(std::int64_t seq, std::int64_t time) {
        due_.schedule(seq, time + within_ + 1);
        expire(time);
    }

    void expire(std::int64_t time) {
        std::optional<std::int64_t> maxTime = meta_.find("maxTime");
        if (!maxTime || time > *maxTime) {
            meta_.set("maxTime", time);
        }
        due_.advance(*watermark(), [&](std::int64_t s) {
            if (!left_.erase(s)) {
                right_.erase(s);
            }
        });
    }

    std::int64_t within_;
    LeftKeyFn leftKey_;
    RightKeyFn rightKey_;
    CombineFn combine_;
    OutputKeyFn outputKey_;
    StateLists<JK, std::int64_t, Buffered<L>> left_;
    StateLists<JK, std::int64_t, Buffered<R>> right_;
    DeadlineIndex<std::int64_t> due_;
    OpCounters meta_;
};

/// A table-table join keyed by the left table's key: each left row joined with the
/// right row its join key names (a foreign key: many left rows may name one right
/// row). It updates when either side changes: a left change recomputes that row; a
/// right change recomputes every left row naming it, in the order they came to name it.
/// A deleted left row retracts its joined row; a deleted right row retracts the joined
/// rows (inner) or joins them with none (left).
/// Tables: `NAME` (LK -> O), `NAME#right` (RK -> R), `NAME#left` (+ `.nodes`: the left
/// rows, listed under the right key they name).
template <typename LK, typename L, typename RK, typename R, typename O>
class TableTableJoin {
public:
    using JoinKeyFn = std::function<RK(const L&)>;
    /// Builds the output; `right` is null only in a left join.
    using CombineFn = std::function<O(const LK&, const L&, const R* right)>;

    TableTableJoin(Store& store, const std::string& name, JoinKind kind, JoinKeyFn joinKey,
                   CombineFn combine)
        : kind_(kind), joinKey_(std::move(joinKey)), combine_(std::move(combine)),
          rows_(stateTable<LK, O>(store, name)), right_(stateTable<RK, R>(store, name + "#right")),
          left_(store, name + "#left") {}

    /// A left row's change. With `changes` false (nobody reads this view's changes) the
    /// joined row is stored without keeping its old version and nothing is emitted.
    void onLeft(const Change<LK, L>& change, Changes<LK, O>& out, bool changes = true) {
        if (change.before) {
            left_.erase(change.key);
        }
        std::optional<O> after;
        if (change.after) {
            RK rk = joinKey_(*change.after);
            left_.pushBack(rk, change.key, *change.after);
            after = joined(change.key, *change.after, rk);
        }
        publish(change.key, std::move(after), out, changes);
    }

    void onRight(const Change<RK, R>& change, Changes<LK, O>& out, bool changes = true) {
        if (change.after) {
            right_.upsert(change.key) = *change.after;
        } else {
            right_.erase(change.key);
        }
        for (const LK& lk : left_.elements(change.key)) {
            L row = left_.node(lk)->payload;
            publish(lk, joined(lk, row, change.key), out, changes);
        }
    }

    StateTable<LK, O>& table() { return rows_; }

private:
    std::optional<O> joined(const LK& lk, const L& row, const RK& rk) {
        const R* right = right_.find(rk);
        if (right == nullptr && kind_ == JoinKind::Inner) {
            return std::nullopt;
        }
        return combine_(lk, row, right);
    }

    void publish(const LK& key, std::optional<O> after, Changes<LK, O>& out, bool changes) {
        if (!changes) {
            const O* old = rows_.find(key);
            if (after && (old == nullptr || !(*old == *after))) {
                rows_.upsert(key) = std::move(*after);
            } else if (!after && old != nullptr) {
                rows_.erase(key);
            }
            return;
        }
        std::optional<O> before;
        if (const O* old = rows_.find(key)) {
            before = *old;
        }
        if (before == after) {
            return;
        }
        if (after) {
            rows_.upsert(key) = *after;
        } else {
            rows_.erase(key);
        }
        emitChange(out, key, std::move(before), std::move(after));
    }

    JoinKind kind_;
    JoinKeyFn joinKey_;
    CombineFn combine_;
    StateTable<LK, O>& rows_;
    StateTable<RK, R>& right_;
    StateLists<RK, LK, L> left_;
};

}  // namespace flow::rt::ops
