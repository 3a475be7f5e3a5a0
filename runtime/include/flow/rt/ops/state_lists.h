// flow/rt/ops/state_lists.h - ordered lists of elements kept in state tables.
//
// State tables are hash maps: they can find a row by key but have no order and no
// range scan. Operators that must visit "every row of this group, oldest first"
// (first/last over a table, a foreign-key join's referencing rows, the buffered events
// of a stream-stream join, the windows due at a watermark) keep a doubly linked list
// per owner in two tables: `NAME` holds each list's head (front, back, size), keyed by
// the list, and `NAME.nodes` each element (its list, prev, next and a payload), keyed
// by the element. Insertion, removal and lookup of an element are O(1) table
// operations, and iteration follows insertion order, so nothing depends on hash order.
#pragma once

#include "flow/rt/ops/state_codec.h"
#include "flow/rt/state_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flow::rt::ops {

template <typename E>
struct ListHead {
    std::optional<E> front;
    std::optional<E> back;
    std::int64_t size = 0;
};

template <typename L, typename E, typename P>
struct ListNode {
    L list{};
    std::optional<E> prev;
    std::optional<E> next;
    P payload{};
};

template <typename E>
struct StateCodec<ListHead<E>> {
    static void put(std::string& out, const ListHead<E>& h) {
        StateCodec<std::optional<E>>::put(out, h.front);
        StateCodec<std::optional<E>>::put(out, h.back);
        StateCodec<std::int64_t>::put(out, h.size);
    }
    static bool get(Reader& in, ListHead<E>& h) {
        return StateCodec<std::optional<E>>::get(in, h.front) &&
               StateCodec<std::optional<E>>::get(in, h.back) &&
               StateCodec<std::int64_t>::get(in, h.size);
    }
};

template <typename L, typename E, typename P>
struct StateCodec<ListNode<L, E, P>> {
    static void put(std::string& out, const ListNode<L, E, P>& n) {
        StateCodec<L>::put(out, n.list);
        StateCodec<std::optional<E>>::put(out, n.prev);
        StateCodec<std::optional<E>>::put(out, n.next);
        StateCodec<P>::put(out, n.payload);
    }
    static bool get(Reader& in, ListNode<L, E, P>& n) {
        return StateCodec<L>::get(in, n.list) && StateCodec<std::optional<E>>::get(in, n.prev) &&
               StateCodec<std::optional<E>>::get(in, n.next) && StateCodec<P>::get(in, n.payload);
    }
};

/// Lists keyed by L of elements keyed by E (an element is in at most one list), each
/// element carrying a payload P. Values are copied out of the tables: a table's
/// references are only valid until its next call.
template <typename L, typename E, typename P = Unit>
class StateLists {
public:
    using Node = ListNode<L, E, P>;

    StateLists(Store& store, const std::string& name)
        : heads_(stateTable<L, ListHead<E>>(store, name)),
          nodes_(stateTable<E, Node>(store, name + ".nodes")) {}

    std::optional<Node> node(const E& e) {
        const Node* n = nodes_.find(e);
        return n == nullptr ? std::nullopt : std::optional<Node>(*n);
    }
    bool contains(const E& e) { return nodes_.find(e) != nullptr; }

    std::optional<E> front(const L& list) {
        const ListHead<E>* h = heads_.find(list);
        return h == nullptr ? std::nullopt : h->front;
    }
    std::optional<E> back(const L& list) {
        const ListHead<E>* h = heads_.find(list);
        return h == nullptr ? std::nullopt : h->back;
    }
    std::int64_t size(const L& list) {
        const ListHead<E>* h = heads_.find(list);
        return h == nullptr ? 0 : h->size;
    }

    /// Appends `e`, which must not be in any list.
    void pushBack(const L& list, const E& e, P payload = {}) {
        insertAfter(list, back(list), e, std::move(payload));
    }

    /// Inserts `e` (in no list yet) after `after`, or at the front when `after` is none.
    void insertAfter(const L& list, const std::optional<E>& after, const E& e, P payload = {}) {
        ListHead<E> h;
        if (const ListHead<E>* found = heads_.find(list)) {
            h = *found;
        }
        Node n{list, after, std::nullopt, std::move(payload)};
        if (after) {
            Node& prev = nodes_.upsert(*after);
            n.next = prev.next;
            prev.next = e;
        } else {
            n.next = h.front;
            h.front = e;
        }
        if (n.next) {
            nodes_.upsert(*n.next).prev = e;
        } else {
            h.back = e;
        }
        nodes_.upsert(e) = std::move(n);
        ++h.size;
        heads_.upsert(list) = std::move(h);
    }

    /// Unlinks `e` and returns its node (none if it was in no list).
    std::optional<Node> erase(const E& e) {
        if (nodes_.find(e) == nullptr) {
            return std::nullopt;
        }
        std::optional<Node> n(std::move(nodes_.upsert(e)));  // moved out: no row copy
        nodes_.erase(e);
        ListHead<E> h = *heads_.find(n->list);
        if (n->prev) {
            nodes_.upsert(*n->prev).next = n->next;
        } else {
            h.front = n->next;
        }
        if (n->next) {
            nodes_.upsert(*n->next).prev = n->prev;
        } else {
            h.back = n->prev;
        }
        if (--h.size == 0) {
            heads_.erase(n->list);
        } else {
            heads_.upsert(n->list) = std::move(h);
        }
        return n;
    }

    /// The payload of `e`, or null; valid until the next call on these lists.
    const P* payload(const E& e) {
        const Node* n = nodes_.find(e);
        return n == nullptr ? nullptr : &n->payload;
    }

    /// Replaces the payload of `e`, which must be in a list.
    void setPayload(const E& e, P payload) { nodes_.upsert(e).payload = std::move(payload); }

    /// Visits the list front to back; `fn(const E&, const P&)` must not use these lists
    /// (take `elements()` first to modify them).
    template <typename F>
    void forEach(const L& list, F&& fn) {
        std::optional<E> cur = front(list);
        while (cur) {
            const Node* n = nodes_.find(*cur);
            std::optional<E> next = n->next;
            fn(*cur, n->payload);
            cur = std::move(next);
        }
    }

    /// The elements of a list, front to back.
    std::vector<E> elements(const L& list) {
        std::vector<E> out;
        for (std::optional<E> cur = front(list); cur; cur = nodes_.find(*cur)->next) {
            out.push_back(*cur);
        }
        return out;
    }

private:
    StateTable<L, ListHead<E>>& heads_;
    StateTable<E, Node>& nodes_;
};

/// Named int64 cells of an operator (watermark, counters, sequence numbers), kept in
/// the table `NAME` so they are checkpointed with the rest of its state.
class OpCounters {
public:
    OpCounters(Store& store, const std::string& name)
        : table_(stateTable<std::string, std::int64_t>(store, name)) {}

    std::optional<std::int64_t> find(const std::string& cell) {
        const std::int64_t* v = table_.find(cell);
        return v == nullptr ? std::nullopt : std::optional<std::int64_t>(*v);
    }
    std::int64_t get(const std::string& cell) { return find(cell).value_or(0); }
    void set(const std::string& cell, std::int64_t v) { table_.upsert(cell) = v; }
    /// Returns the value before the increment.
    std::int64_t next(const std::string& cell) {
        std::int64_t& v = table_.upsert(cell);
        return v++;
    }

private:
    StateTable<std::string, std::int64_t>& table_;
};

}  // namespace flow::rt::ops
