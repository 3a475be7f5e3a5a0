// flow/rt/ops/window.h - windowed aggregation on event time: tumbling, hopping, session.
//
//   table HourlySales = from OrderPlaced o window tumbling 1h grace 5m
//     group by o.product select { product: o.product, start: window.start, qty: sum(o.qty) };
//
// The watermark is the greatest event time seen minus the grace. A window [start, end)
// closes once the watermark reaches its end (watermark >= end); an event that would
// only go to closed windows is late: counted in `lateEvents()` and dropped. Results are
// keyed by (group key, window start), updated while the window is open and final once
// it closes; a closed window's accumulator is dropped, its row stays.
#pragma once

#include "flow/rt/ops/accumulator.h"
#include "flow/rt/ops/change.h"
#include "flow/rt/ops/deadline_index.h"
#include "flow/rt/ops/state_lists.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flow::rt::ops {

enum class WindowKind : std::uint8_t { Tumbling, Hopping, Session };

/// Durations in microseconds. The compiler checks size, every and gap are positive,
/// every <= size and grace >= 0 (E0505); the constructor asserts it.
struct WindowSpec {
    WindowKind kind = WindowKind::Tumbling;
    std::int64_t size = 0;   // tumbling, hopping
    std::int64_t every = 0;  // hopping (tumbling: == size)
    std::int64_t gap = 0;    // session
    std::int64_t grace = 0;

    static WindowSpec tumbling(std::int64_t size, std::int64_t grace = 0) {
        return {WindowKind::Tumbling, size, size, 0, grace};
    }
    static WindowSpec hopping(std::int64_t size, std::int64_t every, std::int64_t grace = 0) {
        return {WindowKind::Hopping, size, every, 0, grace};
    }
    static WindowSpec session(std::int64_t gap, std::int64_t grace = 0) {
        return {WindowKind::Session, 0, 0, gap, grace};
    }
};

/// `window.start` and `window.end` of a result row: [start, end). A session's end is
/// its last event's time plus the gap.
struct WindowBounds {
    std::int64_t start = 0;
    std::int64_t end = 0;
    bool operator==(const WindowBounds&) const = default;
};

/// The key of a windowed result: the group key and the window's start.
template <typename K>
struct Windowed {
    K key{};
    std::int64_t start = 0;

    bool operator==(const Windowed&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Windowed& w) {
        return H::combine(std::move(h), w.key, w.start);
    }
};

template <typename K>
struct StateCodec<Windowed<K>> {
    static void put(std::string& out, const Windowed<K>& w) {
        StateCodec<K>::put(out, w.key);
        StateCodec<std::int64_t>::put(out, w.start);
    }
    static bool get(Reader& in, Windowed<K>& w) {
        return StateCodec<K>::get(in, w.key) && StateCodec<std::int64_t>::get(in, w.start);
    }
};

/// One open session of a group.
struct SessionAcc {
    std::int64_t start = 0;
    std::int64_t end = 0;  // last event time + gap
    GroupAcc acc;
};

/// A group's sessions: the open ones by start, and the end of the last closed one (an
/// event reaching back into it is late; it is kept for the group's lifetime, one
/// integer beside the group's result rows).
struct SessionGroup {
    std::optional<std::int64_t> closedEnd;
    std::vector<SessionAcc> open;
};

template <>
struct StateCodec<SessionAcc> {
    static void put(std::string& out, const SessionAcc& s) {
        StateCodec<std::int64_t>::put(out, s.start);
        StateCodec<std::int64_t>::put(out, s.end);
        StateCodec<GroupAcc>::put(out, s.acc);
    }
    static bool get(Reader& in, SessionAcc& s) {
        return StateCodec<std::int64_t>::get(in, s.start) &&
               StateCodec<std::int64_t>::get(in, s.end) && StateCodec<GroupAcc>::get(in, s.acc);
    }
};

template <>
struct StateCodec<SessionGroup> {
    static void put(std::string& out, const SessionGroup& g) {
        StateCodec<std::optional<std::int64_t>>::put(out, g.closedEnd);
        StateCodec<std::vector<SessionAcc>>::put(out, g.open);
    }
    static bool get(Reader& in, SessionGroup& g) {
        return StateCodec<std::optional<std::int64_t>>::get(in, g.closedEnd) &&
               StateCodec<std::vector<SessionAcc>>::get(in, g.open);
    }
};

