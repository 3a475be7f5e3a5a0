// runtime/src/engine/engine.cpp - runs a compiled program's services in one process.
#include "flow/rt/engine.h"

#include "../row_access.h"
#include "context.h"
#include "flow/rt/ops/aggregate.h"
#include "flow/rt/ops/join.h"
#include "flow/rt/ops/window.h"
#include "flow/rt/slot_table.h"
#include "flow/rt/state_store.h"
#include "flow/rt/table_codecs.h"
#include "logs.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

namespace flow::rt {

using engine::Cursor;
using engine::Env;
using engine::Live;
using engine::MemoryLog;
using engine::ServiceLog;
using RowChange = ops::Change<OwnedRow, OwnedRow>;

namespace {

// ---- Logs -------------------------------------------------------------------------------

class DiskLog final : public ServiceLog {
public:
    /// Reads the log this process writes: at its end without asking the file system,
    /// and writing out what the writer still buffers before reading it.
    class DiskCursor final : public Cursor {
    public:
        DiskCursor(std::unique_ptr<LogReader> r, FileLog& log) : r_(std::move(r)), log_(log) {}
        Status next(std::string& record, std::uint64_t& seq) override {
            if (r_->position() >= log_.endSeq()) {
                return Status::unavailable(log_.dir() + ": at the end");
            }
            Status st = r_->next(record, seq);
            if (st.code() == StatusCode::Unavailable) {
                FLOW_RT_TRY(log_.commit());
                st = r_->next(record, seq);
            }
            return st;
        }

    private:
        std::unique_ptr<LogReader> r_;
        FileLog& log_;
    };

    DiskLog(std::unique_ptr<FileLog> log, std::string dir, LogTypes types)
        : ServiceLog(std::move(types)), log_(std::move(log)), dir_(std::move(dir)) {}
    Result<std::uint64_t> append(std::string_view record) override { return log_->append(record); }
    Status commit() override { return log_->commit(); }
    Status sync() override { return log_->sync(); }
    std::uint64_t end() const override { return log_->endSeq(); }
    Result<std::unique_ptr<Cursor>> open(std::uint64_t from) override {
        // In-process readers see what is written, not only what is synced: the
        // services of one process share the page cache with the writer.
        FLOW_RT_TRY(log_->commit());
        ReaderOptions ro;
        ro.durableOnly = false;
        auto r = LogReader::open(dir_, from, ro);
        if (!r) {
            return r.status();
        }
        return std::unique_ptr<Cursor>(new DiskCursor(std::move(*r), *log_));
    }

private:
    Status keepTypes(const LogTypes& types) override { return types.save(posixFileSystem(), dir_); }

    std::unique_ptr<FileLog> log_;
    std::string dir_;
};

// ---- Rows and values -----------------------------------------------------------------------

const plan::Layout& layoutOf(const plan::Program& p, std::int32_t id) {
    return p.layouts[static_cast<std::size_t>(id)];
}

/// An int field of an ABI row: false if it is none.
bool intField(const plan::Layout& l, const void* row, std::int32_t field, std::int64_t& out) {
    const plan::Field& f = l.fields[static_cast<std::size_t>(field)];
    const auto* r = static_cast<const std::uint8_t*>(row);
    if (!rowaccess::present(f, r)) {
        return false;
    }
    out = rowaccess::readInt(r + rowaccess::valueOffset(f));
    return true;
}

/// One field of an ABI row as a dynamic Value (what aggregates accumulate).
Value fieldValue(const plan::Layout& l, const void* row, std::int32_t field) {
    const plan::Field& f = l.fields[static_cast<std::size_t>(field)];
    const auto* base = static_cast<const std::uint8_t*>(row) + f.offset;
    const std::uint8_t* v = base;
    if (f.type.optional) {
        if (*base == 0) {
            return Value{};
        }
        v = base + (f.type.scalar == plan::Scalar::Bool ? 1 : 8);
    }
    switch (f.type.scalar) {
    case plan::Scalar::Bool:
        return Value{*v != 0};
    case plan::Scalar::Float: {
        double d = 0;
        std::memcpy(&d, v, 8);
        return Value{d};
    }
    case plan::Scalar::String: {
        FlowStr s;
        std::memcpy(&s, v, sizeof s);
        return Value{std::string(s.ptr, static_cast<std::size_t>(s.len))};
    }
    default: {
        std::int64_t i = 0;
        std::memcpy(&i, v, 8);
        return Value{i};
    }
    }
}

/// Writes a Value into a field of a row; strings point into the Value (adoptStrings next).
void setField(OwnedRow& row, std::int32_t field, const Value& value) {
    const plan::Field& f = row.layout()->fields[static_cast<std::size_t>(field)];
    auto* base = static_cast<std::uint8_t*>(row.data()) + f.offset;
    std::uint8_t* v = base;
    if (f.type.optional) {
        *base = isNone(value) ? 0 : 1;
        v = base + (f.type.scalar == plan::Scalar::Bool ? 1 : 8);
        if (isNone(value)) {
            return;
        }
    }
    switch (f.type.scalar) {
    case plan::Scalar::Bool:
        *v = std::holds_alternative<bool>(value) && asBool(value) ? 1 : 0;
        break;
    case plan::Scalar::Float: {
        double d = std::holds_alternative<double>(value)         ? asFloat(value)
                   : std::holds_alternative<std::int64_t>(value) ? static_cast<double>(asInt(value))
                                                                 : 0.0;
        std::memcpy(v, &d, 8);
        break;
    }
    case plan::Scalar::String: {
        FlowStr s{nullptr, 0};
        if (std::holds_alternative<std::string>(value)) {
            const std::string& str = asString(value);
            s = {str.data(), static_cast<std::int64_t>(str.size())};
        }
        std::memcpy(v, &s, sizeof s);
        break;
    }
    default: {
        std::int64_t i = std::holds_alternative<std::int64_t>(value) ? asInt(value) : 0;
        std::memcpy(v, &i, 8);
        break;
    }
    }
}

/// Copies one field's bytes between rows whose fields have the same type.
void copyField(const plan::Layout& from, const void* src, std::int32_t srcField, OwnedRow& dst,
               std::int32_t dstField) {
    const plan::Field& f = from.fields[static_cast<std::size_t>(srcField)];
    const plan::Field& t = dst.layout()->fields[static_cast<std::size_t>(dstField)];
    std::uint32_t size = f.type.scalar == plan::Scalar::String ? 16
                         : f.type.scalar == plan::Scalar::Bool ? 1
                                                               : 8;
    if (f.type.optional) {
        size += f.type.scalar == plan::Scalar::Bool ? 1 : 8;
    }
    std::memcpy(static_cast<std::uint8_t*>(dst.data()) + t.offset,
                static_cast<const std::uint8_t*>(src) + f.offset, size);
}

/// Events and rows in operator state keep their envelope.
struct EvRow {
    OwnedRow row;
    Envelope env;
    bool operator==(const EvRow& o) const { return row == o.row && env.id == o.env.id; }
};

/// The input of an aggregate: the group key and the aggregate arguments.
struct AggIn {
    OwnedRow key;
    OwnedRow args;
    /// When `args` was not made because every argument is an int field of the event
    /// (AggShape::argsFromEvent): the event's row, and its field for each argument. Only
    /// int aggregates read them (AggSpec::intArg), during the event.
    const OwnedRow* event = nullptr;
    const std::int32_t* eventFields = nullptr;
    bool operator==(const AggIn& o) const { return key == o.key && args == o.args; }
};

std::string runtimeErrorText(std::int32_t code) {
    switch (code) {
    case FLOW_ERR_OVERFLOW:
        return "int overflow";
    case FLOW_ERR_DIV_ZERO:
        return "division by zero";
    case FLOW_ERR_RANGE:
        return "value out of range";
    case FLOW_ERR_ENUM:
        return "invalid enum value";
    default:
        return "runtime error";
    }
}

}  // namespace

namespace ops {

template <>
struct StateCodec<EvRow> {
    static void put(std::string& out, const EvRow& r) {
        StateCodec<OwnedRow>::put(out, r.row);
        // Kept away from its log, the envelope names its type (format 2).
        Envelope named = r.env;
        named.typeNumber = 0;
        std::string env;
        encodeEnvelope(named, "", env);
        putBytes(out, env);
    }
    static bool get(Reader& in, EvRow& r) {
        std::string_view env, payload;
        return StateCodec<OwnedRow>::get(in, r.row) && in.bytes(env) &&
               decodeEnvelope(env, r.env, payload).isOk();
    }
};

template <>
struct StateCodec<AggIn> {
    static void put(std::string& out, const AggIn& a) {
        StateCodec<OwnedRow>::put(out, a.key);
        StateCodec<OwnedRow>::put(out, a.args);
    }
    static bool get(Reader& in, AggIn& a) {
        return StateCodec<OwnedRow>::get(in, a.key) && StateCodec<OwnedRow>::get(in, a.args);
    }
};

}  // namespace ops

// ---- The engine's state ------------------------------------------------------------------------

/// A set of request ids, on a SlotTable: a key's slot is where its hash says, so the
/// slot `prefetch` fetches is the one an insertion writes, and the set grows in place in
/// the address space reserved for it (only its new half is fresh memory).
class RequestIds {
public:
    /// True if `id` was not in the set; it is now.
    bool insert(const EventId& id) { return ids_.tryEmplace(id).second; }
    /// The same for an id whose hash prefetch returned.
    bool insertHashed(const EventId& id, std::size_t hash) {
        return ids_.tryEmplaceHashed(id, hash).second;
    }
    bool contains(const EventId& id) const { return ids_.find(id) != nullptr; }
    void erase(const EventId& id) { ids_.erase(id); }
    /// Fetches where insert(id) will look; returns the id's hash, for insertHashed.
    std::size_t prefetch(const EventId& id) const {
        const std::size_t hash = ids_.hashOf(id);
        ids_.prefetchHashed(hash);
        return hash;
    }

private:
    struct None {};
    SlotTable<EventId, None> ids_;
};

struct Engine::Impl final : engine::Host {
    /// The requests already in the logs: the ids of input events and of accepted
    /// commands (every event of depth 0 or 1 carries its request's id as correlation).
    /// Read from the logs on first use, then kept up to date, so ingest and command are
    /// idempotent by id without reading the logs again.
    RequestIds requests;
    bool requestsLoaded = false;

    Status loadRequests() {
        if (requestsLoaded) {
            return Status::ok();
        }
        for (ServiceRt& s : services) {
            FLOW_RT_TRY(forEachRecord(*s.log, 0, [&](const std::string& rec, std::uint64_t) {
                Envelope have;
                std::string_view payload;
                if (decodeEnvelope(rec, have, payload, &s.log->types()).isOk() && have.depth <= 1) {
                    requests.insert(have.correlation);
                }
                return Status::ok();
            }));
        }
        requestsLoaded = true;
        return Status::ok();
    }

    /// Calls fn(record, seq) for each record of `log` from `from` on, until fn fails.
    template <typename F>
    static Status forEachRecord(ServiceLog& log, std::uint64_t from, F&& fn) {
        auto cur = log.open(from);
        if (!cur) {
            return cur.status();
        }
        std::string rec;
        std::uint64_t seq = 0;
        while ((*cur)->next(rec, seq).isOk()) {
            FLOW_RT_TRY(fn(rec, seq));
        }
        return Status::ok();
    }

    struct TableRt {
        const plan::Table* plan = nullptr;
        StateTable<OwnedRow, OwnedRow>* rows = nullptr;  // all but windowed views
        StateTable<ops::Windowed<OwnedRow>, OwnedRow>* windowed = nullptr;  // windowed views
        std::vector<std::function<void(const RowChange&)>> dependents;
        OwnedRow scratch;  // lookups
        // A grouped view whose rows are projected when read (instead of `rows`).
        ops::ProjectedAggregate<OwnedRow, AggIn, OwnedRow>* projected = nullptr;
    };

    /// An event this engine appended to a log, kept decoded until every input reading
    /// that log has passed it: consumers in this process take it as is instead of copying
    /// the record and decoding it again. Only latest-version rows are kept (older ones
    /// go through the upcasts in `decode`); after a restart the logs are read as usual.
    struct Handoff {
        std::uint64_t seq = 0;
        std::int32_t type = -1;
        Envelope env;
        OwnedRow row;
    };

    /// The hand-offs of one log, oldest first, in a ring of slots reused as events come
    /// and go (a std::deque of them allocated and freed a block every two events). Growing
    /// moves them: hold a seq, not a reference, across an append.
    class HandoffQueue {
    public:
        bool empty() const { return size_ == 0; }
        std::size_t size() const { return size_; }
        Handoff& operator[](std::size_t i) { return slots_[(head_ + i) & (slots_.size() - 1)]; }
        Handoff& front() { return (*this)[0]; }
        Handoff& back() { return (*this)[size_ - 1]; }
        /// A slot at the back, holding whatever it held before: the caller sets it all.
        Handoff& push() {
            if (size_ == slots_.size()) {
                grow();
            }
            ++size_;
            return back();
        }
        void popFront() {
            head_ = (head_ + 1) & (slots_.size() - 1);
            --size_;
        }
        /// Gives back the slot last pushed (its contents stay, as any free slot's).
        void popBack() { --size_; }
        void clear() { head_ = size_ = 0; }

    private:
        void grow() {
            std::vector<Handoff> bigger(std::max<std::size_t>(16, slots_.size() * 2));
            for (std::size_t i = 0; i < size_; ++i) {
                bigger[i] = std::move((*this)[i]);
            }
            slots_.swap(bigger);
            head_ = 0;
        }
        std::vector<Handoff> slots_;  // a power of two
        std::size_t head_ = 0, size_ = 0;
    };

    struct Input {
        std::int32_t owner = -1;  // the service whose log this is
        std::unique_ptr<Cursor> cursor;
        std::uint64_t cursorAt = 0;  // the seq `cursor` reads next
        std::uint64_t position = 0;  // the next seq not yet processed
        bool hasHead = false;
        std::string record;
        std::uint64_t seq = 0;
        Envelope env;
        std::int32_t type = -1;
        std::int32_t version = -1;
        bool handedOff = false;  // the head is in its log's hand-off queue, decoded
    };

    struct AggShape;
    /// A grouped view that reads an event alone (consumeIntsByFields), as ingest calls it.
    struct DirectAgg {
        const plan::Derived* d = nullptr;
        const AggShape* shape = nullptr;
        std::shared_ptr<ops::ProjectedAggregate<OwnedRow, AggIn, OwnedRow>> op;
        std::shared_ptr<AggIn> in;
    };

