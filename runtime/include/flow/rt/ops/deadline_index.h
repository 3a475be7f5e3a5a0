// flow/rt/ops/deadline_index.h - elements due when the watermark reaches their deadline.
//
// Windows close and buffered join events expire as the watermark passes a time; the
// watermark may jump arbitrarily far, so the index never steps through empty time: it
// keeps the non-empty deadline buckets as one sorted list (a new bucket is placed by
// walking back from the latest, which is short because deadlines mostly grow) and a
// list of elements per bucket. Releasing pops whole buckets from the front.
#pragma once

#include "flow/rt/ops/state_lists.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace flow::rt::ops {

/// floor(a / b) for b > 0 (C++ division truncates toward zero).
inline std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// Elements E with deadlines: an element is released by `advance(w)` once `w >=
/// deadline`, at the latest once its whole bucket (`width` microseconds) is due.
/// Tables: `NAME` (the sorted bucket list) and `NAME.entries` (elements per bucket),
/// each with its `.nodes`.
template <typename E>
class DeadlineIndex {
public:
    DeadlineIndex(Store& store, const std::string& name, std::int64_t width)
        : buckets_(store, name), entries_(store, name + ".entries"), width_(width > 0 ? width : 1) {
    }

    /// Adds `e` (not yet scheduled). A deadline at or before the current watermark is
    /// released by the next `advance`.
    void schedule(const E& e, std::int64_t deadline) {
        std::int64_t b = floorDiv(deadline, width_);
        if (entries_.size(b) == 0) {
            std::optional<std::int64_t> at = buckets_.back(kList);
            while (at && *at > b) {
                at = buckets_.node(*at)->prev;
            }
            buckets_.insertAfter(kList, at, b);
        }
        entries_.pushBack(b, e);
    }

    /// Removes `e`; false if it was not scheduled.
    bool cancel(const E& e) {
        auto n = entries_.erase(e);
        if (!n) {
            return false;
        }
        if (entries_.size(n->list) == 0) {
            buckets_.erase(n->list);
        }
        return true;
    }

    /// Removes and passes to `onDue(const E&)` every element of every bucket wholly at or
    /// before `watermark`: oldest bucket first, in scheduling order within a bucket.
    /// `onDue` may schedule elements with deadlines after `watermark`.
    template <typename F>
    void advance(std::int64_t watermark, F&& onDue) {
        if (watermark == std::numeric_limits<std::int64_t>::max()) {
            --watermark;  // no event time is that large; keeps `watermark + 1` defined
        }
        std::int64_t due = floorDiv(watermark + 1, width_) - 1;
        while (true) {
            std::optional<std::int64_t> b = buckets_.front(kList);
            if (!b || *b > due) {
                return;
            }
            E e = *entries_.front(*b);
            cancel(e);
            onDue(e);
        }
    }

private:
    static constexpr std::int64_t kList = 0;  // the single list of buckets
    StateLists<std::int64_t, std::int64_t> buckets_;
    StateLists<std::int64_t, E> entries_;
    std::int64_t width_;
};

}  // namespace flow::rt::ops
