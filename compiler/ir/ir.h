// ir/ir.h - the Flow IR: a plan per service (data the runtime executes) and typed kernels
// (the per-event code both backends compile to the same ABI, flow/rt/abi.h).
//
// Kernels are small typed trees: statements over expressions that read the fields of
// their argument rows, look rows up in tables and call the standard library. Rows are
// laid out by `Layout` exactly as the ABI says, so a C++ struct, an LLVM struct type
// and the runtime agree on every offset.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace flow::ir {

// ---- Types and layouts ---------------------------------------------------------------

enum class Scalar : std::uint8_t { Bool, Int, Float, String, Timestamp, Duration, Enum };

/// A scalar (possibly optional), or a reference to a row of a layout (possibly absent:
/// the result of a table lookup or a query).
struct Type {
    enum class Kind : std::uint8_t { Scalar, Row } kind = Kind::Scalar;
    Scalar scalar = Scalar::Int;
    bool optional = false;
    std::int32_t enumId = -1;  // for Scalar::Enum
    std::int32_t layout = -1;  // for rows

    static Type of(Scalar s, bool opt = false, std::int32_t enumId = -1) {
        Type t;
        t.scalar = s;
        t.optional = opt;
        t.enumId = enumId;
        return t;
    }
    static Type row(std::int32_t layout, bool opt) {
        Type t;
        t.kind = Kind::Row;
        t.layout = layout;
        t.optional = opt;
        return t;
    }
    bool isRow() const { return kind == Kind::Row; }
    bool is(Scalar s) const { return kind == Kind::Scalar && scalar == s; }
    Type nonOptional() const {
        Type t = *this;
        t.optional = false;
        return t;
    }
    friend bool operator==(const Type&, const Type&) = default;
};

const char* scalarName(Scalar s);

struct Field {
    std::string name;
    Type type;  // a scalar type
    std::uint32_t offset = 0;
    bool hasDefault = false;  // an event field declared with `= value`
};

/// The ABI layout (abi.h): fields in order at their natural alignment (bool 1; int,
/// timestamp, duration, enum as int64 8; float as double 8; string as FlowStr 16); an
/// optional field is a presence byte followed by the value at its alignment; the size
/// is a multiple of 8.
struct Layout {
    std::int32_t id = -1;
    std::string name;  // "Orders.OrderPlaced.v2", "Orders.OrderStatus.key"
    std::vector<Field> fields;
    std::uint32_t size = 0;

    int find(const std::string& field) const;
};

/// Fills in offsets and the size.
void computeLayout(Layout& l);
std::uint32_t sizeOf(const Type& t);
std::uint32_t alignOf(const Type& t);

struct Enum {
    std::int32_t id = -1;
    std::string name;  // "Orders.OrderState"
    std::vector<std::string> values;
};

// ---- Kernel code ----------------------------------------------------------------------

enum class Op : std::uint8_t {
    Const,       // `constant` (bool, int, float, string; timestamps, durations, enums are ints)
    None,        // the absent value of an optional type
    Arg,         // field `field` of argument `arg`
    Env,         // envelope field `field` (EnvField) of argument `arg` (an event)
    Lookup,      // the row of table `table` whose key is args[0..] (Row type, optional)
    Query,       // call query `query` with args (tests only); Row or scalar result
    RowField,    // field `field` of row args[0]; if absent: default or none, see `orDefault`
    RowPresent,  // args[0] (an optional row) is present
    RowEq,       // args[0] and args[1] are present and equal rows (all fields), or both absent
    IsNone,      // args[0] (an optional scalar) is none
    Wrap,        // args[0] (T) as T?
    Unwrap,      // args[0] (T?) as T, known present
    Not,
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,  // short-circuit
    Or,   // short-circuit
    ToFloat,
    Coalesce,  // args[0] (T?) if present, else args[1]
    Matches,   // args[0] (an optional row) is present and field fields[i] == args[i + 1]
    Call,      // standard library function `callee`: the symbol flowrt_<callee>
};

enum class EnvField : std::uint8_t { Id, Time, Seq, Causation, Correlation, Version };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Const {
    bool b = false;
    std::int64_t i = 0;
    double f = 0;
    std::string s;
};

struct Expr {
    Op op = Op::Const;
    Type type;
    std::vector<ExprPtr> args;
    std::int32_t arg = -1;
    std::int32_t field = -1;
    std::int32_t table = -1;
    std::int32_t query = -1;
    bool orDefault = false;  // RowField of an absent row gives the field's default
    Const constant;
    std::string callee;
    std::vector<std::int32_t> fields;  // Matches
    std::int32_t site = -1;            // Program::sites: where a runtime error is reported
};