    struct ServiceRt {
        const plan::Service* plan = nullptr;
        std::int32_t id = -1;
        std::unique_ptr<ServiceLog> log;
        /// By event type: its number in the log's dictionary, 0 until first written.
        std::vector<std::uint32_t> typeNumbers;
        std::unique_ptr<Store> store;
        std::vector<Input> inputs;
        std::map<std::int32_t, std::vector<std::function<void(Live&)>>> consumers;
        /// By event type (empty if none): what fetches the state an event will touch
        /// into the cache before it is admitted, so that those misses overlap the id
        /// set's (Engine::ingest). They change nothing.
        std::vector<std::vector<std::function<void(const Live&)>>> prefetchers;
        std::vector<std::int32_t> consumedTypes;
        /// Event types consumed by a grouped view whose change to its table is its last
        /// step and cannot fail (ProjectedAggregate), with that table.
        std::map<std::int32_t, std::int32_t> atomicConsumers;
        /// Event types that need no undo journal (set in open()): their one consumer is
        /// atomic, and its table has no dependents whose handlers could fail after it.
        /// Such an event either fails before any table changes, or succeeds.
        std::vector<bool> undoFree;
        /// By event type: the grouped view that reads the event alone
        /// (consumeIntsByFields), registered as the type's consumer, and set in `direct`
        /// (in open()) when it is the type's one consumer and prefetcher and needs no
        /// journal: ingest then hands it the event itself (Engine::ingest).
        std::map<std::int32_t, DirectAgg> intsConsumers;
        std::vector<const DirectAgg*> direct;
        std::uint64_t outputPos = 0;
        absl::flat_hash_map<EventId, std::uint64_t> replayed;  // emitted after the checkpoint
        std::uint32_t emitIndex = 0;
        const Live* cause = nullptr;
        std::uint64_t sinceCheckpoint = 0;
        std::vector<std::function<void(std::int64_t)>> timeListeners;
        std::vector<std::function<std::uint64_t()>> lateCounters;
        std::vector<std::shared_ptr<void>> operators;
        /// While an event is processed, what it emits waits here: appended when the
        /// event succeeds, dropped when it fails.
        struct Pending {
            std::int32_t type;
            OwnedRow row;
            Envelope env;
        };
        std::vector<Pending> pending;
        bool holdEmits = false;
        /// What was appended to this service's log, decoded, for the inputs reading it:
        /// by seq, consecutive.
        HandoffQueue handoff;
        std::vector<Input*> readerInputs;  // the inputs reading this log (set in open())
        std::size_t readers() const { return readerInputs.size(); }
        Live live;  // the event being processed (process)
    };

    Impl(Engine& e) : engine(e), p(e.program_) {}

    Engine& engine;
    const plan::Program& p;
    std::vector<TableRt> tables;
    std::vector<ServiceRt> services;
    std::map<std::string, std::int32_t> eventByName;
    std::vector<bool> consumed;  // by event type: some service consumes it
    std::uint64_t ingest = 0;
    FlowCtx ctx;
    bool readsIds = true;       // some kernel reads an event's id, causation or correlation
    bool probeInPlace = false;  // the store's find never keeps a copy of the key
    FlowCtx readCtx;  // pure kernels run on a read (ProjectedAggregate), maybe inside another
    bool stopped = false;
    bool inEvent = false;        // an input event is being processed
    bool runningDirect = false;  // ...one that Engine::ingest processes, its prefetchers run
    bool eventFailed = false;    // a runtime error while processing it

    const plan::Program& program() const override { return p; }

    // ---- Kernels ----------------------------------------------------------------------------

    std::int32_t call(std::int32_t kernel, void** args, bool reset = true) {
        return callIn(ctx, kernel, args, reset);
    }
    std::int32_t callIn(FlowCtx& c, std::int32_t kernel, void** args, bool reset = true) {
        if (reset) {
            c.reset();
        }
        c.host = this;
        return engine.kernels_[static_cast<std::size_t>(kernel)](&c, args);
    }

    void report(std::int32_t code, std::int32_t site) {
        if (inEvent && eventFailed) {
            return;  // the event has failed already: its first error says why
        }
        RuntimeError err;
        err.code = code;
        err.message = runtimeErrorText(code);
        if (site >= 0 && static_cast<std::size_t>(site) < p.sites.size()) {
            const plan::Site& s = p.sites[static_cast<std::size_t>(site)];
            err.message += " in " + s.service + ": " + s.where + " (" + s.file + ":" +
                           std::to_string(s.line) + ")";
        }
        engine.errors_.push_back(err);
        eventFailed = true;
        if (engine.options_.onError == OnError::Stop) {
            stopped = true;
        }
    }

    /// A row of `layout` with every field at its default (the layout's defaults kernel).
    OwnedRow defaults(std::int32_t layout, std::int32_t defaultsKernel) {
        OwnedRow row(&layoutOf(p, layout));
        if (defaultsKernel >= 0) {
            void* args[] = {row.data()};
            call(defaultsKernel, args);
            row.adoptStrings();
        }
        return row;
    }

    // ---- Lookups --------------------------------------------------------------------------

    const void* lookup(std::int32_t table, const void* key) override {
        TableRt& t = tables[static_cast<std::size_t>(table)];
        const plan::Layout& kl = layoutOf(p, t.plan->keyLayout);
        if (t.windowed != nullptr) {
            ops::Windowed<OwnedRow> wk;
            std::size_t groupFields = kl.fields.size() - 1;
            wk.key = OwnedRow(&layoutOf(p, groupLayoutOf(table)));
            for (std::size_t i = 0; i < groupFields; ++i) {
                copyField(kl, key, static_cast<std::int32_t>(i), wk.key,
                          static_cast<std::int32_t>(i));
            }
            wk.key.adoptStrings();
            std::memcpy(&wk.start, static_cast<const std::uint8_t*>(key) + kl.fields.back().offset,
                        8);
            const OwnedRow* r = t.windowed->find(wk);
            return r != nullptr ? r->data() : nullptr;
        }
        if (t.scratch.layout() != &kl) {
            t.scratch = OwnedRow(&kl);
        }
        t.scratch.assign(key);
        const OwnedRow* r =
            t.projected != nullptr ? t.projected->find(t.scratch) : t.rows->find(t.scratch);
        return r != nullptr ? r->data() : nullptr;
    }

    /// What `probe` found: a stored row, or (read through `lookup`) the bytes of one.
    struct Probed {
        const OwnedRow* row = nullptr;
        const void* data = nullptr;
    };
    /// The row of `table` under `key`, a key a kernel just wrote: probed as it is when it
    /// has the table's key layout (its strings still in the kernel's arena), else copied.
    /// `hash`: if not null, what the table's prefetch(key) returned.
    Probed probe(std::int32_t table, OwnedRow& key, const std::size_t* hash = nullptr) {
        TableRt& t = tables[static_cast<std::size_t>(table)];
        if (probeInPlace && t.rows != nullptr && t.windowed == nullptr &&
            key.layout() == &layoutOf(p, t.plan->keyLayout)) {
            return Probed{hash != nullptr ? t.rows->findHashed(key, *hash) : t.rows->find(key),
                          nullptr};
        }
        key.adoptStrings();
        return Probed{nullptr, lookup(table, key.data())};
    }

    /// A windowed table's key as one row of its key layout: the group key, then the start.
    OwnedRow windowedKey(std::int32_t table, const ops::Windowed<OwnedRow>& k) const {
        const plan::Layout& kl =
            layoutOf(p, tables[static_cast<std::size_t>(table)].plan->keyLayout);
        OwnedRow key(&kl);
        for (std::size_t i = 0; i + 1 < kl.fields.size(); ++i) {
            copyField(*k.key.layout(), k.key.data(), static_cast<std::int32_t>(i), key,
                      static_cast<std::int32_t>(i));
        }
        setField(key, static_cast<std::int32_t>(kl.fields.size() - 1), Value{k.start});
        key.adoptStrings();
        return key;
    }

    std::map<std::int32_t, std::int32_t> groupLayouts;  // windowed table -> its group key layout
    std::int32_t groupLayoutOf(std::int32_t table) const { return groupLayouts.at(table); }

    std::int32_t query(FlowCtx* c, std::int32_t q, const void* params, void* out) override {
        const plan::Query& qu = p.queries[static_cast<std::size_t>(q)];
        (void)c;
        if (qu.kernel >= 0) {
            void* args[] = {const_cast<void*>(params), out};
            return engine.kernels_[static_cast<std::size_t>(qu.kernel)](&ctx, args);
        }
        return scanQuery(qu, params, out);
    }

    /// A scan query called from a kernel (a test's `Q(args)[i]` or `len(Q(args))`): the
    /// compiler calls a companion of the `from` query whose result type says which. An
    /// optional row: the row at the index, the parameters' last field (FLOW_FALSE past
    /// the end); an int: the number of rows. The caller's context is not reset: its
    /// strings stay alive, and the row's strings are copied into its arena.
    std::int32_t scanQuery(const plan::Query& qu, const void* params, void* out) {
        std::vector<OwnedRow> rows;
        if (!scan(qu, params, false, rows)) {
            return FLOW_ERROR;
        }
        if (!qu.resultType.row) {
            auto n = static_cast<std::int64_t>(rows.size());
            const plan::Layout& rl = layoutOf(p, qu.result);
            std::memcpy(static_cast<std::uint8_t*>(out) + rl.fields[0].offset, &n, 8);
            return FLOW_OK;
        }
        const plan::Layout& pl = layoutOf(p, qu.params);
        std::int64_t index = -1;
        std::memcpy(&index, static_cast<const std::uint8_t*>(params) + pl.fields.back().offset, 8);
        if (index < 0 || static_cast<std::uint64_t>(index) >= rows.size()) {
            return FLOW_FALSE;
        }
        const OwnedRow& row = rows[static_cast<std::size_t>(index)];
        const plan::Layout& l = *row.layout();
        std::memcpy(out, row.data(), l.size);
        for (const plan::Field& f : l.fields) {
            if (f.type.scalar != plan::Scalar::String) {
                continue;
            }
            auto* at = static_cast<std::uint8_t*>(out) + f.offset;
            if (f.type.optional) {
                if (*at == 0) {
                    continue;
                }
                at += 8;
            }
            FlowStr str;
            std::memcpy(&str, at, sizeof str);
            if (str.len > 0) {
                char* copy = flowrt_alloc(&ctx, str.len);
                std::memcpy(copy, str.ptr, static_cast<std::size_t>(str.len));
                str.ptr = copy;
                std::memcpy(at, &str, sizeof str);
            }
        }
        return FLOW_OK;
    }

    /// The rows of scan query `qu` for `params`, in its order and up to its limit. False
    /// on a runtime error in one of its kernels (reported).
    bool scan(const plan::Query& qu, const void* params, bool reset, std::vector<OwnedRow>& out);

    // ---- Emitting -------------------------------------------------------------------------

    /// A log record (envelope, then the row), in a buffer reused from call to call: valid
    /// until the next call.
    std::string_view encodeRecord(const Envelope& e, const OwnedRow& row) {
        const RowWriter* writer = rowWriter(*row.layout());
        const std::size_t bound =
            envelopeBound(e) + (writer != nullptr ? writer->bound(row.data())
                                                  : abiRowBound(*row.layout(), row.data()));
        if (bound > recordCapacity) {
            recordCapacity = std::max(bound, 2 * recordCapacity);
            recordBuffer.reset(new char[recordCapacity]);  // (not zeroed: only written)
        }
        char* at = writeEnvelope(recordBuffer.get(), e);
        char* end = writer != nullptr ? writer->write(at, row.data())
                                      : writeAbiRow(at, *row.layout(), row.data());
        return {recordBuffer.get(), static_cast<std::size_t>(end - recordBuffer.get())};
    }
    std::unique_ptr<char[]> recordBuffer;
    std::size_t recordCapacity = 0;

    /// The writer of rows of `layout`, made on first use; null if the layout is not one
    /// of the program's.
    const RowWriter* rowWriter(const plan::Layout& layout) {
        const auto i = static_cast<std::size_t>(layout.id);
        if (i >= p.layouts.size() || &p.layouts[i] != &layout) {
            return nullptr;
        }
        if (i >= rowWriters.size()) {
            rowWriters.resize(p.layouts.size());
        }
        if (rowWriters[i] == nullptr) {
            rowWriters[i] = std::make_unique<RowWriter>(layout);
        }
        return rowWriters[i].get();
    }
    std::vector<std::unique_ptr<RowWriter>> rowWriters;  // by layout id

    /// Appends an event to the service's log, unless a replay regenerates one that is
    /// already there (same deterministic id): then only the output position moves.
    void emit(ServiceRt& s, std::int32_t type, OwnedRow row, Envelope e) {
        if (s.holdEmits) {
            s.pending.push_back({type, std::move(row), std::move(e)});
            return;
        }
        if (!s.replayed.empty()) {
            auto found = s.replayed.find(e.id);
            if (found != s.replayed.end()) {
                s.outputPos = std::max(s.outputPos, found->second + 1);
                return;
            }
        }
        const plan::Event& ev = p.events[static_cast<std::size_t>(type)];
        auto number = typeNumber(s, type);
        e.seq = s.log->end();
        e.type = ev.name;
        e.version = static_cast<std::uint32_t>(ev.versions.back().version);
        if (number) {
            e.typeNumber = *number;
        }
        auto seq =
            number ? s.log->append(encodeRecord(e, row)) : Result<std::uint64_t>(number.status());
        if (!seq) {
            engine.errors_.push_back(
                {"cannot append to the log of " + s.plan->name + ": " + seq.status().toString(),
                 0});
            stopped = true;
            return;
        }
        s.outputPos = *seq + 1;
        handOff(s, *seq, type, e, row);
        EventRecord rec;
        rec.type = type;
        rec.service = s.id;
        rec.seq = *seq;
        rec.envelope = std::move(e);
        rec.row = std::move(row);
        engine.emitted_.push_back(std::move(rec));
    }

    /// The envelope of the next event emitted while processing the current cause.
    Envelope derivedEnvelope(ServiceRt& s) {
        const Envelope& c = s.cause->env.e;
        Envelope e;
        e.id = deriveEventId(c.id, s.plan->name, s.emitIndex++);
        e.causation = c.id;
        e.correlation = c.correlation;
        e.time = c.time;
        e.ingest = c.ingest;
        e.depth = c.depth + 1;
        return e;
    }

    void emitCaptured(ServiceRt& s) {
        auto emitted = std::move(ctx.emitted);
        ctx.emitted.clear();
        for (auto& [type, row] : emitted) {
            row.adoptStrings();
            emit(s, type, std::move(row), derivedEnvelope(s));
        }
    }

    // ---- Tables and their changes -----------------------------------------------------------

    void propagate(std::int32_t table, const RowChange& change) {
        for (auto& dep : tables[static_cast<std::size_t>(table)].dependents) {
            dep(change);
        }
    }

