// flow/rt/ops/aggregate.h - group-by aggregation over a stream and over a table's changes.
//
//   table CustomerTotals = from Orders.OrderPlaced o group by o.customer
//     select { customer: o.customer, orders: count(), spent: sum(o.qty * o.price) };
//
// Both operators materialise the view (key -> projected row) in the table named after
// the view, keep one accumulator per group in `NAME#acc`, and emit a change for every
// group whose projected row changed. The table form retracts what an input row's old
// version contributed before adding its new version, so it can read any other view.
#pragma once

#include "flow/rt/ops/accumulator.h"
#include "flow/rt/ops/change.h"
#include "flow/rt/ops/state_lists.h"

#include <absl/container/node_hash_map.h>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flow::rt::ops {

/// Aggregates over events (inserts only): accumulators need no retraction state.
/// K: the group key (several group-by expressions: a Row or a struct); R: the event;
/// O: the view's row, built by `project` from the key and the aggregates' values.
/// Tables: `NAME` (K -> O), `NAME#acc` (K -> GroupAcc).
template <typename K, typename R, typename O = Row>
class StreamAggregate {
public:
    using GroupKeyFn = std::function<K(const R&)>;
    using ProjectFn = std::function<O(const K&, std::span<const Value>)>;

    StreamAggregate(Store& store, const std::string& name, std::vector<AggSpec<R>> aggs,
                    GroupKeyFn groupKey, ProjectFn project)
        : aggs_(std::move(aggs)), groupKey_(std::move(groupKey)), project_(std::move(project)),
          rows_(stateTable<K, O>(store, name)),
          acc_(stateTable<K, GroupAcc>(store, name + "#acc")) {}

    /// Adds one event to its group and emits the group's new row (unless `changes` is
    /// false: nobody reads them, so the old row is neither looked up nor copied). False,
    /// with nothing changed and nothing emitted, when an int sum would overflow.
    [[nodiscard]] bool insert(const R& event, Changes<K, O>& out, bool changes = true) {
        return insert(event, groupKey_(event), out, changes);
    }
    /// The same, with the event's group key already at hand (and `hash`, if not null,
    /// what prefetch(key) returned).
    [[nodiscard]] bool insert(const R& event, const K& key, Changes<K, O>& out, bool changes,
                              const std::size_t* hash = nullptr) {
        Values args = aggs_.args(event);
        // One lookup: a group created here is empty, and one int always fits.
        GroupAcc& g = hash != nullptr ? acc_.upsertHashed(key, *hash, nullptr) : acc_.upsert(key);
        if (!aggs_.fits(&g, nullptr, &args)) {
            return false;
        }
        aggs_.add(g, args, g.rows, false);
        O row = project_(key, aggs_.results(g));
        if (!changes) {
            rows_.upsert(key) = std::move(row);
            return true;
        }
        std::optional<O> before = copyOf(rows_.find(key));
        rows_.upsert(key) = row;
        emitChange(out, key, std::move(before), std::optional<O>(std::move(row)));
        return true;
    }

    /// A hint that `key`'s group is about to be inserted into: its accumulators' slot is
    /// fetched while the caller computes the rest of the event's input. Returns the hash
    /// insert takes.
    std::size_t prefetch(const K& key) { return acc_.prefetch(key); }

    /// The view's rows, as queries and joins read them.
    StateTable<K, O>& table() { return rows_; }

private:
    static std::optional<O> copyOf(const O* p) { return p ? std::optional<O>(*p) : std::nullopt; }

    AggregateSet<R> aggs_;
    GroupKeyFn groupKey_;
    ProjectFn project_;
    StateTable<K, O>& rows_;
    StateTable<K, GroupAcc>& acc_;
};

/// Aggregates over events into a view whose rows are a pure function of each group's key
/// and aggregates (the `select` reads nothing else and cannot fail): only the
/// accumulators are kept, and a row is projected when it is read. An event costs one
/// table probe instead of three (accumulator, old row, new row) and no row is stored;
/// a read costs a projection. Table: `NAME#acc` (K -> GroupAcc), as StreamAggregate's.
template <typename K, typename R, typename O = Row>
class ProjectedAggregate {
public:
    using GroupKeyFn = std::function<K(const R&)>;
    using ProjectFn = std::function<O(const K&, std::span<const Value>)>;

    ProjectedAggregate(Store& store, const std::string& name, std::vector<AggSpec<R>> aggs,
                       GroupKeyFn groupKey, ProjectFn project)
        : aggs_(std::move(aggs)), groupKey_(std::move(groupKey)), project_(std::move(project)),
          acc_(stateTable<K, GroupAcc>(store, name + "#acc")) {}