enum class StmtOp : std::uint8_t {
    Set,      // field `field` of argument `arg` = value
    If,       // cond ? then : otherwise
    Require,  // unless cond: reject with message (commands)
    Emit,     // emit event `event` with one value per field of its layout
    Delete,   // delete the row being updated (fold handlers)
    Return,   // predicates: return value (true: FLOW_OK, false: FLOW_FALSE)
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
    StmtOp op = StmtOp::Set;
    std::int32_t arg = -1;
    std::int32_t field = -1;
    std::int32_t event = -1;
    ExprPtr value;                // Set, Return, Require (message), If (cond)
    ExprPtr cond;                 // Require
    std::vector<ExprPtr> values;  // Emit, one per field
    std::vector<StmtPtr> then;
    std::vector<StmtPtr> otherwise;
    std::int32_t site = -1;
};

enum class KernelKind : std::uint8_t {
    Defaults,    // out: a row with every field at its default
    Handler,     // in: event, envelope, in/out: table row. Returns FLOW_DELETE to delete
    Key,         // in: row(s) [, envelope]; out: key row
    Reaction,    // in: event, envelope; emits
    Command,     // in: parameters; requires and emits
    Predicate,   // in: row(s); returns FLOW_OK (true) or FLOW_FALSE
    Project,     // in: row(s) [, envelope]; out: row
    QueryExpr,   // in: parameters; out: a one-field row with the result
    Upcast,      // in: old version; out: new version
    TestExpect,  // no input; returns FLOW_OK or FLOW_FALSE
};

const char* kernelKindName(KernelKind k);

struct KernelArg {
    std::string name;          // for readable generated code: "e", "row", "key", "out"
    std::int32_t layout = -1;  // -1 for the envelope
    bool envelope = false;
    bool writable = false;
    bool optional = false;  // may be null (the right side of a left join)
};

struct Kernel {
    std::int32_t id = -1;
    std::string
        name;  // unique, an identifier's characters only: "Stock_Inventory_on_StockAdjusted"
    KernelKind kind = KernelKind::Project;
    std::vector<KernelArg> args;
    std::vector<StmtPtr> body;
    std::string origin;  // "Stock.Inventory: on StockAdjusted (shop.flow:31)"
};

/// Whether a kernel is a pure function of its arguments: it reads no table (lookups,
/// queries) and has no operation that may raise a runtime error (int arithmetic, which
/// may overflow or divide by zero, string arithmetic, calls into the standard library),
/// and neither requires nor emits. The runtime may call such a kernel whenever it likes
/// and get the same row, e.g. to project a grouped view's row when it is read rather
/// than at each event.
bool isPure(const Kernel& k);
/// Whether a kernel reads an event's id, causation or correlation (`e.id`, ...): the
/// runtime formats them as text for kernels only when some kernel does.
bool readsEventIds(const Kernel& k);

/// One field a copy kernel copies (fieldCopies, after Program): field `field` of argument
/// `arg` into field `out` of its output row.
struct FieldCopy {
    std::int32_t out = -1;
    std::int32_t arg = -1;
    std::int32_t field = -1;
    friend bool operator==(const FieldCopy&, const FieldCopy&) = default;
};

/// A source position for runtime errors ("Orders.PlaceOrder at shop.flow:140").
struct Site {
    std::string service;
    std::string where;  // "command PlaceOrder", "table Inventory: on StockAdjusted"
    std::string file;
    std::uint32_t line = 0;
};

// ---- The plan ------------------------------------------------------------------------

struct EventVersion {
    std::int32_t version = 1;
    std::int32_t layout = -1;
    std::int32_t upcast = -1;    // kernel: previous version -> this one
    std::int32_t defaults = -1;  // kernel: a row of defaults (for missing JSON fields)
};

struct Event {
    std::int32_t id = -1;
    std::int32_t service = -1;  // the owner
    std::string name;           // "Orders.OrderPlaced"
    bool stream = false;
    std::vector<EventVersion> versions;  // ascending; handlers see the last
    std::int32_t keyField = -1;          // in the last version's layout
    std::int32_t keyLayout = -1;         // a one-field layout holding the key
};

struct Table {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;  // "Stock.Inventory"
    bool view = false;
    bool windowed = false;
    std::int32_t keyLayout = -1;  // the key columns, in key order
    std::int32_t rowLayout = -1;  // every column (fold tables: keys first)
    /// For each key column, its field in the row (-1: an unselected group key).
    std::vector<std::int32_t> keyInRow;
    std::int32_t defaults = -1;  // kernel: a row of defaults (fold tables)
};

/// `on E e [by ...] { ... }` in a fold table.
struct Handler {
    std::int32_t table = -1;
    std::int32_t event = -1;
    std::int32_t key = -1;     // kernel (event, envelope) -> key; -1: the event's key
    std::int32_t kernel = -1;  // (event, envelope, row)
};

struct Reaction {
    std::int32_t event = -1;
    std::int32_t kernel = -1;
};

enum class SourceKind : std::uint8_t { Event, Table };
enum class JoinKind : std::uint8_t { Inner, Left };
enum class AggKind : std::uint8_t { Count, Sum, Min, Max, Avg, First, Last };
enum class WindowKind : std::uint8_t { None, Tumbling, Hopping, Session };

const char* aggKindName(AggKind k);

struct Source {
    SourceKind kind = SourceKind::Event;
    std::int32_t id = -1;  // event or table
    std::string alias;
};