    void applyHandler(ServiceRt& /*s*/, const plan::Handler& h, Live& ev) {
        TableRt& t = tables[static_cast<std::size_t>(h.table)];
        const plan::Event& evDef = p.events[static_cast<std::size_t>(h.event)];
        OwnedRow key(&layoutOf(p, t.plan->keyLayout));
        if (h.key >= 0) {
            void* args[] = {ev.row.data(), &ev.env.abi, key.data()};
            if (call(h.key, args) == FLOW_ERROR) {
                report(ctx.errorCode, ctx.errorSite);
                return;
            }
            key.adoptStrings();
        } else {
            copyField(*ev.row.layout(), ev.row.data(), evDef.keyField, key, 0);
            key.adoptStrings();
        }
        // The old row is kept for a change record only when a view reads this table.
        const bool watched = !t.dependents.empty();
        const OwnedRow* found = t.rows->find(key);
        std::optional<OwnedRow> before;
        OwnedRow row;
        if (found != nullptr) {
            if (watched) {
                before = *found;
            }
            row = *found;
        } else {
            row = defaults(t.plan->rowLayout, t.plan->defaults);
            for (std::size_t i = 0; i < t.plan->keyInRow.size(); ++i) {
                copyField(*key.layout(), key.data(), static_cast<std::int32_t>(i), row,
                          t.plan->keyInRow[i]);
            }
            row.adoptStrings();
        }
        void* args[] = {ev.row.data(), &ev.env.abi, row.data()};
        std::int32_t rc = call(h.kernel, args);
        if (rc == FLOW_ERROR) {
            report(ctx.errorCode, ctx.errorSite);
            return;
        }
        row.adoptStrings();
        if (!watched) {
            if (rc == FLOW_DELETE) {
                t.rows->erase(key);
            } else {
                t.rows->upsert(key) = std::move(row);
            }
            return;
        }
        RowChange change{key, before, std::nullopt};
        if (rc == FLOW_DELETE) {
            if (!before) {
                return;
            }
            t.rows->erase(key);
        } else {
            if (before && *before == row) {
                return;
            }
            t.rows->upsert(key) = row;
            change.after = std::move(row);
        }
        propagate(h.table, change);
    }

    // ---- Derived streams and views ----------------------------------------------------------

    /// Whether a prefetcher computed the key its consumer looks up (a group key in the
    /// consumer's input, consumeGrouped; a join's key, JoinAhead), and its hash.
    struct GroupAhead {
        std::uint64_t stamp = 0;  // the input it is for (directStamp); 0: none
        std::size_t hash = 0;     // the key's in the table it looks up (StateTable::prefetch)
    };
    /// The key of a view's first join (a table), computed by its prefetcher.
    struct JoinAhead : GroupAhead {
        OwnedRow key;
        /// Set when the join's key only copies fields of the event (of layout
        /// `fields.from()`), each into a key field of the same type. The row is then found
        /// by them (FieldsOf) in `memory`, the joined table in memory.
        KeyFields fields;
        const StateTable<OwnedRow, OwnedRow>* memoryOf = nullptr;  // the table `memory` is
        MemoryTable<OwnedRow, OwnedRow>* memory = nullptr;
        bool byFields = false;  // this event's hash is of the fields (not of `key`)
    };

    /// The rows of one match of a query's sources (null: a left join's missing right).
    struct Tuple {
        absl::InlinedVector<const OwnedRow*, 4> rows;
        absl::InlinedVector<const FlowEnvelope*, 4> envs;
        std::vector<OwnedRow> keep;  // rows looked up, owned while the tuple lives

        /// The tuple of an event alone, before any join.
        static Tuple of(const Live& ev) {
            Tuple t;
            t.rows.push_back(&ev.row);
            t.envs.push_back(&ev.env.abi);
            return t;
        }
    };

    /// Arguments of a kernel over the first `count` sources, then `extra`.
    static absl::InlinedVector<void*, 8> sourceArgs(const plan::Derived& d, const Tuple& t,
                                                    std::size_t count,
                                                    std::initializer_list<void*> extra) {
        absl::InlinedVector<void*, 8> args;
        for (std::size_t i = 0; i < count; ++i) {
            args.push_back(t.rows[i] != nullptr ? const_cast<void*>(t.rows[i]->data()) : nullptr);
            if (d.sources[i].kind == plan::SourceKind::Event) {
                args.push_back(const_cast<FlowEnvelope*>(t.envs[i]));
            }
        }
        for (void* e : extra) {
            args.push_back(e);
        }
        return args;
    }

    /// Extends a tuple through the table joins; false when an inner join finds nothing.
    /// `ahead`: the first join's key, if its prefetcher computed it (addJoinedPrefetcher).
    bool joinTables(const plan::Derived& d, Tuple& t, JoinAhead* ahead = nullptr) {
        return d.joins.empty() || joinEach(d, t, ahead);
    }
    bool joinEach(const plan::Derived& d, Tuple& t, JoinAhead* ahead) {
        // (Asked whether the key is pure or not: it is taken for this event only.)
        const bool firstReady =
            keyAhead(ahead) && p.kernels[static_cast<std::size_t>(d.joins[0].leftKey)].pure;
        for (std::size_t j = 0; j < d.joins.size(); ++j) {
            const plan::Join& jn = d.joins[j];
            if (jn.source.kind != plan::SourceKind::Table) {
                continue;
            }
            Probed found;
            if (j == 0 && firstReady && ahead->byFields) {
                // The row is found by the event's fields (t.rows[0], of the layout they
                // were hashed from: the same event).
                const FieldsOf k{ahead->fields, t.rows[0]->data()};
                found.row = ahead->memory->findWith(ahead->hash, [&](const OwnedRow& key) {
                    return rowEqualsFieldsOf(key.data(), k);
                });
            } else if (j == 0 && firstReady) {
                found = probe(jn.source.id, ahead->key, &ahead->hash);
            } else {
                const plan::Layout* keyLayout = &layoutOf(p, jn.keyLayout);
                OwnedRow key;
                if (!copyInto(jn.leftKey, t, j + 1, keyLayout, key)) {
                    key.reset(keyLayout);
                    auto args = sourceArgs(d, t, j + 1, {key.data()});
                    if (call(jn.leftKey, args.data()) == FLOW_ERROR) {
                        report(ctx.errorCode, ctx.errorSite);
                        return false;
                    }
                }
                found = probe(jn.source.id, key);
            }
            if (found.row == nullptr && found.data == nullptr && jn.kind == plan::JoinKind::Inner) {
                return false;
            }
            if (found.row != nullptr) {
                t.rows.push_back(found.row);  // a stored row: nothing changes it until we are done
            } else if (found.data != nullptr) {
                t.keep.reserve(d.joins.size());
                t.keep.emplace_back(
                    &layoutOf(p, tables[static_cast<std::size_t>(jn.source.id)].plan->rowLayout),
                    found.data);
                t.rows.push_back(&t.keep.back());
            } else {
                t.rows.push_back(nullptr);
            }
            t.envs.push_back(nullptr);
        }
        return true;
    }

    bool passes(const plan::Derived& d, const Tuple& t) {
        if (d.where < 0) {
            return true;
        }
        auto args = sourceArgs(d, t, d.sources.size(), {});
        std::int32_t rc = call(d.where, args.data());
        if (rc == FLOW_ERROR) {
            report(ctx.errorCode, ctx.errorSite);
            return false;
        }
        return rc == FLOW_OK;
    }

    /// A kernel that only copies fields (plan::Kernel::copies), as the engine runs it:
    /// which source of a Tuple each field comes from. Empty `steps` for other kernels.
    struct CopyPlan {
        struct Step {
            std::size_t source;        // in Tuple::rows
            const plan::Layout* from;  // that row's layout
            std::int32_t field;        // in `from`
            std::int32_t to;           // in `out`
        };
        std::vector<Step> steps;
        const plan::Layout* out = nullptr;
    };
    std::vector<CopyPlan> copyPlans;  // by kernel

    void planCopies() {
        copyPlans.assign(p.kernels.size(), CopyPlan{});
        for (const plan::Kernel& k : p.kernels) {
            if (k.copies.empty()) {
                continue;
            }
            CopyPlan& cp = copyPlans[static_cast<std::size_t>(k.id)];
            for (const plan::KernelArg& a : k.args) {
                if (a.writable) {
                    cp.out = &layoutOf(p, a.layout);
                }
            }
            for (const plan::FieldCopy& c : k.copies) {
                // Kernels over a tuple take each source's row, then its envelope if an
                // event's (sourceArgs): the rows before the argument say which source.
                std::size_t source = 0;
                for (std::int32_t a = 0; a < c.arg; ++a) {
                    source += k.args[static_cast<std::size_t>(a)].envelope ? 0 : 1;
                }
                cp.steps.push_back({source,
                                    &layoutOf(p, k.args[static_cast<std::size_t>(c.arg)].layout),
                                    c.field, c.out});
            }
        }
    }

    /// Runs copy kernel `kernel` over `t`'s first `sources` sources into `out` (of
    /// `layout`) by copying its fields; false, with nothing done, if it is not one or the
    /// tuple is not what it copies from (the kernel is called then).
    bool copyInto(std::int32_t kernel, const Tuple& t, std::size_t sources,
                  const plan::Layout* layout, OwnedRow& out) {
        if (kernel < 0 || static_cast<std::size_t>(kernel) >= copyPlans.size()) {
            return false;
        }
        const CopyPlan& cp = copyPlans[static_cast<std::size_t>(kernel)];
        if (cp.steps.empty() || cp.out != layout) {
            return false;
        }
        absl::InlinedVector<OwnedRow::FieldFrom, 4> from;
        for (const CopyPlan::Step& step : cp.steps) {
            const OwnedRow* row = step.source < sources && step.source < t.rows.size()
                                      ? t.rows[step.source]
                                      : nullptr;
            if (row == nullptr || row == &out || row->layout() != step.from) {
                return false;
            }
            from.push_back({row, step.field, step.to});
        }
        out.assignFields(layout, from);
        return true;
    }

    /// Runs `kernel` over `t`'s first `sources` sources into `out`, reset to `layout`;
    /// false if it fails (the runtime error not reported).
    bool kernelInto(const plan::Derived& d, const Tuple& t, std::size_t sources,
                    std::int32_t kernel, const plan::Layout* layout, OwnedRow& out) {
        if (copyInto(kernel, t, sources, layout, out)) {
            return true;
        }
        out.reset(layout);
        auto args = sourceArgs(d, t, sources, {out.data()});
        if (call(kernel, args.data()) == FLOW_ERROR) {
            return false;
        }
        out.adoptStrings();
        return true;
    }

    /// The same over all of `t`'s sources; false, with the runtime error reported, if it
    /// fails.
    bool callInto(const plan::Derived& d, const Tuple& t, std::int32_t kernel,
                  const plan::Layout* layout, OwnedRow& out) {
        if (!kernelInto(d, t, d.sources.size(), kernel, layout, out)) {
            report(ctx.errorCode, ctx.errorSite);
            return false;
        }
        return true;
    }

    std::optional<OwnedRow> project(const plan::Derived& d, const Tuple& t, std::int32_t layout) {
        OwnedRow out;
        if (!callInto(d, t, d.project, &layoutOf(p, layout), out)) {
            return std::nullopt;
        }
        return out;
    }

    /// The layouts a grouped view's rows go through, found once (per event they were
    /// map lookups), and the empty window row of a view without windows.
    struct AggShape {
        const plan::Layout* key = nullptr;
        const plan::Layout* args = nullptr;
        const plan::Layout* aggs = nullptr;
        const plan::Layout* target = nullptr;
        std::int32_t window = -1;
        OwnedRow noWindow;
        JoinAhead* joinAhead = nullptr;  // the first join's key, from its prefetcher
        /// Set when the arguments kernel only copies int fields of the event (source 0,
        /// of layout `argsEvent`): by argument, the event's field (-1: not an argument).
        /// Int aggregates can then read the event instead of a row of arguments.
        std::vector<std::int32_t> argsFromEvent;
        const plan::Layout* argsEvent = nullptr;
        /// Set when the group key kernel copies every key field from a field of the same
        /// type of the event (of layout `keyFromEvent.from()`).
        KeyFields keyFromEvent;
        /// Set (planIntsFromEvent) when the view has no join and no filter, its key is
        /// found by the event's fields (keyFromEvent), and every aggregate is a count or
        /// reads an int field of that event: consumeIntsByFields then reads the event
        /// alone. By aggregate, the event's field it reads (null: a count).
        bool intsFromEvent = false;
        std::vector<const plan::Field*> intArgs;
    };
    std::map<const plan::Derived*, AggShape> aggShapes;
    const AggShape& aggShape(const plan::Derived& d) const { return aggShapes.at(&d); }

    /// A grouped view's input from one event of its source: joined, filtered, then its
    /// group key and aggregate arguments, written into `in` (its rows' memory is reused);
    /// false when it does not pass or a kernel failed. `onKey(key)` runs as soon as the
    /// key is known.
    /// `keyReady`: `in.key` is the group key already (a prefetcher computed it).
    template <typename OnKey>
    bool aggInputOf(const plan::Derived& d, Live& ev, AggIn& in, OnKey&& onKey,
                    bool keyReady = false, bool intsOnly = false) {
        Tuple t = Tuple::of(ev);
        return joinTables(d, t, aggShape(d).joinAhead) && passes(d, t) &&
               aggInputInto(d, t, in, onKey, keyReady, intsOnly);
    }

    std::optional<AggIn> aggInput(const plan::Derived& d, const Tuple& t) {
        std::optional<AggIn> in(std::in_place);
        if (!aggInputInto(d, t, *in, [](const OwnedRow&) {})) {
            return std::nullopt;
        }
        return in;
    }

    /// `intsOnly`: the arguments are read only by int aggregates (AggSpec::intArg), which
    /// can read them from the event (AggIn::event) instead of a row made for them.
    template <typename OnKey>
    bool aggInputInto(const plan::Derived& d, const Tuple& t, AggIn& in, OnKey&& onKey,
                      bool keyReady = false, bool intsOnly = false) {
        const AggShape& shape = aggShape(d);
        if (!keyReady && !callInto(d, t, d.groupKey, shape.key, in.key)) {
            return false;
        }
        onKey(std::as_const(in.key));
        in.event = nullptr;
        if (intsOnly && shape.argsEvent != nullptr && !t.rows.empty() && t.rows[0] != nullptr &&
            t.rows[0]->layout() == shape.argsEvent) {
            in.event = t.rows[0];
            in.eventFields = shape.argsFromEvent.data();
            return true;
        }
        return callInto(d, t, d.aggArgs, shape.args, in.args);
    }

    std::vector<ops::AggSpec<AggIn>> aggSpecs(const plan::Derived& d) {
        std::vector<ops::AggSpec<AggIn>> specs;
        for (const plan::Aggregate& a : d.aggregates) {
            ops::AggSpec<AggIn> s;
            s.kind = static_cast<ops::AggKind>(a.kind);
            std::int32_t field = a.argField;
            if (field >= 0) {
                s.arg = [field](const AggIn& in) {
                    return fieldValue(*in.args.layout(), in.args.data(), field);
                };
                const plan::Field& f = aggShape(d).args->fields[static_cast<std::size_t>(field)];
                if (f.type.scalar == plan::Scalar::Int) {
                    s.intField = field;
                    s.intArg = [](const AggIn& in, std::int32_t at, std::int64_t& out) {
                        if (in.event != nullptr) {
                            return intField(*in.event->layout(), in.event->data(),
                                            in.eventFields[at], out);
                        }
                        return intField(*in.args.layout(), in.args.data(), at, out);
                    };
                }
            } else {
                s.arg = [](const AggIn&) {
                    return Value{std::int64_t{1}};
                };
            }
            specs.push_back(std::move(s));
        }
        return specs;
    }