/// Windowed group-by aggregation over events. Tumbling and hopping windows start at
/// multiples of `every` (from the epoch); an event at t belongs to every window with
/// start <= t < start + size. Session windows: an event at t opens [t, t + gap) and
/// merges with every open session of its group it overlaps (events less than `gap`
/// apart share a session); when that moves a session's start, the rows of the merged
/// sessions are deleted and the merged row inserted. A session event is late when it
/// reaches back into the group's last closed session, or when it joins no open session
/// and its own [t, t + gap) is already closed.
/// Tables: `NAME` (Windowed<K> -> O); `NAME#acc` (Windowed<K> -> GroupAcc) for tumbling
/// and hopping, `NAME#sessions` (K -> SessionGroup) for sessions; `NAME#due` (+
/// `.nodes`, `.entries`, `.entries.nodes`: accumulators by closing time); `NAME#meta`
/// (maxTime, late, seq).
template <typename K, typename R, typename O = Row>
class WindowedAggregate {
public:
    using Key = Windowed<K>;
    using GroupKeyFn = std::function<K(const R&)>;
    using ProjectFn = std::function<O(const K&, const WindowBounds&, std::span<const Value>)>;

    WindowedAggregate(Store& store, const std::string& name, WindowSpec spec,
                      std::vector<AggSpec<R>> aggs, GroupKeyFn groupKey, ProjectFn project)
        : spec_(spec), aggs_(std::move(aggs)), groupKey_(std::move(groupKey)),
          project_(std::move(project)), rows_(stateTable<Key, O>(store, name)),
          meta_(store, name + "#meta") {
        assert(spec_.grace >= 0);
        if (spec_.kind == WindowKind::Session) {
            assert(spec_.gap > 0);
            sessions_ = &stateTable<K, SessionGroup>(store, name + "#sessions");
            sessionDue_.emplace(store, name + "#due", std::max<std::int64_t>(1, spec_.gap / 4));
        } else {
            assert(spec_.size > 0 && spec_.every > 0 && spec_.every <= spec_.size);
            acc_ = &stateTable<Key, GroupAcc>(store, name + "#acc");
            windowDue_.emplace(store, name + "#due", 1);
        }
    }

    /// Adds one event with event time `time` (microseconds). False, with nothing changed
    /// (not even event time) and nothing emitted, when an int sum would overflow in one
    /// of the event's windows.
    [[nodiscard]] bool insert(const R& event, std::int64_t time, Changes<Key, O>& out) {
        std::optional<std::int64_t> maxTime = meta_.find("maxTime");
        std::int64_t w = (maxTime && *maxTime > time ? *maxTime : time) - spec_.grace;
        Outcome outcome = spec_.kind == WindowKind::Session ? insertSession(event, time, w, out)
                                                            : insertFixed(event, time, w, out);
        if (outcome == Outcome::Overflow) {
            return false;
        }
        moveTime(time);
        if (outcome == Outcome::Late) {
            meta_.set("late", meta_.get("late") + 1);
        }
        closeUpTo(w);
        return true;
    }

    /// Moves event time to `time` without an event (`advance time`, an idle input's
    /// heartbeat): the watermark follows and closes what it passes. Emits nothing.
    void advanceTo(std::int64_t time) { closeUpTo(moveTime(time)); }

    /// Events dropped because every window they belong to had closed.
    std::int64_t lateEvents() { return meta_.get("late"); }
    /// The greatest event time seen minus the grace; none before the first event.
    std::optional<std::int64_t> watermark() {
        std::optional<std::int64_t> m = meta_.find("maxTime");
        if (!m) {
            return std::nullopt;
        }
        return *m - spec_.grace;
    }
    StateTable<Key, O>& table() { return rows_; }

private:
    enum class Outcome : std::uint8_t { Added, Late, Overflow };

    /// Records event time `time`; returns the watermark.
    std::int64_t moveTime(std::int64_t time) {
        std::optional<std::int64_t> maxTime = meta_.find("maxTime");
        if (!maxTime || time > *maxTime) {
            meta_.set("maxTime", time);
        }
        return *watermark();
    }

    Outcome insertFixed(const R& event, std::int64_t t, std::int64_t w, Changes<Key, O>& out) {
        std::vector<std::int64_t> starts;  // ascending, open windows only
        std::int64_t last = floorDiv(t, spec_.every) * spec_.every;
        for (std::int64_t s = last; s + spec_.size > t; s -= spec_.every) {
            if (s + spec_.size > w) {
                starts.push_back(s);
            }
        }
        if (starts.empty()) {
            return Outcome::Late;
        }
        std::reverse(starts.begin(), starts.end());
        K group = groupKey_(event);
        Values args = aggs_.args(event);
        for (std::int64_t s : starts) {
            if (!aggs_.fits(acc_->find(Key{group, s}), nullptr, &args)) {
                return Outcome::Overflow;
            }
        }
        std::int64_t seq = meta_.next("seq");
        for (std::int64_t s : starts) {
            Key key{group, s};
            bool created = false;
            GroupAcc& g = acc_->upsert(key, &created);
            aggs_.add(g, args, seq, false);
            Values values = aggs_.results(g);
            if (created) {
                windowDue_->schedule(key, s + spec_.size);
            }
            publish(key, O(project_(group, WindowBounds{s, s + spec_.size}, values)), out);
        }
        return Outcome::Added;
    }