    /// As StreamAggregate::insert; the rows in `out` (only with `changes`) are projected
    /// from the group before and after the event.
    [[nodiscard]] bool insert(const R& event, Changes<K, O>& out, bool changes = true) {
        return insert(event, groupKey_(event), out, changes);
    }
    /// The same, with the event's group key already at hand (and `hash`, if not null,
    /// what prefetch(key) returned).
    [[nodiscard]] bool insert(const R& event, const K& key, Changes<K, O>& out, bool changes,
                              const std::size_t* hash = nullptr) {
        bool created = false;
        GroupAcc& g =
            hash != nullptr ? acc_.upsertHashed(key, *hash, &created) : acc_.upsert(key, &created);
        return add(event, key, g, created, out, changes);
    }

    /// Whether the accumulators are in memory, where insertWith can find a group by a key
    /// in another form.
    bool inMemory() const { return memory_ != nullptr; }
    /// insert of the key known by `hash` (the table's hash of it, as prefetch returns) and
    /// `is` (MemoryTable::upsertWith): the key is made (`make`) only for a new group. Only
    /// when inMemory().
    template <typename Is, typename Make>
    [[nodiscard]] bool insertWith(const R& event, std::size_t hash, Is&& is, Make&& make,
                                  Changes<K, O>& out, bool changes) {
        bool created = false;
        auto [key, g] =
            memory_->upsertWith(hash, std::forward<Is>(is), std::forward<Make>(make), &created);
        return add(event, *key, *g, created, out, changes);
    }
    /// insertWith of an event nobody watches the changes of (none are made), when ints():
    /// its aggregates' arguments are read by `arg` (AggregateSet::addIntsBy). False, with
    /// the group unchanged, when an int sum would overflow.
    template <typename Is, typename Make, typename Arg>
    [[nodiscard]] bool insertIntsWith(std::size_t hash, Is&& is, Make&& make, Arg&& arg) {
        GroupAcc* g =
            memory_->upsertWith(hash, std::forward<Is>(is), std::forward<Make>(make), nullptr)
                .second;
        return aggs_.addIntsBy(*g, std::forward<Arg>(arg));
    }
    /// prefetch of the key the table hashes as `hash`. Only when inMemory().
    void prefetchHashed(std::size_t hash) { memory_->prefetchHashed(hash); }

    /// As StreamAggregate::prefetch.
    std::size_t prefetch(const K& key) { return acc_.prefetch(key); }

    /// Whether insert without changes reads arguments only through AggSpec::intArg
    /// (AggregateSet::ints).
    bool ints() const { return aggs_.ints(); }

    /// The group's row, or null. The pointer stays valid until the group changes and is
    /// read again.
    const O* find(const K& key) {
        const GroupAcc* g = acc_.find(key);
        if (g == nullptr) {
            return nullptr;
        }
        // Rows read are kept with the accumulators they came from (a node map: their
        // addresses never move), so reading again an unchanged group projects nothing.
        auto [it, inserted] = read_.try_emplace(key);
        if (inserted || !(it->second.first == *g)) {
            it->second.first = *g;
            it->second.second = project_(key, aggs_.results(*g));
        }
        return &it->second.second;
    }

    void forEach(const std::function<void(const K&, const O&)>& fn) {
        acc_.forEach(
            [&](const K& key, const GroupAcc& g) { fn(key, project_(key, aggs_.results(g))); });
    }

    std::size_t size() { return acc_.size(); }

private:
    /// Adds `event` to the group `key`, whose accumulators are `g` (`created`: just made).
    bool add(const R& event, const K& key, GroupAcc& g, bool created, Changes<K, O>& out,
             bool changes) {
        if (!changes && aggs_.ints()) {
            return aggs_.addInts(g, event);  // counts and int sums nobody watches: no Values
        }
        Values args = aggs_.args(event);
        if (!aggs_.fits(&g, nullptr, &args)) {
            return false;  // a group created here is empty, and one int always fits
        }
        std::optional<O> before;
        if (changes && !created) {
            before = project_(key, aggs_.results(g));
        }
        aggs_.add(g, args, g.rows, false);
        if (changes) {
            emitChange(out, key, std::move(before),
                       std::optional<O>(project_(key, aggs_.results(g))));
        }
        return true;
    }

    AggregateSet<R> aggs_;
    GroupKeyFn groupKey_;
    ProjectFn project_;
    StateTable<K, GroupAcc>& acc_;
    MemoryTable<K, GroupAcc>* memory_ = dynamic_cast<MemoryTable<K, GroupAcc>*>(&acc_);
    absl::node_hash_map<K, std::pair<GroupAcc, O>> read_;
};