    /// The view row of a group from its key, its aggregates' values and its window.
    /// `in`: the kernel's context (a pure one may run inside another kernel's call).
    OwnedRow aggregateRow(const plan::Derived& d, const AggShape& shape, const OwnedRow& key,
                          std::span<const Value> values, const ops::WindowBounds* window,
                          FlowCtx& in) {
        OwnedRow aggs(shape.aggs);
        for (std::size_t i = 0; i < values.size() && i < aggs.layout()->fields.size(); ++i) {
            setField(aggs, static_cast<std::int32_t>(i), values[i]);
        }
        aggs.adoptStrings();
        std::optional<OwnedRow> win;
        if (window != nullptr) {
            win.emplace(&layoutOf(p, shape.window));
            setField(*win, 0, Value{window->start});
            setField(*win, 1, Value{window->end});
        }
        OwnedRow out(shape.target);
        void* args[] = {const_cast<void*>(key.data()), aggs.data(),
                        const_cast<void*>(win ? win->data() : shape.noWindow.data()), out.data()};
        if (callIn(in, d.project, args) == FLOW_ERROR) {
            report(in.errorCode, in.errorSite);
        }
        out.adoptStrings();
        return out;
    }

    void setUpDerived(ServiceRt& s, const plan::Derived& d);

    /// When `kernel` only copies fields of the event `d` reads (its source 0, no join)
    /// into a row of layout `out`: by field of `out`, the event's field it copies (-1:
    /// none), and the event's layout. Else ({}, null).
    /// `sources`: how many of the tuple's rows the kernel reads (a join's key reads the
    /// event alone, 1; the group key and arguments read every source, and a view with a
    /// join has more than the event).
    std::pair<std::vector<std::int32_t>, const plan::Layout*>
    copiedFromEvent(const plan::Derived& d, std::int32_t kernel, const plan::Layout* out,
                    std::size_t sources = 0) const {
        if ((sources != 1 && !d.joins.empty()) || d.sources.empty() ||
            d.sources[0].kind != plan::SourceKind::Event || kernel < 0 ||
            static_cast<std::size_t>(kernel) >= copyPlans.size()) {
            return {};
        }
        const CopyPlan& cp = copyPlans[static_cast<std::size_t>(kernel)];
        if (cp.steps.empty() || cp.out != out) {
            return {};
        }
        std::vector<std::int32_t> from(out->fields.size(), -1);
        const plan::Layout* event = cp.steps.front().from;
        for (const CopyPlan::Step& step : cp.steps) {
            if (step.source != 0 || step.from != event) {
                return {};
            }
            from[static_cast<std::size_t>(step.to)] = step.field;
        }
        return {std::move(from), event};
    }

    /// Sets shape.argsFromEvent when d's arguments kernel copies, into every argument an
    /// aggregate reads, an int field of the event it reads (its source 0, no join).
    void planArgsFromEvent(const plan::Derived& d, AggShape& shape) {
        auto [from, event] = copiedFromEvent(d, d.aggArgs, shape.args);
        if (event == nullptr) {
            return;
        }
        for (const plan::Aggregate& a : d.aggregates) {
            if (a.argField < 0) {
                continue;
            }
            const auto at = static_cast<std::size_t>(a.argField);
            if (from[at] < 0 || shape.args->fields[at].type.scalar != plan::Scalar::Int) {
                return;
            }
        }
        shape.argsFromEvent = std::move(from);
        shape.argsEvent = event;
    }

    /// Sets shape.keyFromEvent when d's group key kernel copies every field of the key
    /// from a field of the same type of the event it reads: its groups can then be found
    /// by the event's fields (FieldsOf), without a key row.
    void planKeyFromEvent(const plan::Derived& d, AggShape& shape) {
        auto [from, event] = copiedFromEvent(d, d.groupKey, shape.key);
        if (event == nullptr || !sameTypes(from, *event, *shape.key)) {
            return;
        }
        shape.keyFromEvent = KeyFields(*shape.key, *event, from);
    }

    /// Sets shape.intsFromEvent (after planArgsFromEvent and planKeyFromEvent) when an
    /// event's group and its aggregates' arguments are all fields of it, with nothing
    /// between the event and the aggregate.
    void planIntsFromEvent(const plan::Derived& d, AggShape& shape) {
        if (!d.joins.empty() || d.where >= 0 || shape.keyFromEvent.empty()) {
            return;
        }
        std::vector<const plan::Field*> args;
        for (const plan::Aggregate& a : d.aggregates) {
            if (a.argField < 0) {
                if (a.kind != plan::AggKind::Count) {
                    return;
                }
                args.push_back(nullptr);
                continue;
            }
            if (shape.argsEvent != shape.keyFromEvent.from()) {
                return;
            }
            const std::int32_t field = shape.argsFromEvent[static_cast<std::size_t>(a.argField)];
            args.push_back(&shape.keyFromEvent.from()->fields[static_cast<std::size_t>(field)]);
        }
        shape.intArgs = std::move(args);
        shape.intsFromEvent = true;
    }

    /// Whether every field of `key` is copied (`from`, copiedFromEvent's) from a field of
    /// `event` of the same type, optional or not alike: FieldsOf can then describe it.
    static bool sameTypes(const std::vector<std::int32_t>& from, const plan::Layout& event,
                          const plan::Layout& key) {
        for (std::size_t i = 0; i < from.size(); ++i) {
            if (from[i] < 0) {
                return false;
            }
            const plan::Type& a = event.fields[static_cast<std::size_t>(from[i])].type;
            const plan::Type& b = key.fields[i].type;
            if (a.scalar != b.scalar || a.optional != b.optional) {
                return false;
            }
        }
        return true;
    }

    /// Counts the inputs Engine::ingest processes itself (never 0 for one).
    std::uint64_t directStamp = 0;
    std::map<const plan::Derived*, std::shared_ptr<JoinAhead>> joinAheads;

    /// Computes `ev`'s group key into `key` (the consumer's input) and fetches the slot
    /// of its group in `op` (a failed kernel fetches nothing: the consumer reports it).
    /// (Not inlined: profiles show it on its own, see bench/flow/perf_breakdown.py.)
    template <typename Op>
    [[gnu::noinline]] void prefetchGroup(const plan::Derived& d, const Live& ev, GroupAhead& ahead,
                                         OwnedRow& key, Op& op) {
        ahead.stamp = 0;
        if (kernelInto(d, Tuple::of(ev), d.sources.size(), d.groupKey, aggShape(d).key, key)) {
            ahead.hash = op.prefetch(key);
            ahead.stamp = directStamp;  // the consumer takes it for this event only
        }
    }

    /// In memory, a prefetcher of the row of the first joined table an event will look
    /// up (from the join's key alone).
    void addJoinedPrefetcher(ServiceRt& s, const plan::Derived& d) {
        const plan::Join& jn = d.joins[0];
        if (!probeInPlace || jn.source.kind != plan::SourceKind::Table) {
            return;
        }
        TableRt& t = tables[static_cast<std::size_t>(jn.source.id)];
        const plan::Layout* keyLayout = &layoutOf(p, jn.keyLayout);
        if (keyLayout != &layoutOf(p, t.plan->keyLayout)) {
            return;
        }
        auto ahead = std::make_shared<JoinAhead>();
        joinAheads[&d] = ahead;
        if (auto [from, event] = copiedFromEvent(d, jn.leftKey, keyLayout, 1);
            event != nullptr && sameTypes(from, *event, *keyLayout)) {
            ahead->fields = KeyFields(*keyLayout, *event, from);
        }
        prefetchersOf(s, d.sources[0].id)
            .push_back([this, &d, &t, keyLayout, ahead](const Live& ev) {
                prefetchJoined(d, ev, t, keyLayout, *ahead);
            });
    }

    /// Fetches the slot of the row of `t` that `ev` joins first (d.joins[0]), and keeps
    /// the key for the join (joinEach).
    [[gnu::noinline]] void prefetchJoined(const plan::Derived& d, const Live& ev, TableRt& t,
                                          const plan::Layout* keyLayout, JoinAhead& ahead) {
        ahead.stamp = 0;
        ahead.byFields = false;
        if (t.rows == nullptr || t.windowed != nullptr) {
            return;
        }
        if (ahead.memoryOf != t.rows) {
            ahead.memoryOf = t.rows;
            ahead.memory = dynamic_cast<MemoryTable<OwnedRow, OwnedRow>*>(t.rows);
        }
        if (!ahead.fields.empty() && ahead.memory != nullptr &&
            ev.row.layout() == ahead.fields.from()) {
            ahead.hash = tableHashOf(hashFieldsOf(FieldsOf{ahead.fields, ev.row.data()}));
            ahead.memory->prefetchHashed(ahead.hash);
            ahead.byFields = true;
            ahead.stamp = directStamp;  // the join takes it for this event only
            return;
        }
        if (kernelInto(d, Tuple::of(ev), 1, d.joins[0].leftKey, keyLayout, ahead.key)) {
            ahead.hash = t.rows->prefetch(ahead.key);
            ahead.stamp = directStamp;  // the join takes it for this event only
        }
    }

    /// The first join's key as its prefetcher left it, or null if `d` has no prefetcher.
    JoinAhead* joinAheadOf(const plan::Derived& d) {
        auto found = joinAheads.find(&d);
        return found != joinAheads.end() ? found->second.get() : nullptr;
    }

    /// Whether a prefetcher computed the key of the event being processed. Asked once
    /// per event: a key computed is taken at most once.
    bool keyAhead(GroupAhead* ahead) {
        if (ahead == nullptr) {
            return false;
        }
        const bool ready = runningDirect && ahead->stamp == directStamp;
        ahead->stamp = 0;
        return ready;
    }

    using ProjectedOp = ops::ProjectedAggregate<OwnedRow, AggIn, OwnedRow>;

    /// The group key of `ev` as fields of it (AggShape::keyFromEvent), or null when `ev`
    /// is not of the layout the key copies from.
    static std::optional<FieldsOf> keyFields(const AggShape& shape, const OwnedRow& row) {
        if (row.layout() != shape.keyFromEvent.from()) {
            return std::nullopt;
        }
        return FieldsOf{shape.keyFromEvent, row.data()};
    }

    /// prefetchGroup of a key found by the event's fields: no key row is made.
    [[gnu::noinline]] void prefetchByFields(const AggShape& shape, const Live& ev,
                                            GroupAhead& ahead, ProjectedOp& op) {
        ahead.stamp = 0;
        if (auto k = keyFields(shape, ev.row)) {
            ahead.hash = tableHashOf(hashFieldsOf(*k));
            op.prefetchHashed(ahead.hash);
            ahead.stamp = directStamp;  // the consumer takes it for this event only
        }
    }

    /// consumeGrouped's consumer of a view whose groups are found by the event's fields
    /// (AggShape::keyFromEvent).
    void consumeByFields(const plan::Derived& d, Live& ev, AggIn& in, GroupAhead& ahead,
                         ProjectedOp& op, std::int32_t target) {
        const AggShape& shape = aggShape(d);
        const bool hashReady = keyAhead(&ahead);
        // (Events are read in their latest version, the one the key copies from: a row of
        // another layout would take the kernel's way.)
        std::optional<FieldsOf> k = keyFields(shape, ev.row);
        const bool changes = !tables[static_cast<std::size_t>(target)].dependents.empty();
        // Counts and int sums nobody watches read their arguments in the event.
        const bool intsOnly = !changes && op.ints();
        if (!aggInputOf(
                d, ev, in, [](const OwnedRow&) {}, k.has_value(), intsOnly)) {
            return;
        }
        ops::Changes<OwnedRow, OwnedRow> out;
        bool added = false;
        if (!k) {
            added = op.insert(in, in.key, out, changes);
        } else {
            const std::size_t hash = hashReady ? ahead.hash : tableHashOf(hashFieldsOf(*k));
            added = op.insertWith(
                in, hash, [&](const OwnedRow& key) { return rowEqualsFieldsOf(key.data(), *k); },
                [&]() -> const OwnedRow& { return newGroupKey(d, shape, ev, in); }, out, changes);
        }
        finishGrouped(d, target, in, added, out);
    }

    /// The key of a new group found by the event's fields, made in `in.key` by the key
    /// kernel's copies: they apply, the event being of the layout they read from
    /// (keyFields).
    const OwnedRow& newGroupKey(const plan::Derived& d, const AggShape& shape, const Live& ev,
                                AggIn& in) {
        copyInto(d.groupKey, Tuple::of(ev), d.sources.size(), shape.key, in.key);
        return in.key;
    }

    /// consumeByFields of a view whose aggregates read the event alone
    /// (AggShape::intsFromEvent, and the operator's ints()): nothing is made for its
    /// arguments, and no change while nobody watches the view. Else (the view has
    /// dependents, or the event is of another layout) as consumeByFields.
    void consumeIntsByFields(const plan::Derived& d, const AggShape& shape, Live& ev, AggIn& in,
                             GroupAhead& ahead, ProjectedOp& op, std::int32_t target) {
        if (ev.row.layout() != shape.keyFromEvent.from() ||
            !tables[static_cast<std::size_t>(target)].dependents.empty()) {
            consumeByFields(d, ev, in, ahead, op, target);
            return;
        }
        const bool hashReady = keyAhead(&ahead);
        const std::size_t hash =
            hashReady ? ahead.hash
                      : tableHashOf(hashFieldsOf(FieldsOf{shape.keyFromEvent, ev.row.data()}));
        addInts(d, shape, ev.row, hash, op,
                [&]() -> const OwnedRow& { return newGroupKey(d, shape, ev, in); });
    }

    /// consumeIntsByFields's work, on an event `row` of the layout its key is read from,
    /// whose group the table hashes as `hash`; `make()` makes a new group's key.
    template <typename Make>
    void addInts(const plan::Derived& d, const AggShape& shape, const OwnedRow& event,
                 std::size_t hash, ProjectedOp& op, Make&& make) {
        const FieldsOf k{shape.keyFromEvent, event.data()};
        const auto* row = static_cast<const std::uint8_t*>(event.data());
        const bool added = op.insertIntsWith(
            hash, [&](const OwnedRow& key) { return rowEqualsFieldsOf(key.data(), k); },
            std::forward<Make>(make),
            [&](std::size_t i, std::int64_t& v) {
                const plan::Field& f = *shape.intArgs[i];
                if (!rowaccess::present(f, row)) {
                    return false;
                }
                v = rowaccess::readInt(row + rowaccess::valueOffset(f));
                return true;
            });
        if (!added) {
            report(FLOW_ERR_OVERFLOW, d.site);
        }
    }

    /// What run(s, live) does for an event whose one consumer is `a` (ServiceRt::direct),
    /// with the event's row in `row` rather than in `live` (whose type, sequence number
    /// and envelope are the event's): its group, which the table hashes as `hash`, found
    /// by the row's fields (the row is of the layout they are read from). Nothing else
    /// runs, nothing is emitted, and no journal is needed: the view changes nothing when
    /// it fails.
    void runDirect(ServiceRt& s, Live& live, const DirectAgg& a, const OwnedRow& row,
                   std::size_t hash) {
        beginEvent(s, live);
        addInts(*a.d, *a.shape, row, hash, *a.op, [&]() -> const OwnedRow& {
            live.row = row;  // (a new group: its key is made from the event, as run's)
            return newGroupKey(*a.d, *a.shape, live, *a.in);
        });
        endEvent(s);
    }

