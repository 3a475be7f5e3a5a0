// runtime/tests/ops_batch_aggregates.h - random order rows, random aggregate selections
// and the aggregates' textbook definitions, for the batch side of the property tests.
#pragma once

#include "flow/rt/ops/accumulator.h"
#include "ops_harness.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace flow::rt::testing {

using ops::AggKind;
using ops::aggKindName;
using ops::AggSpec;

/// An order row: customer (string), region (int), qty (int), price (float?), tag (string?).
inline Row randomOrder(std::mt19937_64& rng, int customers) {
    Row r{smallString(rng, customers), pick(rng, 0, 2), pick(rng, -5, 20), Value{}, Value{}};
    if (chance(rng, 80)) {
        r[3] = dyadic(rng);
    }
    if (chance(rng, 80)) {
        r[4] = smallString(rng, 5);
    }
    return r;
}

/// Aggregates and group-by columns chosen at random for a case.
struct AggConfig {
    std::vector<std::pair<AggKind, int>> aggs;  // kind, argument column
    std::vector<int> groupBy;                   // one or two columns

    static AggConfig random(std::mt19937_64& rng) {
        AggConfig c;
        c.groupBy = chance(rng, 50) ? std::vector<int>{0} : std::vector<int>{0, 1};
        auto n = pick(rng, 1, 6);
        for (std::int64_t i = 0; i < n; ++i) {
            auto kind = static_cast<AggKind>(pick(rng, 0, 6));
            int column = 0;
            switch (kind) {
            case AggKind::Sum:
            case AggKind::Avg:
                column = static_cast<int>(pick(rng, 2, 3));  // numbers
                break;
            default:
                column = static_cast<int>(pick(rng, 1, 4));
                break;
            }
            c.aggs.emplace_back(kind, column);
        }
        return c;
    }

    std::vector<AggSpec<Row>> specs() const {
        std::vector<AggSpec<Row>> s;
        for (const auto& agg : aggs) {
            int column = agg.second;
            s.push_back({agg.first, [column](const Row& r) {
                             return r[column];
                         }});
        }
        return s;
    }
    Row key(const Row& r) const {
        Row k;
        for (int c : groupBy) {
            k.push_back(r[c]);
        }
        return k;
    }
};

/// The aggregates of one group by their textbook definitions, over its rows in order.
inline Row batchAggregates(const AggConfig& config, const Row& key, const std::vector<Row>& rows) {
    Row out = key;
    for (auto [kind, column] : config.aggs) {
        std::vector<Value> present;
        for (const Row& r : rows) {
            if (!isNone(r[column])) {
                present.push_back(r[column]);
            }
        }
        switch (kind) {
        case AggKind::Count:
            out.push_back(static_cast<std::int64_t>(rows.size()));
            break;
        case AggKind::Sum:
        case AggKind::Avg: {
            if (present.empty()) {
                out.push_back(Value{});
                break;
            }
            bool ints = std::holds_alternative<std::int64_t>(present[0]);
            std::int64_t is = 0;
            double ds = 0;
            for (const Value& v : present) {
                if (ints) {
                    is += asInt(v);
                } else {
                    ds += asFloat(v);
                }
            }
            if (kind == AggKind::Sum) {
                out.push_back(ints ? Value{is} : Value{ds});
            } else {
                out.push_back((ints ? static_cast<double>(is) : ds) /
                              static_cast<double>(present.size()));
            }
            break;
        }
        case AggKind::Min:
        case AggKind::Max:
            if (present.empty()) {
                out.push_back(Value{});
            } else {
                out.push_back(kind == AggKind::Min
                                  ? *std::min_element(present.begin(), present.end())
                                  : *std::max_element(present.begin(), present.end()));
            }
            break;
        case AggKind::First:
            out.push_back(rows.front()[column]);
            break;
        case AggKind::Last:
            out.push_back(rows.back()[column]);
            break;
        }
    }
    return out;
}

inline std::string showConfig(const AggConfig& c) {
    std::string s = "group by";
    for (int g : c.groupBy) {
        s += " #" + std::to_string(g);
    }
    s += ", select";
    for (auto [kind, column] : c.aggs) {
        s += std::string(" ") + aggKindName(kind) + "(#" + std::to_string(column) + ")";
    }
    return s + "\n";
}

}  // namespace flow::rt::testing