/// Aggregates over a table's changes (input rows keyed by IK): an update retracts the
/// old row from its group and adds the new one (possibly to another group); a group
/// whose last row leaves is deleted. Min and max keep a counted multiset of the group's
/// values; first and last read the group's rows in the order they were last inserted or
/// updated (an update re-inserts), kept as a list in `NAME#order`.
/// Tables: `NAME` (K -> O), `NAME#acc` (K -> GroupAcc), `NAME#order` (+ `.nodes`: per
/// group, the input keys with their first/last arguments), only with first or last.
/// The input's changes must be consistent (each `before` is the row last added).
template <typename IK, typename K, typename R, typename O = Row>
class TableAggregate {
public:
    using GroupKeyFn = std::function<K(const R&)>;
    using ProjectFn = std::function<O(const K&, std::span<const Value>)>;

    TableAggregate(Store& store, const std::string& name, std::vector<AggSpec<R>> aggs,
                   GroupKeyFn groupKey, ProjectFn project)
        : aggs_(std::move(aggs)), groupKey_(std::move(groupKey)), project_(std::move(project)),
          rows_(stateTable<K, O>(store, name)),
          acc_(stateTable<K, GroupAcc>(store, name + "#acc")) {
        if (!aggs_.ordered().empty()) {
            order_.emplace(store, name + "#order");
        }
    }

    /// Applies one input change; emits the old group's change, then the new group's.
    /// False, with nothing changed and nothing emitted, when an int sum would overflow
    /// (checked for the final state: an update within one group is retract and add).
    [[nodiscard]] bool apply(const Change<IK, R>& change, Changes<K, O>& out) {
        std::optional<K> from, to;
        Values oldArgs, newArgs;
        if (change.before) {
            from = groupKey_(*change.before);
            oldArgs = aggs_.args(*change.before);
        }
        if (change.after) {
            to = groupKey_(*change.after);
            newArgs = aggs_.args(*change.after);
        }
        if (from && to && *from == *to) {
            if (!aggs_.fits(acc_.find(*from), &oldArgs, &newArgs)) {
                return false;
            }
        } else if ((from && !aggs_.fits(acc_.find(*from), &oldArgs, nullptr)) ||
                   (to && !aggs_.fits(acc_.find(*to), nullptr, &newArgs))) {
            return false;
        }
        if (from) {
            retract(*from, change.key, oldArgs);
        }
        if (to) {
            add(*to, change.key, std::move(newArgs));
        }
        if (from) {
            publish(*from, out);
        }
        if (to && to != from) {
            publish(*to, out);
        }
        return true;
    }

    StateTable<K, O>& table() { return rows_; }

private:
    void add(const K& key, const IK& rowKey, Values args) {
        GroupAcc& g = acc_.upsert(key);
        aggs_.add(g, args, 0, true);
        if (order_) {
            std::vector<Value> ordered;
            for (std::size_t i : aggs_.ordered()) {
                ordered.push_back(args[i]);
            }
            order_->pushBack(key, rowKey, std::move(ordered));
        }
    }

    void retract(const K& key, const IK& rowKey, const Values& args) {
        GroupAcc& g = acc_.upsert(key);
        aggs_.retract(g, args);
        if (g.rows <= 0) {
            acc_.erase(key);
        }
        if (order_) {
            order_->erase(rowKey);
        }
    }

    void publish(const K& key, Changes<K, O>& out) {
        std::optional<O> after;
        if (const GroupAcc* g = acc_.find(key)) {
            Values values = aggs_.results(*g);
            if (order_) {
                // The group's oldest and newest rows give first and last.
                std::optional<IK> front = order_->front(key), back = order_->back(key);
                const std::vector<std::size_t>& ordered = aggs_.ordered();
                for (std::size_t j = 0; j < ordered.size(); ++j) {
                    bool first = aggs_.kind(ordered[j]) == AggKind::First;
                    values[ordered[j]] = (*order_->payload(first ? *front : *back))[j];
                }
            }
            after = project_(key, values);
        }
        std::optional<O> before;
        if (const O* old = rows_.find(key)) {
            before = *old;
        }
        if (after) {
            rows_.upsert(key) = *after;
        } else if (before) {
            rows_.erase(key);
        }
        emitChange(out, key, std::move(before), std::move(after));
    }

    AggregateSet<R> aggs_;
    GroupKeyFn groupKey_;
    ProjectFn project_;
    StateTable<K, O>& rows_;
    StateTable<K, GroupAcc>& acc_;
    std::optional<StateLists<K, IK, std::vector<Value>>> order_;
};

}  // namespace flow::rt::ops