    /// The view `s` hands an event of `type` straight to (ServiceRt::direct), if the
    /// event's row, `row`, gives that view's group key.
    static const DirectAgg* directFor(const ServiceRt& s, std::int32_t type, const OwnedRow& row) {
        const DirectAgg* d = s.direct[static_cast<std::size_t>(type)];
        return d != nullptr && row.layout() == d->shape->keyFromEvent.from() ? d : nullptr;
    }
    /// The hash of `row`'s group in `d`'s table (as runDirect takes it), its slot fetched.
    static std::size_t fetchGroup(const DirectAgg& d, const OwnedRow& row) {
        const std::size_t hash =
            tableHashOf(hashFieldsOf(FieldsOf{d.shape->keyFromEvent, row.data()}));
        d.op->prefetchHashed(hash);
        return hash;
    }

    /// After a grouped view's insert: the overflow it refused reported, or its changes
    /// passed on.
    void finishGrouped(const plan::Derived& d, std::int32_t target, AggIn& in, bool added,
                       const ops::Changes<OwnedRow, OwnedRow>& out) {
        in.event = nullptr;
        if (!added) {
            report(FLOW_ERR_OVERFLOW, d.site);
            return;
        }
        for (const RowChange& c : out) {
            propagate(target, c);
        }
    }

    std::vector<std::function<void(const Live&)>>& prefetchersOf(ServiceRt& s, std::int32_t type) {
        if (s.prefetchers.size() <= static_cast<std::size_t>(type)) {
            s.prefetchers.resize(p.events.size());
        }
        return s.prefetchers[static_cast<std::size_t>(type)];
    }

    /// Feeds a grouped view over events (StreamAggregate or ProjectedAggregate) its
    /// source's events, and its dependents its changes.
    template <typename Op>
    void consumeGrouped(ServiceRt& s, const plan::Derived& d, std::shared_ptr<Op> op) {
        std::int32_t target = d.target;
        if constexpr (std::is_same_v<Op, ProjectedOp>) {
            // Its insert fails before it changes anything, and without dependents
            // (`changes` false) nothing runs after it.
            s.atomicConsumers.emplace(d.sources[0].id, target);
        }
        // The input's rows are reused from event to event (a consumer is never re-entered).
        auto in = std::make_shared<AggIn>();
        std::shared_ptr<GroupAhead> groupAhead;
        if constexpr (std::is_same_v<Op, ProjectedOp>) {
            // A key that only copies fields of the event: groups are found by those fields
            // (FieldsOf), and a key row is made only for a new group.
            if (!aggShape(d).keyFromEvent.empty() && op->inMemory()) {
                groupAhead = std::make_shared<GroupAhead>();
                const AggShape* shape = &aggShape(d);
                prefetchersOf(s, d.sources[0].id)
                    .push_back([this, shape, op, groupAhead](const Live& ev) {
                        prefetchByFields(*shape, ev, *groupAhead, *op);
                    });
                if (shape->intsFromEvent && op->ints()) {
                    s.intsConsumers[d.sources[0].id] = DirectAgg{&d, shape, op, in};
                    s.consumers[d.sources[0].id].push_back(
                        [this, &d, shape, op, target, in, groupAhead](Live& ev) {
                            consumeIntsByFields(d, *shape, ev, *in, *groupAhead, *op, target);
                        });
                    return;
                }
                s.consumers[d.sources[0].id].push_back(
                    [this, &d, op, target, in, groupAhead](Live& ev) {
                        consumeByFields(d, ev, *in, *groupAhead, *op, target);
                    });
                return;
            }
        }
        if (d.joins.empty() && probeInPlace) {
            // In memory, the group's slot, from the key alone (a failed kernel fetches nothing: the
            // consumer reports it).
            groupAhead = std::make_shared<GroupAhead>();
            prefetchersOf(s, d.sources[0].id)
                .push_back([this, &d, op, groupAhead, in](const Live& ev) {
                    prefetchGroup(d, ev, *groupAhead, in->key, *op);
                });
        }
        // A pure key (it reads no table) is the same when the consumer runs: taken as is.
        const bool pureKey = p.kernels[static_cast<std::size_t>(d.groupKey)].pure;
        s.consumers[d.sources[0].id].push_back(
            [this, &d, op, target, in, groupAhead, pureKey](Live& ev) {
                // Fetched already, and its key computed, if the event came straight from ingest
                // (and its prefetchers).
                bool fetched = groupAhead != nullptr && runningDirect;
                // (Asked whether the key is pure or not: it is taken for this event only.)
                bool keyReady = keyAhead(groupAhead.get()) && pureKey;
                const bool changes = !tables[static_cast<std::size_t>(target)].dependents.empty();
                // Counts and int sums nobody watches read their arguments in the event.
                bool intsOnly = false;
                if constexpr (std::is_same_v<Op, ProjectedOp>) {
                    intsOnly = !changes && op->ints();
                }
                if (!aggInputOf(
                        d, ev, *in,
                        [&](const OwnedRow& k) {
                            if (!fetched) {
                                op->prefetch(k);
                            }
                        },
                        keyReady, intsOnly)) {
                    return;
                }
                ops::Changes<OwnedRow, OwnedRow> out;
                const bool added =
                    op->insert(*in, in->key, out, changes, keyReady ? &groupAhead->hash : nullptr);
                finishGrouped(d, target, *in, added, out);
            });
    }
    void setUpStreamStreamJoin(ServiceRt& s, const plan::Derived& d);

    // ---- Processing ------------------------------------------------------------------------

    Status decode(const Input& in, Live& ev) {
        if (in.handedOff) {
            Handoff* h = handoffAt(in.owner, in.seq);
            if (h == nullptr) {
                // peek found it there, and nothing below the inputs' positions is dropped.
                return Status::failed("the decoded event at seq " + std::to_string(in.seq) +
                                      " is gone");
            }
            ev.type = in.type;
            ev.seq = in.seq;
            if (services[static_cast<std::size_t>(in.owner)].readers() == 1) {
                // Its only reader: nobody needs the event after.
                ev.env.set(std::move(h->env), readsIds);
                ev.row = std::move(h->row);
            } else {
                ev.env.set(h->env, readsIds);
                ev.row = h->row;
            }
            return Status::ok();
        }
        const plan::Event& def = p.events[static_cast<std::size_t>(in.type)];
        Envelope env;
        std::string_view payload;
        FLOW_RT_TRY(decodeEnvelope(in.record, env, payload, &logTypes(in.owner)));
        std::size_t vi = static_cast<std::size_t>(in.version);
        OwnedRow row;
        FLOW_RT_TRY(decodeAbiRow(p, layoutOf(p, def.versions[vi].layout), payload, row));
        // Old versions are read through the upcasts, one step at a time.
        for (std::size_t v = vi + 1; v < def.versions.size(); ++v) {
            OwnedRow next = defaults(def.versions[v].layout, def.versions[v].defaults);
            void* args[] = {row.data(), next.data()};
            if (call(def.versions[v].upcast, args) == FLOW_ERROR) {
                report(ctx.errorCode, ctx.errorSite);
                return Status::invalid("upcast failed");
            }
            next.adoptStrings();
            row = std::move(next);
        }
        ev.type = in.type;
        ev.seq = in.seq;
        ev.env.set(std::move(env), readsIds);
        ev.row = std::move(row);
        return Status::ok();
    }

    /// The dictionary of types of `owner`'s log.
    const LogTypes& logTypes(std::int32_t owner) const {
        return services[static_cast<std::size_t>(owner)].log->types();
    }

    /// The number `s`'s log names events of `type` by, added to its dictionary on first use.
    Result<std::uint32_t> typeNumber(ServiceRt& s, std::int32_t type) {
        if (std::uint32_t n = s.typeNumbers[static_cast<std::size_t>(type)]; n != 0) {
            return n;
        }
        return addTypeNumber(s, type);
    }
    [[gnu::noinline]] Result<std::uint32_t> addTypeNumber(ServiceRt& s, std::int32_t type) {
        auto added = s.log->typeNumber(p.events[static_cast<std::size_t>(type)].name);
        if (added) {
            s.typeNumbers[static_cast<std::size_t>(type)] = *added;
        }
        return added;
    }

    /// The decoded event at `seq` of `owner`'s log, if it is still kept.
    Handoff* handoffAt(std::int32_t owner, std::uint64_t seq) {
        HandoffQueue& q = services[static_cast<std::size_t>(owner)].handoff;
        if (q.empty() || seq < q.front().seq || seq - q.front().seq >= q.size()) {
            return nullptr;
        }
        return &q[static_cast<std::size_t>(seq - q.front().seq)];
    }

    /// Keeps an event just appended at `seq` of `owner`'s log for its readers. An rvalue
    /// `env` or `row` is moved into the hand-off, and only when the event is kept.
    template <typename E, typename R>
    void handOff(ServiceRt& owner, std::uint64_t seq, std::int32_t type, E&& env, R&& row) {
        if (owner.readers() == 0) {
            return;
        }
        if (!consumed[static_cast<std::size_t>(type)]) {
            // No service consumes it: a reader that has read all before it passes it now,
            // the others only need to know to pass it by.
            bool behind = false;
            for (Input* in : owner.readerInputs) {
                if (in->position == seq && !in->hasHead) {
                    in->position = seq + 1;
                } else {
                    behind = true;
                }
            }
            if (behind) {
                pushHandoff(owner, seq, -1);  // the slot's old envelope and row stay unread
            }
            return;
        }
        Handoff& h = pushHandoff(owner, seq, type);
        h.env = std::forward<E>(env);
        h.row = std::forward<R>(row);
    }

    /// Whether an event of `type` appended to `owner`'s log is kept decoded (handOff).
    bool keeps(const ServiceRt& owner, std::int32_t type) const {
        return owner.readers() > 0 && consumed[static_cast<std::size_t>(type)];
    }

    /// A slot at the back of `owner`'s hand-offs for the event at `seq`, for the caller to
    /// fill with its envelope and row (its old ones are still there).
    Handoff& pushHandoff(ServiceRt& owner, std::uint64_t seq, std::int32_t type) {
        if (!owner.handoff.empty() && owner.handoff.back().seq + 1 != seq) {
            owner.handoff.clear();  // a gap: what came before is read from the log
        }
        Handoff& h = owner.handoff.push();
        h.seq = seq;
        h.type = type;
        return h;
    }

    /// Whether no input has anything left to read: every event appended so far is
    /// processed.
    bool idle() const {
        for (const ServiceRt& s : services) {
            for (const Input& in : s.inputs) {
                if (in.hasHead ||
                    in.position < services[static_cast<std::size_t>(in.owner)].log->end()) {
                    return false;
                }
            }
        }
        return true;
    }

    /// The service reading events of a type, and its input, when it is the only input
    /// reading its owner's log and it consumes the type (open()); else none.
    struct SoleReader {
        std::int32_t service = -1;
        std::int32_t input = -1;
    };
    std::vector<SoleReader> soleReaders;  // by event type

    /// Drops the decoded events every input has read.
    void trimHandoffs() {
        for (ServiceRt& owner : services) {
            if (owner.handoff.empty()) {
                continue;
            }
            std::uint64_t low = owner.handoff.back().seq + 1;
            for (const ServiceRt& s : services) {
                for (const Input& in : s.inputs) {
                    if (in.owner == owner.id) {
                        low = std::min(low, in.position);
                    }
                }
            }
            while (!owner.handoff.empty() && owner.handoff.front().seq < low) {
                owner.handoff.popFront();
            }
        }
    }

    /// Fills `in`'s head with its next consumed event; false at the end.
    bool peek(ServiceRt& s, Input& in) {
        while (!in.hasHead) {
            if (Handoff* h = handoffAt(in.owner, in.position)) {
                // Taken from the hand-off, the event is not read: the cursor stays where
                // it is, behind, until the log must be read again.
                in.seq = h->seq;
                if (std::find(s.consumedTypes.begin(), s.consumedTypes.end(), h->type) ==
                    s.consumedTypes.end()) {
                    in.position = in.seq + 1;
                    continue;
                }
                // The wave order needs these two; decode takes the rest from `h`.
                in.env.ingest = h->env.ingest;
                in.env.depth = h->env.depth;
                in.type = h->type;
                in.version = static_cast<std::int32_t>(
                    p.events[static_cast<std::size_t>(h->type)].versions.size() - 1);
                in.handedOff = true;
                in.hasHead = true;
                continue;
            }
            in.handedOff = false;
            ServiceLog& log = *services[static_cast<std::size_t>(in.owner)].log;
            if (in.position >= log.end()) {
                return false;  // nothing new
            }
            if (in.cursorAt != in.position) {
                // Behind after events from the hand-off (or ahead, never): one seek.
                auto cur = log.open(in.position);
                if (!cur) {
                    engine.errors_.push_back(
                        {s.plan->name + ": cannot read its input: " + cur.status().toString(), 0});
                    stopped = true;
                    return false;
                }
                in.cursor = std::move(*cur);
                in.cursorAt = in.position;
            }
            Status st = in.cursor->next(in.record, in.seq);
            if (!st) {
                if (st.code() != StatusCode::Unavailable) {
                    engine.errors_.push_back(
                        {s.plan->name + ": cannot read its input: " + st.toString(), 0});
                    stopped = true;
                }
                return false;
            }
            in.cursorAt = in.seq + 1;
            std::string_view payload;
            if (Status bad = decodeEnvelope(in.record, in.env, payload, &logTypes(in.owner));
                !bad) {
                engine.errors_.push_back({s.plan->name + ": a corrupt record in its input at seq " +
                                              std::to_string(in.seq) + ": " + bad.message(),
                                          0});
                stopped = true;
                return false;
            }
            auto it = eventByName.find(in.env.type);
            bool wanted = false;
            if (it != eventByName.end() && std::find(s.consumedTypes.begin(), s.consumedTypes.end(),
                                                     it->second) != s.consumedTypes.end()) {
                const plan::Event& def = p.events[static_cast<std::size_t>(it->second)];
                for (std::size_t v = 0; v < def.versions.size(); ++v) {
                    if (def.versions[v].version == static_cast<std::int32_t>(in.env.version)) {
                        in.type = it->second;
                        in.version = static_cast<std::int32_t>(v);
                        wanted = true;
                    }
                }
            }
            if (!wanted) {
                in.position = in.seq + 1;
                continue;
            }
            in.hasHead = true;
        }
        return true;
    }

    void process(ServiceRt& s, Input& in) {
        // One event at a time per service: its Live is reused (no envelope and row built
        // and destroyed per event).
        Live& ev = s.live;
        Status st = decode(in, ev);
        in.hasHead = false;
        in.handedOff = false;
        in.position = in.seq + 1;
        if (!st) {
            if (st.message() != "upcast failed") {
                engine.errors_.push_back({s.plan->name + ": cannot read " + in.env.type +
                                              " at seq " + std::to_string(in.seq) + ": " +
                                              st.toString(),
                                          0});
            } else {
                ++engine.failed_;  // the upcast's runtime error is reported
            }
            return;
        }
        run(s, ev);
    }

