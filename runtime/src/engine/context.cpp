// runtime/src/engine/context.cpp - the flowrt_* callbacks kernels call, and row state codecs.
#include "context.h"

#include "flow/rt/stdlib.h"

#include <cstring>

namespace flow::rt::engine {

void Env::bind() {
    if (ids) {
        constexpr auto n = static_cast<std::int64_t>(EventId::kHexSize);
        e.id.toHex(id);
        e.causation.toHex(causation);
        e.correlation.toHex(correlation);
        abi.id = {id, n};
        abi.causation = {causation, n};
        abi.correlation = {correlation, n};
    } else {
        abi.id = abi.causation = abi.correlation = {nullptr, 0};  // no kernel reads them
    }
    abi.time = e.time;
    abi.seq = static_cast<std::int64_t>(e.seq);
    abi.version = e.version;
}

}  // namespace flow::rt::engine

const flow::rt::plan::Program* flow::rt::programOf(FlowCtx* ctx) {
    return &ctx->host->program();
}

namespace flow::rt::ops {

namespace {
const plan::Program* gStatePlan = nullptr;
}

void setStatePlan(const plan::Program* program) {
    gStatePlan = program;
}

void StateCodec<OwnedRow>::put(std::string& out, const OwnedRow& r) {
    if (r.empty()) {
        putVarint(out, 0);
        return;
    }
    putVarint(out, static_cast<std::uint64_t>(r.layout()->id) + 1);
    std::string bytes;
    encodeAbiRow(*r.layout(), r.data(), bytes);
    putBytes(out, bytes);
}

bool StateCodec<OwnedRow>::get(Reader& in, OwnedRow& r) {
    std::uint64_t id = 0;
    if (!in.varint(id)) {
        return false;
    }
    if (id == 0) {
        r = OwnedRow();
        return true;
    }
    std::string_view bytes;
    if (gStatePlan == nullptr || id > gStatePlan->layouts.size() || !in.bytes(bytes)) {
        return false;
    }
    const plan::Layout& l = gStatePlan->layouts[id - 1];
    return decodeAbiRow(*gStatePlan, l, bytes, r).isOk();
}

}  // namespace flow::rt::ops

// ---- The callbacks of abi.h ------------------------------------------------------------

extern "C" {

const void* flowrt_lookup(FlowCtx* ctx, std::int32_t table, const void* key) {
    return ctx->host->lookup(table, key);
}

void flowrt_emit(FlowCtx* ctx, std::int32_t event, const void* row) {
    const flow::rt::plan::Program& p = ctx->host->program();
    const auto& ev = p.events[static_cast<std::size_t>(event)];
    const auto& layout = p.layouts[static_cast<std::size_t>(ev.versions.back().layout)];
    ctx->emitted.emplace_back(event, flow::rt::OwnedRow(&layout, row));
}

void flowrt_reject(FlowCtx* ctx, FlowStr reason) {
    ctx->rejected = true;
    ctx->reason.assign(reason.ptr, static_cast<std::size_t>(reason.len));
}

std::int32_t flowrt_fail(FlowCtx* ctx, std::int32_t code, std::int32_t site) {
    if (ctx->errorCode == 0) {
        ctx->errorCode = code;
        ctx->errorSite = site;
    }
    return FLOW_ERROR;
}

std::int32_t flowrt_query(FlowCtx* ctx, std::int32_t query, const void* params, void* out) {
    return ctx->host->query(ctx, query, params, out);
}

std::int32_t flowrt_row_eq(FlowCtx* ctx, std::int32_t layout, const void* a, const void* b) {
    const flow::rt::plan::Program& p = ctx->host->program();
    return flow::rt::rowsEqual(p.layouts[static_cast<std::size_t>(layout)], a, b) ? 1 : 0;
}

char* flowrt_alloc(FlowCtx* ctx, std::int64_t bytes) {
    ctx->arena.emplace_back(static_cast<std::size_t>(bytes < 0 ? 0 : bytes), '\0');
    return ctx->arena.back().data();
}

}  // extern "C"