    Outcome insertSession(const R& event, std::int64_t t, std::int64_t w, Changes<Key, O>& out) {
        K group = groupKey_(event);
        SessionGroup sg;
        if (const SessionGroup* found = sessions_->find(group)) {
            sg = *found;
        }
        bool closed = closeSessions(sg, w);
        std::int64_t end = t + spec_.gap;
        auto overlaps = [&](const SessionAcc& s) {
            return s.start < end && t < s.end;
        };
        if ((sg.closedEnd && t < *sg.closedEnd) ||
            (end <= w && std::none_of(sg.open.begin(), sg.open.end(), overlaps))) {
            if (closed) {
                saveSessions(group, sg);
            }
            return Outcome::Late;
        }
        SessionAcc merged{t, end, GroupAcc{}};
        std::vector<SessionAcc> kept, absorbed;
        for (SessionAcc& s : sg.open) {
            (overlaps(s) ? absorbed : kept).push_back(std::move(s));
        }
        Values args = aggs_.args(event);
        std::vector<const GroupAcc*> parts;
        for (const SessionAcc& s : absorbed) {
            parts.push_back(&s.acc);
        }
        if (!aggs_.fitsMerged(parts, nullptr, &args)) {
            return Outcome::Overflow;  // only `sg`, a copy, has changed
        }
        for (const SessionAcc& s : absorbed) {  // ascending start
            merged.start = std::min(merged.start, s.start);
            merged.end = std::max(merged.end, s.end);
            aggs_.merge(merged.acc, s.acc);
        }
        aggs_.add(merged.acc, args, meta_.next("seq"), false);
        for (const SessionAcc& s : absorbed) {
            if (s.start != merged.start) {
                Key old{group, s.start};
                std::optional<O> before;
                if (const O* row = rows_.find(old)) {
                    before = *row;
                }
                rows_.erase(old);
                emitChange(out, old, std::move(before), std::optional<O>());
            }
        }
        publish(
            Key{group, merged.start},
            O(project_(group, WindowBounds{merged.start, merged.end}, aggs_.results(merged.acc))),
            out);
        auto at = std::lower_bound(kept.begin(), kept.end(), merged.start,
                                   [](const SessionAcc& s, std::int64_t v) { return s.start < v; });
        kept.insert(at, std::move(merged));
        sg.open = std::move(kept);
        saveSessions(group, sg);
        return Outcome::Added;
    }

    /// Moves sessions ending at or before the watermark from open to closed; false if
    /// there were none. Open sessions of a group never overlap, so they close in order.
    static bool closeSessions(SessionGroup& sg, std::int64_t w) {
        auto firstOpen = std::find_if(sg.open.begin(), sg.open.end(),
                                      [&](const SessionAcc& s) { return s.end > w; });
        if (firstOpen == sg.open.begin()) {
            return false;
        }
        // Every open session lies after every closed one, so the latest end is the last.
        sg.closedEnd = std::prev(firstOpen)->end;
        sg.open.erase(sg.open.begin(), firstOpen);
        return true;
    }

    /// Stores a group's sessions and schedules it at its earliest open session's end.
    void saveSessions(const K& group, const SessionGroup& sg) {
        sessions_->upsert(group) = sg;
        sessionDue_->cancel(group);
        if (!sg.open.empty()) {
            std::int64_t next = sg.open.front().end;
            for (const SessionAcc& s : sg.open) {
                next = std::min(next, s.end);
            }
            sessionDue_->schedule(group, next);
        }
    }

    /// Drops the accumulators of windows the watermark has closed.
    void closeUpTo(std::int64_t w) {
        if (windowDue_) {
            windowDue_->advance(w, [&](const Key& key) { acc_->erase(key); });
            return;
        }
        sessionDue_->advance(w, [&](const K& group) {
            SessionGroup sg = *sessions_->find(group);
            closeSessions(sg, w);
            saveSessions(group, sg);
        });
    }

    void publish(const Key& key, O row, Changes<Key, O>& out) {
        std::optional<O> before;
        if (const O* old = rows_.find(key)) {
            before = *old;
        }
        if (before != row) {
            rows_.upsert(key) = row;
        }
        emitChange(out, key, std::move(before), std::optional<O>(std::move(row)));
    }

    WindowSpec spec_;
    AggregateSet<R> aggs_;
    GroupKeyFn groupKey_;
    ProjectFn project_;
    StateTable<Key, O>& rows_;
    OpCounters meta_;
    StateTable<Key, GroupAcc>* acc_ = nullptr;
    StateTable<K, SessionGroup>* sessions_ = nullptr;
    std::optional<DeadlineIndex<Key>> windowDue_;
    std::optional<DeadlineIndex<K>> sessionDue_;
};

}  // namespace flow::rt::ops