    /// Processes `ev`, decoded, in `s`: its consumers, all or nothing, then what it emitted.
    void run(ServiceRt& s, Live& ev) {
        beginEvent(s, ev);
        // One event is all or nothing: a runtime error anywhere in its processing undoes
        // its changes to every table of the service and drops what it emitted. An event
        // whose processing cannot fail after a change needs no journal.
        const bool journal = !s.undoFree[static_cast<std::size_t>(ev.type)];
        if (journal) {
            s.store->beginUndo();
        }
        s.holdEmits = true;
        auto it = s.consumers.find(ev.type);
        if (it != s.consumers.end()) {
            for (auto& fn : it->second) {
                fn(ev);
                if (eventFailed) {
                    break;
                }
            }
        }
        s.holdEmits = false;
        if (eventFailed) {
            if (journal) {
                s.store->rollback();
            }
            s.pending.clear();
        } else {
            if (journal) {
                s.store->keep();
            }
            for (ServiceRt::Pending& e : s.pending) {
                emit(s, e.type, std::move(e.row), std::move(e.env));
            }
            s.pending.clear();
        }
        endEvent(s);
    }

    /// What every processed event starts and ends with (run, runDirect): its cause for
    /// what it emits, and the counts.
    void beginEvent(ServiceRt& s, const Live& ev) {
        s.cause = &ev;
        s.emitIndex = 0;
        inEvent = true;
        eventFailed = false;
    }
    void endEvent(ServiceRt& s) {
        if (eventFailed) {
            ++engine.failed_;
        }
        inEvent = false;
        s.cause = nullptr;
        ++engine.processed_;
        ++s.sinceCheckpoint;
    }

    Status runUntilIdle() {
        for (;;) {
            if (stopped) {
                return Status::failed("stopped after a runtime error");
            }
            // The next wave: the smallest (ingest, depth) waiting anywhere.
            bool any = false;
            std::pair<std::uint64_t, std::uint32_t> wave{0, 0};
            for (ServiceRt& s : services) {
                for (Input& in : s.inputs) {
                    if (peek(s, in)) {
                        std::pair<std::uint64_t, std::uint32_t> k{in.env.ingest, in.env.depth};
                        if (!any || k < wave) {
                            wave = k;
                            any = true;
                        }
                    }
                }
            }
            if (!any) {
                break;
            }
            for (ServiceRt& s : services) {
                for (Input& in : s.inputs) {
                    while (!stopped && peek(s, in) && in.env.ingest == wave.first &&
                           in.env.depth == wave.second) {
                        process(s, in);
                    }
                }
            }
        }
        trimHandoffs();
        for (ServiceRt& s : services) {
            FLOW_RT_TRY(s.log->commit());
            // In memory (no data directory) there is nothing to make durable.
            if (!engine.options_.dataDir.empty() &&
                (s.sinceCheckpoint >= engine.options_.checkpointEvery ||
                 s.store->wantsCheckpoint())) {
                FLOW_RT_TRY(checkpoint(s));
            }
        }
        return Status::ok();
    }

    // ---- Checkpoints -----------------------------------------------------------------------

    Status checkpoint(ServiceRt& s) {
        FLOW_RT_TRY(s.log->sync());
        std::string meta;
        putFixed32(meta, static_cast<std::uint32_t>(s.inputs.size()));
        for (const Input& in : s.inputs) {
            putBytes(meta, p.services[static_cast<std::size_t>(in.owner)].name);
            putFixed64(meta, in.position);
        }
        putFixed64(meta, s.outputPos);
        FLOW_RT_TRY(s.store->checkpoint(meta));
        s.sinceCheckpoint = 0;
        return Status::ok();
    }

