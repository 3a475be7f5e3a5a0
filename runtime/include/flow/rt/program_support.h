// flow/rt/program_support.h - what every generated program.h (`flowc gen-cpp`,
// docs/gen-cpp.md) builds on, the same for every program: string helpers, the plan, typed
// rows and their codecs, and the Program class the generated functions call. It reads the
// program through the four symbols the generated kernels.h and plan.cpp define in
// namespace flow_gen, so one executable holds one generated program.
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/engine.h"
#include "flow/rt/rows.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flow_gen {

// Defined by the generated plan.cpp (and declared again by kernels.h).
extern const FlowKernelFn flow_kernels[];
extern const std::size_t flow_kernel_count;
extern const char flow_plan_json[];
extern const std::size_t flow_plan_json_size;

}  // namespace flow_gen

namespace flow_gen {

// Values -----------------------------------------------------------------------------

/// A string field's value viewing `s`: the row borrows the bytes, which must outlive
/// its use.
inline FlowStr str(std::string_view s) {
    return FlowStr{s.data(), static_cast<int64_t>(s.size())};
}

/// The bytes of a string field.
inline std::string_view view(FlowStr s) {
    return std::string_view(s.ptr, static_cast<std::size_t>(s.len));
}

/// A row or envelope as a kernel argument: kernels never write their inputs (abi.h).
inline void* input(const void* row) {
    return const_cast<void*>(row);
}

// Rows and their codecs --------------------------------------------------------------

/// The program's plan (flow/rt/plan.h), read on first use. It was written with this
/// header, so it parses; were it damaged nothing here could work, and the process
/// aborts.
inline const flow::rt::plan::Program& plan() {
    static const flow::rt::plan::Program parsed = [] {
        flow::rt::Result<flow::rt::plan::Program> result =
            flow::rt::plan::parsePlan(std::string_view(flow_plan_json, flow_plan_json_size));
        if (!result) {
            std::abort();
        }
        return std::move(result.value());
    }();
    return parsed;
}

/// The layout of a row struct of kernels.h, as the runtime reads rows.
template <typename Row>
const flow::rt::plan::Layout& layoutOf() {
    return plan().layouts[static_cast<std::size_t>(Row::kLayout)];
}

/// A row that owns its strings, as decode(), fromJson() and the Program return rows.
/// Read it as the struct (`row->f_qty`, `*row`) for as long as it is kept.
template <typename Row>
class Owned {
public:
    /// A deep copy of `row` and of the strings it points at.
    explicit Owned(const Row& row) : row_(&layoutOf<Row>(), &row) {}
    /// Takes over a runtime row of Row's layout.
    explicit Owned(flow::rt::OwnedRow row) : row_(std::move(row)) {}

