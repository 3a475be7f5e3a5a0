// runtime/src/engine/context.h - what a kernel call carries (FlowCtx) and the engine's
// view of events, envelopes, logs and tables, shared by the engine's sources.
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/engine.h"
#include "flow/rt/event_log.h"
#include "flow/rt/ops/state_codec.h"
#include "flow/rt/ops/window.h"
#include "flow/rt/rows.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace flow::rt::engine {

/// An envelope with the ABI view kernels read (`e.time`, `e.id`, ...).
struct Env {
    Envelope e;
    // The ids as kernels read them: in place, so binding an envelope allocates nothing;
    // formatted only if some kernel of the program reads them (`ids`).
    char id[EventId::kHexSize], causation[EventId::kHexSize], correlation[EventId::kHexSize];
    FlowEnvelope abi{};
    bool ids = true;

    Env() = default;
    Env(const Envelope& env, bool withIds) : e(env), ids(withIds) { bind(); }
    Env(const Env& o) : e(o.e), ids(o.ids) { bind(); }
    Env& operator=(const Env& o) {
        set(o.e, o.ids);
        return *this;
    }
    /// Replaces the envelope (copied or moved), with its ids formatted if `withIds`.
    template <typename E>
    void set(E&& env, bool withIds) {
        e = std::forward<E>(env);
        ids = withIds;
        bind();
    }
    void bind();
};

/// An event on its way through a service: its type, envelope and latest-version row.
struct Live {
    std::int32_t type = -1;
    std::uint64_t seq = 0;
    Env env;
    OwnedRow row;
};

/// The runtime's services, for the callbacks.
class Host {
public:
    virtual ~Host() = default;
    virtual const void* lookup(std::int32_t table, const void* key) = 0;
    virtual std::int32_t query(FlowCtx* ctx, std::int32_t query, const void* params, void* out) = 0;
    virtual const plan::Program& program() const = 0;
};

}  // namespace flow::rt::engine

/// A kernel call's context: strings it allocates, events it emits, a rejection or an
/// error. Reset between calls.
struct FlowCtx {
    flow::rt::engine::Host* host = nullptr;
    std::deque<std::string> arena;
    std::vector<std::pair<std::int32_t, flow::rt::OwnedRow>> emitted;
    bool rejected = false;
    std::string reason;
    std::int32_t errorCode = 0;
    std::int32_t errorSite = -1;

    void reset() {
        arena.clear();
        emitted.clear();
        rejected = false;
        reason.clear();
        errorCode = 0;
        errorSite = -1;
    }
};

namespace flow::rt::ops {

/// Rows in operator state: the layout's id, then the row in the compact format. The
/// layouts come from the program the engine registered (one per process).
void setStatePlan(const plan::Program* program);

template <>
struct StateCodec<OwnedRow> {
    static void put(std::string& out, const OwnedRow& r);
    static bool get(Reader& in, OwnedRow& r);
};

}  // namespace flow::rt::ops