    Status open();
    void setUpService(ServiceRt& s);
    /// The events of `s`'s log that `want`, read and decoded from the log.
    Status eventsOf(ServiceRt& s, const std::function<bool(const Envelope&)>& want,
                    std::vector<EventRecord>& out);
};

// ---- Setting up the dataflow --------------------------------------------------------------------

void Engine::Impl::setUpService(ServiceRt& s) {
    const plan::Service& sp = *s.plan;
    // Fold tables: state under the table's own name.
    for (std::int32_t tid : sp.tables) {
        TableRt& t = tables[static_cast<std::size_t>(tid)];
        if (!t.plan->view) {
            t.rows = &ops::stateTable<OwnedRow, OwnedRow>(*s.store, t.plan->name);
        }
    }
    for (const plan::Handler& h : sp.handlers) {
        s.consumers[h.event].push_back([this, &s, &h](Live& ev) { applyHandler(s, h, ev); });
    }
    for (const plan::Derived& d : sp.derived) {
        setUpDerived(s, d);
    }
    for (const plan::Reaction& r : sp.reactions) {
        s.consumers[r.event].push_back([this, &s, &r](Live& ev) {
            void* args[] = {ev.row.data(), &ev.env.abi};
            if (call(r.kernel, args) == FLOW_ERROR) {
                report(ctx.errorCode, ctx.errorSite);
                return;
            }
            emitCaptured(s);
        });
    }
    for (const auto& [type, fns] : s.consumers) {
        s.consumedTypes.push_back(type);
    }
}

void Engine::Impl::setUpDerived(ServiceRt& s, const plan::Derived& d) {
    const bool fromEvent = d.sources[0].kind == plan::SourceKind::Event;
    const bool streamJoin = !d.joins.empty() && d.joins[0].source.kind == plan::SourceKind::Event;
    if (streamJoin) {
        setUpStreamStreamJoin(s, d);
        return;
    }
    if (fromEvent && !d.joins.empty()) {
        addJoinedPrefetcher(s, d);
    }
    // Layouts of the group key and the window row, found from the project kernel's args.
    if (d.groupKey >= 0) {
        const plan::Kernel& proj = p.kernels[static_cast<std::size_t>(d.project)];
        AggShape& shape = aggShapes[&d];
        shape.key = &layoutOf(p, proj.args[0].layout);
        shape.args = &layoutOf(p, d.aggArgsLayout);
        shape.aggs = &layoutOf(p, d.aggLayout);
        shape.target = &layoutOf(p, tables[static_cast<std::size_t>(d.target)].plan->rowLayout);
        shape.window = proj.args[2].layout;
        shape.noWindow = OwnedRow(&layoutOf(p, shape.window));
        shape.joinAhead = joinAheadOf(d);
        planArgsFromEvent(d, shape);
        planKeyFromEvent(d, shape);
        planIntsFromEvent(d, shape);
    }
    TableRt* view = d.stream ? nullptr : &tables[static_cast<std::size_t>(d.target)];
    if (d.groupKey >= 0 && d.window != plan::WindowKind::None) {
        ops::WindowSpec spec =
            d.window == plan::WindowKind::Tumbling
                ? ops::WindowSpec::tumbling(d.sizeMicros, d.graceMicros)
            : d.window == plan::WindowKind::Hopping
                ? ops::WindowSpec::hopping(d.sizeMicros, d.everyMicros, d.graceMicros)
                : ops::WindowSpec::session(d.sizeMicros, d.graceMicros);
        auto op = std::make_shared<ops::WindowedAggregate<OwnedRow, AggIn, OwnedRow>>(
            *s.store, view->plan->name, spec, aggSpecs(d), [](const AggIn& in) { return in.key; },
            [this, &d, &shape = aggShape(d)](const OwnedRow& key, const ops::WindowBounds& w,
                                             std::span<const Value> values) {
                return aggregateRow(d, shape, key, values, &w, ctx);
            });
        view->windowed = &op->table();
        groupLayouts[d.target] = p.kernels[static_cast<std::size_t>(d.project)].args[0].layout;
        s.operators.push_back(op);
        s.timeListeners.push_back([op](std::int64_t t) { op->advanceTo(t); });
        s.lateCounters.push_back([op] { return static_cast<std::uint64_t>(op->lateEvents()); });
        std::int32_t target = d.target;
        auto in = std::make_shared<AggIn>();
        s.consumers[d.sources[0].id].push_back([this, &d, op, target, in](Live& ev) {
            if (aggInputOf(d, ev, *in, [](const OwnedRow&) {})) {
                ops::Changes<ops::Windowed<OwnedRow>, OwnedRow> out;
                if (!op->insert(*in, ev.env.e.time, out)) {
                    report(FLOW_ERR_OVERFLOW, d.site);
                    return;
                }
                // Views reading the windowed table see its rows keyed by (group, start).
                for (auto& c : out) {
                    propagate(target, RowChange{windowedKey(target, c.key), std::move(c.before),
                                                std::move(c.after)});
                }
            }
        });
        return;
    }
    if (d.groupKey >= 0 && fromEvent) {
        if (p.kernels[static_cast<std::size_t>(d.project)].pure) {
            // Rows a pure function of key and aggregates: projected when read. The kernel
            // runs in its own context, as a read may come from inside another kernel.
            auto op = std::make_shared<ops::ProjectedAggregate<OwnedRow, AggIn, OwnedRow>>(
                *s.store, view->plan->name, aggSpecs(d), [](const AggIn& in) { return in.key; },
                [this, &d, &shape = aggShape(d)](const OwnedRow& key,
                                                 std::span<const Value> values) {
                    return aggregateRow(d, shape, key, values, nullptr, readCtx);
                });
            view->projected = op.get();
            s.operators.push_back(op);
            consumeGrouped(s, d, op);
            return;
        }
        auto op = std::make_shared<ops::StreamAggregate<OwnedRow, AggIn, OwnedRow>>(
            *s.store, view->plan->name, aggSpecs(d), [](const AggIn& in) { return in.key; },
            [this, &d, &shape = aggShape(d)](const OwnedRow& key, std::span<const Value> values) {
                return aggregateRow(d, shape, key, values, nullptr, ctx);
            });
        view->rows = &op->table();
        s.operators.push_back(op);
        consumeGrouped(s, d, op);
        return;
    }
    if (d.groupKey >= 0) {
        // Grouped over a table's changes: retract the old row, add the new one.
        auto op = std::make_shared<ops::TableAggregate<OwnedRow, OwnedRow, AggIn, OwnedRow>>(
            *s.store, view->plan->name, aggSpecs(d), [](const AggIn& in) { return in.key; },
            [this, &d, &shape = aggShape(d)](const OwnedRow& key, std::span<const Value> values) {
                return aggregateRow(d, shape, key, values, nullptr, ctx);
            });
        view->rows = &op->table();
        s.operators.push_back(op);
        std::int32_t target = d.target;
        auto asInput = [this, &d](const std::optional<OwnedRow>& row) -> std::optional<AggIn> {
            if (!row) {
                return std::nullopt;
            }
            Tuple t;
            t.rows.push_back(&*row);
            t.envs.push_back(nullptr);
            if (!passes(d, t)) {
                return std::nullopt;
            }
            return aggInput(d, t);
        };
        tables[static_cast<std::size_t>(d.sources[0].id)].dependents.push_back(
            [this, &d, op, target, asInput](const RowChange& c) {
                ops::Change<OwnedRow, AggIn> in{c.key, asInput(c.before), asInput(c.after)};
                if (!in.before && !in.after) {
                    return;
                }
                ops::Changes<OwnedRow, OwnedRow> out;
                if (!op->apply(in, out)) {
                    report(FLOW_ERR_OVERFLOW, d.site);
                    return;
                }
                for (const RowChange& oc : out) {
                    propagate(target, oc);
                }
            });
        return;
    }
    if (!fromEvent && !d.joins.empty()) {
        // Table-table join, keyed by the left table's key.
        const plan::Join& jn = d.joins[0];
        std::int32_t rightRowLayout =
            tables[static_cast<std::size_t>(jn.source.id)].plan->rowLayout;
        std::int32_t targetLayout = view->plan->rowLayout;
        auto op =
            std::make_shared<ops::TableTableJoin<OwnedRow, OwnedRow, OwnedRow, OwnedRow, OwnedRow>>(
                *s.store, view->plan->name,
                jn.kind == plan::JoinKind::Left ? ops::JoinKind::Left : ops::JoinKind::Inner,
                [this, &d, &jn](const OwnedRow& l) {
                    OwnedRow key(&layoutOf(p, jn.keyLayout));
                    void* args[] = {const_cast<void*>(l.data()), key.data()};
                    if (call(jn.leftKey, args) == FLOW_ERROR) {
                        report(ctx.errorCode, ctx.errorSite);
                    }
                    key.adoptStrings();
                    (void)d;
                    return key;
                },
                [this, &d, targetLayout, rightRowLayout](const OwnedRow&, const OwnedRow& l,
                                                         const OwnedRow* r) {
                    Tuple t;
                    t.rows = {&l, r};
                    t.envs = {nullptr, nullptr};
                    (void)rightRowLayout;
                    auto out = project(d, t, targetLayout);
                    return out ? std::move(*out) : OwnedRow(&layoutOf(p, targetLayout));
                });
        view->rows = &op->table();
        s.operators.push_back(op);
        std::int32_t target = d.target;
        tables[static_cast<std::size_t>(d.sources[0].id)].dependents.push_back(
            [this, op, target](const RowChange& c) {
                ops::Changes<OwnedRow, OwnedRow> out;
                op->onLeft(c, out, !tables[static_cast<std::size_t>(target)].dependents.empty());
                for (const RowChange& oc : out) {
                    propagate(target, oc);
                }
            });
        tables[static_cast<std::size_t>(jn.source.id)].dependents.push_back(
            [this, op, target](const RowChange& c) {
                ops::Changes<OwnedRow, OwnedRow> out;
                op->onRight(c, out, !tables[static_cast<std::size_t>(target)].dependents.empty());
                for (const RowChange& oc : out) {
                    propagate(target, oc);
                }
            });
        return;
    }
    if (d.stream) {
        std::int32_t target = d.target;
        std::int32_t layout = p.events[static_cast<std::size_t>(target)].versions.back().layout;
        JoinAhead* ahead = fromEvent ? joinAheadOf(d) : nullptr;
        s.consumers[d.sources[0].id].push_back([this, &s, &d, target, layout, ahead](Live& ev) {
            Tuple t = Tuple::of(ev);
            if (!joinTables(d, t, ahead) || !passes(d, t)) {
                return;
            }
            auto out = project(d, t, layout);
            if (out) {
                emit(s, target, std::move(*out), derivedEnvelope(s));
            }
        });
        return;
    }
    // A view without group by: the newest row per key of its source.
    view->rows = &ops::stateTable<OwnedRow, OwnedRow>(*s.store, view->plan->name);
    std::int32_t target = d.target;
    std::int32_t layout = view->plan->rowLayout;
    if (fromEvent) {
        std::int32_t source = d.sources[0].id;
        JoinAhead* ahead = joinAheadOf(d);
        s.consumers[source].push_back([this, &d, target, layout, source, ahead](Live& ev) {
            // The newest event of a key wins: when it does not pass the `where` (or an
            // inner join finds no row), the key has no row, as in ksqlDB's table over a
            // topic filtered by WHERE; an older row that passed is retracted.
            std::size_t errors = engine.errors_.size();
            Tuple t = Tuple::of(ev);
            std::optional<OwnedRow> out;
            if (joinTables(d, t, ahead) && passes(d, t)) {
                out = project(d, t, layout);
            }
            if (engine.errors_.size() != errors) {
                return;  // a runtime error: the event changes nothing
            }
            TableRt& v = tables[static_cast<std::size_t>(target)];
            OwnedRow key(&layoutOf(p, v.plan->keyLayout));
            copyField(*ev.row.layout(), ev.row.data(),
                      p.events[static_cast<std::size_t>(source)].keyField, key, 0);
            key.adoptStrings();
            std::optional<OwnedRow> before;
            if (const OwnedRow* f = v.rows->find(key)) {
                before = *f;
            }
            if (before == out) {
                return;
            }
            if (out) {
                v.rows->upsert(key) = *out;
            } else {
                v.rows->erase(key);
            }
            propagate(target, RowChange{key, before, std::move(out)});
        });
        return;
    }
    tables[static_cast<std::size_t>(d.sources[0].id)].dependents.push_back(
        [this, &d, target, layout](const RowChange& c) {
            auto mapRow = [&](const std::optional<OwnedRow>& row) -> std::optional<OwnedRow> {
                if (!row) {
                    return std::nullopt;
                }
                Tuple t;
                t.rows.push_back(&*row);
                t.envs.push_back(nullptr);
                if (!passes(d, t)) {
                    return std::nullopt;
                }
                return project(d, t, layout);
            };
            TableRt& v = tables[static_cast<std::size_t>(target)];
            std::optional<OwnedRow> before, after = mapRow(c.after);
            if (const OwnedRow* f = v.rows->find(c.key)) {
                before = *f;
            }
            if (before == after) {
                return;
            }
            if (after) {
                v.rows->upsert(c.key) = *after;
            } else {
                v.rows->erase(c.key);
            }
            propagate(target, RowChange{c.key, before, after});
        });
}

void Engine::Impl::setUpStreamStreamJoin(ServiceRt& s, const plan::Derived& d) {
    const plan::Join& jn = d.joins[0];
    std::int32_t target = d.target;
    std::int32_t layout = p.events[static_cast<std::size_t>(target)].versions.back().layout;
    auto keyOf = [this, &jn](std::int32_t kernel, const EvRow& r) {
        OwnedRow key(&layoutOf(p, jn.keyLayout));
        Env env(r.env, readsIds);
        void* args[] = {const_cast<void*>(r.row.data()), &env.abi, key.data()};
        if (call(kernel, args) == FLOW_ERROR) {
            report(ctx.errorCode, ctx.errorSite);
        }
        key.adoptStrings();
        return key;
    };
    auto op = std::make_shared<ops::StreamStreamJoin<OwnedRow, EvRow, EvRow, OwnedRow, EvRow>>(
        *s.store, p.events[static_cast<std::size_t>(target)].name, jn.withinMicros,
        [keyOf, &jn](const EvRow& l) { return keyOf(jn.leftKey, l); },
        [keyOf, &jn](const EvRow& r) { return keyOf(jn.rightKey, r); },
        [this, &d, layout](const EvRow& l, const EvRow& r) {
            Env le(l.env, readsIds), re(r.env, readsIds);
            Tuple t;
            t.rows = {&l.row, &r.row};
            t.envs = {&le.abi, &re.abi};
            EvRow out;
            if (passes(d, t)) {
                auto row = project(d, t, layout);
                if (row) {
                    out.row = std::move(*row);
                }
            }
            out.env = l.env.time >= r.env.time ? l.env : r.env;
            return out;
        },
        [](const EvRow& o) { return o.row; });
    s.operators.push_back(op);
    s.timeListeners.push_back([op](std::int64_t t) { op->advanceTo(t); });
    s.lateCounters.push_back([op] { return static_cast<std::uint64_t>(op->lateEvents()); });
    auto emitAll = [this, &s, target](ops::Changes<OwnedRow, EvRow>& out) {
        for (auto& c : out) {
            if (c.after && !c.after->row.empty()) {
                // A joined pair happens at the later of its two times (as in Kafka Streams
                // and Flink's interval join), whichever of them arrived second.
                Envelope e = derivedEnvelope(s);
                e.time = c.after->env.time;
                emit(s, target, std::move(c.after->row), e);
            }
        }
    };
    s.consumers[d.sources[0].id].push_back([op, emitAll](Live& ev) {
        ops::Changes<OwnedRow, EvRow> out;
        op->onLeft(EvRow{ev.row, ev.env.e}, ev.env.e.time, out);
        emitAll(out);
    });
    s.consumers[jn.source.id].push_back([op, emitAll](Live& ev) {
        ops::Changes<OwnedRow, EvRow> out;
        op->onRight(EvRow{ev.row, ev.env.e}, ev.env.e.time, out);
        emitAll(out);
    });
}

// ---- Opening and recovering --------------------------------------------------------------------

Status Engine::Impl::open() {
    ops::setStatePlan(&p);
    planCopies();
    readsIds = std::any_of(p.kernels.begin(), p.kernels.end(),
                           [](const plan::Kernel& k) { return k.ids; });
    for (const plan::Event& e : p.events) {
        eventByName[e.name] = e.id;
    }
    tables.resize(p.tables.size());
    for (const plan::Table& t : p.tables) {
        tables[static_cast<std::size_t>(t.id)].plan = &t;
    }
    // A RocksDB table caches what it reads under a copy of the key.
    probeInPlace = engine.options_.dataDir.empty() || engine.options_.store == "memory";
    services.resize(p.services.size());
    const EngineOptions& o = engine.options_;
    for (const plan::Service& sp : p.services) {
        ServiceRt& s = services[static_cast<std::size_t>(sp.id)];
        s.plan = &sp;
        s.id = sp.id;
        s.typeNumbers.assign(p.events.size(), 0);
        if (o.dataDir.empty()) {
            s.log = std::make_unique<MemoryLog>();
            s.store = openMemoryStore("");
        } else {
            std::string dir = o.dataDir + "/" + sp.name;
            LogOptions lo;
            lo.fsync = o.fsync;
            lo.salvage = o.salvage;
            auto log = FileLog::open(dir + "/log", lo);
            if (!log) {
                return log.status();
            }
            if ((*log)->recovery().truncatedBytes > 0) {
                engine.errors_.push_back({sp.name + ": recovered its log: removed a torn tail of " +
                                              std::to_string((*log)->recovery().truncatedBytes) +
                                              " bytes",
                                          0});
            }
            LogTypes types;
            FLOW_RT_TRY(LogTypes::load(posixFileSystem(), dir + "/log", types));
            s.log = std::make_unique<DiskLog>(std::move(*log), dir + "/log", std::move(types));
            if (o.store == "rocksdb") {
                auto st = openRocksStore(dir + "/state");
                if (!st) {
                    return st.status();
                }
                s.store = std::move(*st);
            } else {
                s.store = openMemoryStore(dir + "/state");
            }
        }
    }
    consumed.assign(p.events.size(), false);
    for (ServiceRt& s : services) {
        setUpService(s);
        for (std::int32_t type : s.consumedTypes) {
            consumed[static_cast<std::size_t>(type)] = true;
        }
    }
    // Every consumer and dependent is known now.
    for (ServiceRt& s : services) {
        s.undoFree.assign(p.events.size(), false);
        for (const auto& [type, table] : s.atomicConsumers) {
            s.undoFree[static_cast<std::size_t>(type)] =
                s.consumers[type].size() == 1 &&
                tables[static_cast<std::size_t>(table)].dependents.empty();
        }
        // undoFree already says the view is the type's one consumer and has no dependents.
        s.direct.assign(p.events.size(), nullptr);
        for (const auto& [type, agg] : s.intsConsumers) {
            const auto t = static_cast<std::size_t>(type);
            if (s.undoFree[t] && s.prefetchers.size() > t && s.prefetchers[t].size() == 1) {
                s.direct[t] = &agg;
            }
        }
    }
    // Inputs: one cursor per log read (the owners of the consumed events), in a fixed order.
    for (ServiceRt& s : services) {
        std::vector<std::int32_t> owners;
        for (std::int32_t type : s.consumedTypes) {
            std::int32_t owner = p.events[static_cast<std::size_t>(type)].service;
            if (std::find(owners.begin(), owners.end(), owner) == owners.end()) {
                owners.push_back(owner);
            }
        }
        std::sort(owners.begin(), owners.end());
        for (std::int32_t owner : owners) {
            Input in;
            in.owner = owner;
            s.inputs.push_back(std::move(in));
        }
    }
    for (ServiceRt& s : services) {  // once every service's inputs are in place
        for (Input& in : s.inputs) {
            services[static_cast<std::size_t>(in.owner)].readerInputs.push_back(&in);
        }
    }
    // An input event whose owner's log one input reads, of a service that consumes it,
    // can go straight to that service when nothing else waits (Engine::ingest).
    soleReaders.assign(p.events.size(), SoleReader{});
    for (ServiceRt& s : services) {
        for (std::size_t i = 0; i < s.inputs.size(); ++i) {
            std::int32_t owner = s.inputs[i].owner;
            if (services[static_cast<std::size_t>(owner)].readers() != 1) {
                continue;
            }
            for (std::int32_t type : s.consumedTypes) {
                if (p.events[static_cast<std::size_t>(type)].service == owner) {
                    soleReaders[static_cast<std::size_t>(type)] = {s.id,
                                                                   static_cast<std::int32_t>(i)};
                }
            }
        }
    }
    // Checkpoints: positions, and what was emitted after them.
    for (ServiceRt& s : services) {
        auto cp = s.store->load();
        if (!cp) {
            return cp.status();
        }
        if (cp->has_value()) {
            Reader r((*cp)->meta);
            std::uint32_t n = 0;
            if (!r.fixed32(n)) {
                return Status::corruption(s.plan->name + ": invalid checkpoint");
            }
            for (std::uint32_t i = 0; i < n; ++i) {
                std::string_view owner;
                std::uint64_t pos = 0;
                if (!r.bytes(owner) || !r.fixed64(pos)) {
                    return Status::corruption(s.plan->name + ": invalid checkpoint");
                }
                for (Input& in : s.inputs) {
                    if (p.services[static_cast<std::size_t>(in.owner)].name == owner) {
                        in.position = pos;
                    }
                }
            }
            if (!r.fixed64(s.outputPos)) {
                return Status::corruption(s.plan->name + ": invalid checkpoint");
            }
        }
        FLOW_RT_TRY(
            forEachRecord(*s.log, s.outputPos, [&](const std::string& rec, std::uint64_t seq) {
                Envelope env;
                std::string_view payload;
                if (decodeEnvelope(rec, env, payload, &s.log->types()).isOk()) {
                    s.replayed.emplace(env.id, seq);
                }
                return Status::ok();
            }));
    }
    // The ingest stamp goes on after the greatest in any log (appends are in stamp order,
    // so each log's last record has its greatest).
    for (ServiceRt& s : services) {
        if (s.log->end() == 0) {
            continue;
        }
        auto cur = s.log->open(s.log->end() - 1);
        std::string rec;
        std::uint64_t seq = 0;
        if (cur && (*cur)->next(rec, seq).isOk()) {
            Envelope env;
            std::string_view payload;
            if (decodeEnvelope(rec, env, payload, &s.log->types()).isOk()) {
                ingest = std::max(ingest, env.ingest);
            }
        }
    }
    for (ServiceRt& s : services) {
        for (Input& in : s.inputs) {
            auto cur = services[static_cast<std::size_t>(in.owner)].log->open(in.position);
            if (!cur) {
                return cur.status();
            }
            in.cursor = std::move(*cur);
            in.cursorAt = in.position;
        }
    }
    return Status::ok();
}

// ---- The public face ----------------------------------------------------------------------------

Engine::Engine(const plan::Program& program, const FlowKernelFn* kernels, EngineOptions options)
    : program_(program), kernels_(kernels), options_(std::move(options)),
      impl_(std::make_unique<Impl>(*this)) {}

Engine::~Engine() = default;

Status Engine::open() {
    return impl_->open();
}

/// An input's hashes, worked out (and its slots fetched) before its ingest.
struct Engine::Ahead {
    bool idHashed = false;  // idHash is the id's hash in the set of ingested ids
    std::size_t idHash = 0;
    const Impl::DirectAgg* direct = nullptr;  // not null: groupHash is its group's hash
    std::size_t groupHash = 0;
};

Engine::Ahead Engine::fetchAhead(const IngestInput& in) {
    Impl& m = *impl_;
    Ahead a;
    if (in.event < 0 || static_cast<std::size_t>(in.event) >= m.soleReaders.size()) {
        return a;  // (ingest reports it)
    }
    if (in.id && m.requestsLoaded) {
        a.idHash = m.requests.prefetch(*in.id);
        a.idHashed = true;
    }
    const plan::Event& ev = program_.events[static_cast<std::size_t>(in.event)];
    const Impl::SoleReader& sole = m.soleReaders[static_cast<std::size_t>(in.event)];
    if (static_cast<std::size_t>(in.version) + 1 != ev.versions.size() || sole.service < 0) {
        return a;  // (read through upcasts, or by several services: not handed over directly)
    }
    const Impl::ServiceRt& reader = m.services[static_cast<std::size_t>(sole.service)];
    if (const Impl::DirectAgg* direct = Impl::directFor(reader, in.event, in.row)) {
        a.groupHash = Impl::fetchGroup(*direct, in.row);
        a.direct = direct;
    }
    return a;
}

Result<std::size_t> Engine::ingestAll(std::span<IngestInput> inputs) {
    std::size_t appended = 0;
    Ahead next = inputs.empty() ? Ahead{} : fetchAhead(inputs[0]);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Ahead ahead = next;
        if (i + 1 < inputs.size()) {
            next = fetchAhead(inputs[i + 1]);
        }
        IngestInput& in = inputs[i];
        auto r = ingestWith(in.event, in.version, std::move(in.row), in.time, in.id, &ahead);
        if (!r) {
            return r.status();
        }
        appended += *r ? 1 : 0;
    }
    return appended;
}

Result<bool> Engine::ingest(std::int32_t event, std::int32_t version, OwnedRow&& row,
                            std::optional<std::int64_t> time, std::optional<EventId> id) {
    return ingestWith(event, version, std::move(row), time, id, nullptr);
}