    const Row& operator*() const { return *static_cast<const Row*>(row_.data()); }
    const Row* operator->() const { return static_cast<const Row*>(row_.data()); }
    /// The row as the runtime holds it (flow/rt/rows.h).
    const flow::rt::OwnedRow& untyped() const { return row_; }

private:
    flow::rt::OwnedRow row_;
};

/// `row` in the compact binary row format the logs store (flow/rt/codec.h).
template <typename Row>
std::string encode(const Row& row) {
    std::string bytes;
    flow::rt::encodeAbiRow(layoutOf<Row>(), &row, bytes);
    return bytes;
}

/// The row `bytes` hold: an error unless they are exactly one row of Row's layout.
template <typename Row>
flow::rt::Result<Owned<Row>> decode(std::string_view bytes) {
    flow::rt::OwnedRow row;
    flow::rt::Status status = flow::rt::decodeAbiRow(plan(), layoutOf<Row>(), bytes, row);
    if (!status) {
        return status;
    }
    return Owned<Row>(std::move(row));
}

/// `row` as a JSON object, as the program's JSON lines write rows (flow/rt/rows.h:
/// timestamps and durations as text, enums by name, absent optionals null).
template <typename Row>
std::string toJson(const Row& row) {
    return flow::rt::rowToJson(plan(), layoutOf<Row>(), &row)
        .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

/// The row a JSON object holds (what toJson writes; timestamps and durations may
/// also be integers, in microseconds). An error for text that is not such an object,
/// an unknown field, a value of the wrong type, or a missing field that is neither
/// optional nor given in `defaults` (Program::fromJson passes the declared ones).
template <typename Row>
flow::rt::Result<Owned<Row>> fromJson(std::string_view json, const Row* defaults = nullptr) {
    nlohmann::json object = nlohmann::json::parse(json, nullptr, false);
    if (object.is_discarded()) {
        return flow::rt::Status::invalid("not a JSON value");
    }
    flow::rt::OwnedRow row;
    flow::rt::Status status =
        flow::rt::jsonToRow(plan(), layoutOf<Row>(), object, defaults, true, row);
    if (!status) {
        return status;
    }
    return Owned<Row>(std::move(row));
}

// The program in this process --------------------------------------------------------

/// The program running in this process: an engine (flow/rt/engine.h) with all its
/// services, over the plan and the kernels. With default options its logs and tables
/// live in memory; options.dataDir keeps them on disk. Call open() first. The
/// functions generated for each module's events, commands, queries, tables and
/// projections (below) take a Program and call it with their ids.
class Program {
public:
    explicit Program(flow::rt::EngineOptions options = {})
        : engine_(plan(), flow_kernels, std::move(options)) {}

    /// Opens the logs and stores, recovering what options.dataDir holds.
    flow::rt::Status open() { return engine_.open(); }

    /// Appends `row` as version `version` (an index into the event's versions) of
    /// event `event`, as if its owner had emitted it, at `time` (UTC microseconds; else
    /// the engine's clock); then processes everything it causes.
    template <typename Row>
    flow::rt::Status ingest(int32_t event, int32_t version, const Row& row,
                            std::optional<int64_t> time) {
        flow::rt::Result<bool> appended = engine_.ingest(
            event, version, flow::rt::OwnedRow(&layoutOf<Row>(), &row), time, std::nullopt);
        if (!appended) {
            return appended.status();
        }
        return engine_.runUntilIdle();
    }

    /// Runs command `command`, then processes everything it causes. The result says
    /// whether it was accepted and what it emitted; an error status means processing
    /// failed.
    template <typename Params>
    flow::rt::Result<flow::rt::CommandResult> command(int32_t command, const Params& params) {
        return this->command(command, params, flow::rt::randomEventId());
    }

    /// The same with the caller's request id: commands are idempotent by it, so a retry
    /// (after a timeout, say) runs nothing and answers `duplicate` with the events the
    /// first run emitted.
    template <typename Params>
    flow::rt::Result<flow::rt::CommandResult> command(int32_t command, const Params& params,
                                                      const flow::rt::EventId& requestId) {
        flow::rt::CommandResult result =
            engine_.command(command, flow::rt::OwnedRow(&layoutOf<Params>(), &params), requestId);
        flow::rt::Status status = engine_.runUntilIdle();
        if (!status) {
            return status;
        }
        return result;
    }

    /// Runs query `query`. A value query gives one row holding the value, a row query
    /// its row or none, a `from` query the rows it selects, in order.
    template <typename Row, typename Params>
    flow::rt::Result<std::vector<Owned<Row>>> query(int32_t query, const Params& params) {
        std::vector<Owned<Row>> rows;
        if (plan().queries[static_cast<std::size_t>(query)].table >= 0) {
            flow::rt::Result<std::vector<flow::rt::OwnedRow>> scanned =
                engine_.scan(query, flow::rt::OwnedRow(&layoutOf<Params>(), &params));
            if (!scanned) {
                return scanned.status();
            }
            for (flow::rt::OwnedRow& row : scanned.value()) {
                rows.emplace_back(std::move(row));
            }
            return rows;
        }
        flow::rt::OwnedRow out(&layoutOf<Row>());
        int32_t status = engine_.query(query, &params, out.data());
        if (status == FLOW_OK) {
            out.adoptStrings();
            rows.emplace_back(std::move(out));
        } else if (status != FLOW_FALSE) {
            return lastError();
        }
        return rows;
    }

    /// The rows of table `table`, in the order of their keys.
    template <typename Row>
    std::vector<Owned<Row>> rows(int32_t table) {
        std::vector<Owned<Row>> out;
        for (auto& entry : engine_.rows(table)) {
            out.emplace_back(std::move(entry.second));
        }
        return out;
    }

    /// The row of table `table` whose key is `key`, or none.
    template <typename Row, typename Key>
    std::optional<Owned<Row>> lookup(int32_t table, const Key& key) {
        const void* row = engine_.lookup(table, &key);
        if (row == nullptr) {
            return std::nullopt;
        }
        return Owned<Row>(flow::rt::OwnedRow(&layoutOf<Row>(), row));
    }

    /// A projection: kernel `where` (-1: none) over `inputs`, and where it holds,
    /// kernel `select` over them and the output row. None where `where` does not hold.
    template <typename Row>
    flow::rt::Result<std::optional<Owned<Row>>> project(int32_t where, int32_t select,
                                                        std::vector<void*> inputs) {
        if (where >= 0) {
            int32_t status = engine_.callKernel(where, inputs.data());
            if (status == FLOW_FALSE) {
                return std::optional<Owned<Row>>();
            }
            if (status != FLOW_OK) {
                return lastError();
            }
        }
        flow::rt::OwnedRow out(&layoutOf<Row>());
        inputs.push_back(out.data());
        if (engine_.callKernel(select, inputs.data()) != FLOW_OK) {
            return lastError();
        }
        out.adoptStrings();
        return std::optional<Owned<Row>>(Owned<Row>(std::move(out)));
    }

    /// fromJson() with the defaults the program declares for Row's fields (`= value`).
    template <typename Row>
    flow::rt::Result<Owned<Row>> fromJson(std::string_view json) {
        flow::rt::OwnedRow defaults(&layoutOf<Row>());
        int32_t kernel = defaultsKernel(Row::kLayout);
        if (kernel >= 0) {
            void* args[] = {defaults.data()};
            if (engine_.callKernel(kernel, args) != FLOW_OK) {
                return lastError();
            }
            defaults.adoptStrings();
        }
        return flow_gen::fromJson<Row>(json, static_cast<const Row*>(defaults.data()));
    }

    flow::rt::Engine& engine() { return engine_; }

private:
    flow::rt::Status lastError() const {
        return flow::rt::Status::failed(engine_.errors().empty() ? std::string("a kernel failed")
                                                                 : engine_.errors().back().message);
    }

    /// The kernel that fills a row of `layout` with its declared defaults, or -1.
    static int32_t defaultsKernel(int32_t layout) {
        for (const flow::rt::plan::Event& event : plan().events) {
            for (const flow::rt::plan::EventVersion& version : event.versions) {
                if (version.layout == layout) {
                    return version.defaults;
                }
            }
        }
        for (const flow::rt::plan::Table& table : plan().tables) {
            if (table.rowLayout == layout) {
                return table.defaults;
            }
        }
        return -1;
    }

    flow::rt::Engine engine_;
};

}  // namespace flow_gen