struct Join {
    JoinKind kind = JoinKind::Inner;
    Source source;
    std::int64_t withinMicros = -1;  // stream-stream only
    /// Kernels computing the join key (a row of `keyLayout`) from the earlier sources
    /// (`leftKey`) and from the joined source (`rightKey`). For a table on the right the
    /// key is its own key, so `rightKey` is -1.
    std::int32_t keyLayout = -1;
    std::int32_t leftKey = -1;
    std::int32_t rightKey = -1;
};

struct Aggregate {
    AggKind kind = AggKind::Count;
    Type type;                   // of the result
    std::int32_t argField = -1;  // in the aggregate-arguments row
};

/// A stream or a view table: a query run incrementally.
struct Derived {
    bool stream = false;
    std::int32_t target = -1;  // event id (stream) or table id (view)
    std::int32_t service = -1;
    std::vector<Source> sources;  // sources[0] is the `from`, then one per join
    std::vector<Join> joins;
    std::int32_t where = -1;  // predicate over the source rows
    WindowKind window = WindowKind::None;
    std::int64_t sizeMicros = 0, everyMicros = 0, graceMicros = 0;
    std::int32_t groupKey = -1;  // kernel: sources -> group key row (views with group by)
    std::int32_t aggArgs = -1;   // kernel: sources -> one field per aggregate argument
    std::int32_t aggArgsLayout = -1;
    std::vector<Aggregate> aggregates;
    /// kernel: (sources..., [group key, aggregate results, window]) -> output row
    std::int32_t project = -1;
    std::int32_t aggLayout = -1;  // aggregate results as a row, input of `project`
    std::int32_t site = -1;       // Program::sites: the declaration, for operator errors
};

struct Command {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;          // "Orders.PlaceOrder"
    std::int32_t params = -1;  // layout
    std::int32_t kernel = -1;
};

struct Query {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;
    std::int32_t params = -1;  // layout
    // `= expr`: a kernel writing the one-field result row
    std::int32_t kernel = -1;
    std::int32_t result = -1;  // layout of the result row
    Type resultType;           // the expression's type (row results: Type::row)
    // `= from T ...`: a scan
    std::int32_t table = -1;
    std::int32_t where = -1;    // predicate (params, row)
    std::int32_t orderBy = -1;  // kernel (params, row) -> one-field row
    bool descending = false;
    std::int32_t limit = -1;      // kernel (params) -> one int field; -1: no limit
    std::int32_t project = -1;    // kernel (params, row) -> result row; -1: the whole row
    std::int32_t rowLayout = -1;  // layout of each result row
};

struct Service {
    std::int32_t id = -1;
    std::string name;
    std::string module;
    std::vector<std::int32_t> events;  // owned events and streams
    std::vector<std::int32_t> tables;
    std::vector<Handler> handlers;
    std::vector<Reaction> reactions;
    std::vector<Derived> derived;  // in dependency order
    std::vector<std::int32_t> commands;
    std::vector<std::int32_t> queries;
    std::vector<std::int32_t> consumes;  // events and streams read, by id
};

enum class StepKind : std::uint8_t { Given, When, ExpectEmitted, Expect, Advance };
enum class Outcome : std::uint8_t { Unchecked, Accepted, Rejected };

struct TestStep {
    StepKind kind = StepKind::Expect;
    std::uint32_t line = 0;
    std::string text;           // the step as written (for failure messages)
    std::int32_t event = -1;    // given, expect emitted
    std::int32_t version = -1;  // given: index into the event's versions
    std::int32_t command = -1;  // when
    std::int32_t row = -1;      // kernel: () -> the given event's or command's row
    bool hasAt = false;         // given ... at T
    std::int64_t atMicros = 0;  // T
    Outcome outcome = Outcome::Unchecked;
    bool hasReason = false;
    std::string reason;
    std::int32_t match = -1;   // expect emitted: predicate (event row); -1 matches all
    std::int64_t count = -1;   // expect emitted ... count N; -1: at least one
    std::int32_t expect = -1;  // expect EXPR: kernel
    std::int64_t advanceMicros = 0;
};

struct Test {
    std::string name;
    std::string file;
    std::uint32_t line = 0;
    std::vector<TestStep> steps;
};

struct Program {
    std::string source;  // the root file, as given
    std::vector<Layout> layouts;
    std::vector<Enum> enums;
    std::vector<Event> events;
    std::vector<Table> tables;
    std::vector<Command> commands;
    std::vector<Query> queries;
    std::vector<Service> services;
    std::vector<Kernel> kernels;
    std::vector<Site> sites;
    std::vector<Test> tests;
};

/// The fields a key or projection kernel copies, when that is all it does: each
/// statement sets a field of its output row to a field of an input row of the same
/// type (`group by s.customer`, `sum(s.amount)`, a join on `o.product`). Empty for any
/// other kernel. The runtime copies them without calling the kernel (its output row is
/// zeroed before either), so both backends run such kernels the same way.
std::vector<FieldCopy> fieldCopies(const Program& p, const Kernel& k);

}  // namespace flow::ir