Result<bool> Engine::ingestWith(std::int32_t event, std::int32_t version, OwnedRow&& row,
                                std::optional<std::int64_t> time, std::optional<EventId> id,
                                const Ahead* ahead) {
    Impl& m = *impl_;
    const plan::Event& ev = program_.events[static_cast<std::size_t>(event)];
    Impl::ServiceRt& owner = m.services[static_cast<std::size_t>(ev.service)];
    const bool latest = static_cast<std::size_t>(version) + 1 == ev.versions.size();
    // When nothing else waits and one service reads the event, it is processed here, in
    // that service's Live: the order of waves is the same (this request is the only one),
    // and the event is neither kept for a reader nor read back (runUntilIdle finds
    // nothing to do for it).
    Impl::ServiceRt* reader = nullptr;
    if (latest && !m.stopped && !m.inEvent) {
        const Impl::SoleReader& sole = m.soleReaders[static_cast<std::size_t>(event)];
        if (sole.service >= 0 && m.idle()) {
            reader = &m.services[static_cast<std::size_t>(sole.service)];
        }
    }
    // Else the envelope is built where its readers take it from: in its hand-off slot, when
    // it goes to one and the input is not recorded (no copy); else here.
    Impl::Handoff* slot = nullptr;
    std::optional<Envelope> local;  // (made only when used: the direct path has its own)
    if (reader == nullptr && latest && !options_.recordInputs && m.keeps(owner, event)) {
        slot = &m.pushHandoff(owner, owner.log->end(), event);
    }
    Envelope& e = reader != nullptr ? reader->live.env.e
                  : slot != nullptr ? slot->env
                                    : local.emplace();
    // A slot is a reused one: if the event goes no further, it is given back.
    auto giveBack = [&] {
        if (slot != nullptr) {
            owner.handoff.popBack();
        }
    };
    e.id = id ? *id : randomEventId();
    std::size_t idHash = 0;  // (with `id`)
    if (id) {
        if (Status st = m.requestsLoaded ? Status::ok() : m.loadRequests(); !st) {
            giveBack();
            return st;
        }
        // The set of ids is large: its slot is fetched while the record is encoded (or
        // was, while the input before this one was ingested).
        idHash = ahead != nullptr && ahead->idHashed ? ahead->idHash : m.requests.prefetch(e.id);
    }
    e.causation = e.id;
    e.correlation = e.id;
    e.time = time ? *time : clock_;
    e.ingest = m.ingest + 1;
    e.depth = 0;
    auto number = m.typeNumber(owner, event);
    if (!number) {
        giveBack();
        return number.status();
    }
    e.seq = owner.log->end();
    if (e.type != ev.name) {
        e.type = ev.name;  // (a reader's envelope is reused: mostly the same type)
    }
    e.typeNumber = *number;
    e.version = static_cast<std::uint32_t>(ev.versions[static_cast<std::size_t>(version)].version);
    e.key.clear();  // the event's key is its key field, in the row (Envelope::key)
    // An event whose one consumer is a view that reads it alone is handed to it as it is:
    // not moved into the reader's Live, and no prefetcher or wave machinery in between.
    const Impl::DirectAgg* direct = nullptr;
    std::size_t groupHash = 0;
    if (reader != nullptr) {
        direct = Impl::directFor(*reader, event, row);
    }
    if (direct != nullptr) {
        Live& live = reader->live;
        live.type = event;
        live.seq = e.seq;
        groupHash = ahead != nullptr && ahead->direct == direct
                        ? ahead->groupHash  // (its slot was fetched with it)
                        : Impl::fetchGroup(*direct, row);
    } else if (reader != nullptr) {
        // The event as its reader will see it, and the state it will touch fetched while
        // the record is encoded and the id set probed.
        Live& live = reader->live;
        live.type = event;
        live.seq = e.seq;
        live.env.ids = m.readsIds;
        live.env.bind();
        live.row = std::move(row);
        ++m.directStamp;
        if (static_cast<std::size_t>(event) < reader->prefetchers.size()) {
            for (const auto& fn : reader->prefetchers[static_cast<std::size_t>(event)]) {
                fn(live);
            }
        }
    }
    const OwnedRow& body = reader != nullptr && direct == nullptr ? reader->live.row : row;
    const std::string_view record = m.encodeRecord(e, body);
    // Idempotent ingestion: an input already in a log is not appended again. One probe:
    // the id goes in now, and out again if the append fails.
    if (id && !m.requests.insertHashed(e.id, idHash)) {
        giveBack();
        return false;
    }
    ++m.ingest;
    auto seq = owner.log->append(record);
    Status committed = seq ? owner.log->commit() : seq.status();
    if (!committed) {
        if (id) {
            m.requests.erase(e.id);
        }
        giveBack();
        return committed;
    }
    if (!id && m.requestsLoaded) {
        m.requests.insert(e.id);
    }
    if (reader != nullptr && *seq == e.seq) {
        if (options_.recordInputs) {
            EventRecord rec;
            rec.type = event;
            rec.service = ev.service;
            rec.seq = *seq;
            rec.envelope = e;
            rec.row = body;
            emitted_.push_back(std::move(rec));
        }
        Impl::Input& in = reader->inputs[static_cast<std::size_t>(
            m.soleReaders[static_cast<std::size_t>(event)].input)];
        in.position = *seq + 1;  // its cursor stays behind, as after a hand-off
        if (direct != nullptr) {
            m.runDirect(*reader, reader->live, *direct, row, groupHash);
            return true;
        }
        m.runningDirect = true;
        m.run(*reader, reader->live);
        m.runningDirect = false;
        return true;
    }
    if (reader != nullptr) {
        return true;  // not where the log put it: its reader reads it from the log
    }
    if (slot != nullptr) {
        if (slot->seq != *seq) {
            owner.handoff.clear();  // not where the log put it: read it from the log
        } else {
            slot->row = std::move(row);
        }
        return true;
    }
    if (latest) {
        // Recorded below, or not kept (only a mark to pass by): copied, if at all.
        m.handOff(owner, *seq, event, e, row);
    }
    if (!options_.recordInputs) {
        return true;
    }
    EventRecord rec;
    rec.type = event;
    rec.service = ev.service;
    rec.seq = *seq;
    rec.envelope = std::move(e);
    if (latest) {
        rec.row = std::move(row);
    } else {
        // What handlers will see: the row read through the upcasts.
        Impl::Input probe;
        probe.owner = ev.service;
        probe.record = record;
        probe.type = event;
        probe.version = version;
        probe.seq = *seq;
        Live live;
        if (m.decode(probe, live).isOk()) {
            rec.row = std::move(live.row);
        }
    }
    emitted_.push_back(std::move(rec));
    return true;
}

CommandResult Engine::command(std::int32_t command, const OwnedRow& params,
                              const EventId& requestId) {
    Impl& m = *impl_;
    const plan::Command& c = program_.commands[static_cast<std::size_t>(command)];
    Impl::ServiceRt& s = m.services[static_cast<std::size_t>(c.service)];
    CommandResult result;
    // A command is idempotent by its request id: one whose events are in the log is
    // accepted again without running, and answered with the events it emitted then.
    if (Status st = m.loadRequests(); !st) {
        result.failed = true;
        result.reason = st.toString();
        return result;
    }
    if (m.requests.contains(requestId)) {
        result.accepted = true;
        result.duplicate = true;
        Status st = m.eventsOf(
            s,
            [&](const Envelope& e) {
                return e.correlation == requestId && e.causation == requestId && e.depth == 1;
            },
            result.events);
        if (!st) {
            result.failed = true;
            result.reason = st.toString();
        }
        return result;
    }
    void* args[] = {const_cast<void*>(params.data())};
    std::int32_t rc = m.call(c.kernel, args);
    if (rc == FLOW_REJECTED || m.ctx.rejected) {
        result.reason = m.ctx.reason;
        return result;
    }
    if (rc == FLOW_ERROR) {
        m.report(m.ctx.errorCode, m.ctx.errorSite);
        result.failed = true;
        result.reason = errors_.back().message;
        return result;
    }
    auto emitted = std::move(m.ctx.emitted);
    m.ctx.emitted.clear();
    std::uint64_t stamp = ++m.ingest;
    std::size_t first = emitted_.size();
    for (std::size_t i = 0; i < emitted.size(); ++i) {
        auto& [type, row] = emitted[i];
        row.adoptStrings();
        Envelope e;
        e.id = deriveEventId(requestId, s.plan->name, static_cast<std::uint32_t>(i));
        e.causation = requestId;
        e.correlation = requestId;
        e.time = clock_;
        e.ingest = stamp;
        e.depth = 1;
        m.emit(s, type, std::move(row), e);
    }
    // The response waits for the events to be durable.
    Status st = s.log->sync();
    if (!st) {
        result.failed = true;
        result.reason = st.toString();
        return result;
    }
    result.accepted = true;
    if (!emitted.empty()) {
        m.requests.insert(requestId);
    }
    for (std::size_t i = first; i < emitted_.size(); ++i) {
        result.events.push_back(emitted_[i]);
    }
    return result;
}

Status Engine::runUntilIdle() {
    return impl_->runUntilIdle();
}

std::int32_t Engine::callKernel(std::int32_t kernel, void** args) {
    std::int32_t rc = impl_->call(kernel, args);
    if (rc == FLOW_ERROR) {
        impl_->report(impl_->ctx.errorCode, impl_->ctx.errorSite);
    }
    return rc;
}

Status Engine::checkpoint() {
    for (auto& s : impl_->services) {
        FLOW_RT_TRY(impl_->checkpoint(s));
    }
    return Status::ok();
}

Status Engine::advanceTime(std::int64_t micros) {
    clock_ += micros;
    for (auto& s : impl_->services) {
        for (auto& fn : s.timeListeners) {
            fn(clock_);
        }
    }
    return Status::ok();
}

std::int32_t Engine::query(std::int32_t q, const void* params, void* out) {
    const plan::Query& qu = program_.queries[static_cast<std::size_t>(q)];
    void* args[] = {const_cast<void*>(params), out};
    std::int32_t rc = impl_->call(qu.kernel, args);
    if (rc == FLOW_ERROR) {
        impl_->report(impl_->ctx.errorCode, impl_->ctx.errorSite);
    }
    return rc;
}

std::vector<std::pair<OwnedRow, OwnedRow>> Engine::rows(std::int32_t table) {
    std::vector<std::pair<OwnedRow, OwnedRow>> out;
    Impl::TableRt& t = impl_->tables[static_cast<std::size_t>(table)];
    const plan::Layout& kl = layoutOf(program_, t.plan->keyLayout);
    if (t.windowed != nullptr) {
        t.windowed->forEach([&](const ops::Windowed<OwnedRow>& k, const OwnedRow& r) {
            out.emplace_back(impl_->windowedKey(table, k), r);
        });
    } else if (t.rows != nullptr) {
        t.rows->forEach([&](const OwnedRow& k, const OwnedRow& r) { out.emplace_back(k, r); });
    } else if (t.projected != nullptr) {
        t.projected->forEach([&](const OwnedRow& k, const OwnedRow& r) { out.emplace_back(k, r); });
    }
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
        return compareRows(kl, a.first.data(), b.first.data()) < 0;
    });
    return out;
}

const void* Engine::lookup(std::int32_t table, const void* key) {
    return impl_->lookup(table, key);
}

Result<std::vector<OwnedRow>> Engine::scan(std::int32_t q, const OwnedRow& params) {
    std::vector<OwnedRow> out;
    if (!impl_->scan(program_.queries[static_cast<std::size_t>(q)], params.data(), true, out)) {
        return Status::failed(errors_.back().message);
    }
    return out;
}

bool Engine::Impl::scan(const plan::Query& qu, const void* params, bool reset,
                        std::vector<OwnedRow>& out) {
    std::vector<std::pair<OwnedRow, OwnedRow>> all = engine.rows(qu.table);
    auto run = [&](std::int32_t kernel, void** args) {
        std::int32_t rc = call(kernel, args, reset);
        if (rc == FLOW_ERROR) {
            report(ctx.errorCode, ctx.errorSite);
        }
        return rc;
    };
    struct Hit {
        OwnedRow order;
        OwnedRow row;
    };
    std::vector<Hit> hits;
    void* in = const_cast<void*>(params);
    for (auto& [key, row] : all) {
        if (qu.where >= 0) {
            void* args[] = {in, row.data()};
            std::int32_t rc = run(qu.where, args);
            if (rc == FLOW_ERROR) {
                return false;
            }
            if (rc != FLOW_OK) {
                continue;
            }
        }
        Hit h;
        if (qu.orderBy >= 0) {
            const plan::Kernel& k = p.kernels[static_cast<std::size_t>(qu.orderBy)];
            h.order = OwnedRow(&layoutOf(p, k.args.back().layout));
            void* args[] = {in, row.data(), h.order.data()};
            if (run(qu.orderBy, args) == FLOW_ERROR) {
                return false;
            }
            h.order.adoptStrings();
        }
        if (qu.project >= 0) {
            OwnedRow projected(&layoutOf(p, qu.rowLayout));
            void* args[] = {in, row.data(), projected.data()};
            if (run(qu.project, args) == FLOW_ERROR) {
                return false;
            }
            projected.adoptStrings();
            h.row = std::move(projected);
        } else {
            h.row = std::move(row);
        }
        hits.push_back(std::move(h));
    }
    if (qu.orderBy >= 0) {
        std::stable_sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
            int c = compareRows(*a.order.layout(), a.order.data(), b.order.data());
            return qu.descending ? c > 0 : c < 0;
        });
    }
    std::int64_t limit = -1;
    if (qu.limit >= 0) {
        const plan::Kernel& k = p.kernels[static_cast<std::size_t>(qu.limit)];
        OwnedRow lim(&layoutOf(p, k.args.back().layout));
        void* args[] = {in, lim.data()};
        if (run(qu.limit, args) == FLOW_ERROR) {
            return false;
        }
        std::memcpy(&limit, lim.data(), 8);
    }
    for (Hit& h : hits) {
        if (limit >= 0 && static_cast<std::int64_t>(out.size()) >= limit) {
            break;
        }
        out.push_back(std::move(h.row));
    }
    return true;
}

Status Engine::Impl::eventsOf(ServiceRt& s, const std::function<bool(const Envelope&)>& want,
                              std::vector<EventRecord>& out) {
    return forEachRecord(*s.log, 0, [&](const std::string& rec, std::uint64_t seq) {
        std::string_view payload;
        Envelope env;
        FLOW_RT_TRY(decodeEnvelope(rec, env, payload, &s.log->types()));
        auto it = eventByName.find(env.type);
        if (it == eventByName.end() || !want(env)) {
            return Status::ok();
        }
        Input probe;
        probe.owner = s.id;
        probe.record = rec;
        probe.seq = seq;
        probe.type = it->second;
        const plan::Event& def = p.events[static_cast<std::size_t>(it->second)];
        for (std::size_t v = 0; v < def.versions.size(); ++v) {
            if (def.versions[v].version == static_cast<std::int32_t>(env.version)) {
                probe.version = static_cast<std::int32_t>(v);
            }
        }
        Live live;
        FLOW_RT_TRY(decode(probe, live));
        EventRecord r;
        r.type = live.type;
        r.service = s.id;
        r.seq = seq;
        r.envelope = env;
        r.row = std::move(live.row);
        out.push_back(std::move(r));
        return Status::ok();
    });
}

Status Engine::allEvents(std::vector<EventRecord>& out) {
    for (auto& s : impl_->services) {
        FLOW_RT_TRY(impl_->eventsOf(
            s, [](const Envelope&) { return true; }, out));
    }
    return Status::ok();
}

std::uint64_t Engine::lateEvents() const {
    std::uint64_t n = 0;
    for (const auto& s : impl_->services) {
        for (const auto& fn : s.lateCounters) {
            n += fn();
        }
    }
    return n;
}

}  // namespace flow::rt
