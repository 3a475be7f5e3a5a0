// flow/rt/plan.h - the program as the runtime executes it: layouts, events, tables,
// services and their operators, commands, queries and tests, with kernels by index.
//
// The compiler writes it as JSON (codegen/plan_writer) next to the compiled kernels;
// `parsePlan` reads it back. The JSON mirrors these structs field for field (names in
// camelCase, ids as integers, -1 for "none"), under {"format": "flow-plan", "version": 1}.
// Keep ir/ir.h's plan half, this file and the writer in step.
#pragma once

#include "flow/rt/abi.h"
#include "flow/rt/status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flow::rt::plan {

inline constexpr int kPlanVersion = 1;

enum class Scalar : std::uint8_t { Bool, Int, Float, String, Timestamp, Duration, Enum };

struct Type {
    bool row = false;
    Scalar scalar = Scalar::Int;
    bool optional = false;
    std::int32_t enumId = -1;
    std::int32_t layout = -1;  // row types
};

struct Field {
    std::string name;
    Type type;
    std::uint32_t offset = 0;
    bool hasDefault = false;  // declared with `= value`: input may leave it out
};

struct Layout {
    std::int32_t id = -1;
    std::string name;
    std::vector<Field> fields;
    std::uint32_t size = 0;
    int find(std::string_view field) const;
};

struct Enum {
    std::string name;
    std::vector<std::string> values;
};

enum class KernelKind : std::uint8_t {
    Defaults,
    Handler,
    Key,
    Reaction,
    Command,
    Predicate,
    Project,
    QueryExpr,
    Upcast,
    TestExpect
};

struct KernelArg {
    std::string name;
    std::int32_t layout = -1;
    bool envelope = false;
    bool writable = false;
    bool optional = false;
};

/// A field a copy kernel copies (Kernel::copies): field `field` of argument `arg` into
/// field `out` of its output row (its one writable argument), of the same type.
struct FieldCopy {
    std::int32_t out = -1;
    std::int32_t arg = -1;
    std::int32_t field = -1;
};

struct Kernel {
    std::int32_t id = -1;
    std::string name;  // the symbol's name in the generated code
    KernelKind kind = KernelKind::Project;
    std::vector<KernelArg> args;
    /// A pure function of its arguments (ir::isPure: no table reads, nothing that may
    /// fail, no requires, no emits): the runtime may call it when it likes, e.g. to
    /// project a grouped view's row when it is read.
    bool pure = false;
    /// It reads an event's id, causation or correlation (ir::readsEventIds). A plan
    /// without the field says so for every kernel.
    bool ids = true;
    std::string origin;
    /// When all it does is copy fields of its inputs into its output row (ir::fieldCopies:
    /// `group by s.customer`, `sum(s.amount)`, a join on `o.product`), the fields: the
    /// runtime copies them instead of calling it. Empty for other kernels, and in plans
    /// written before the field.
    std::vector<FieldCopy> copies;
};

struct Site {
    std::string service;
    std::string where;
    std::string file;
    std::uint32_t line = 0;
};

struct EventVersion {
    std::int32_t version = 1;
    std::int32_t layout = -1;
    std::int32_t upcast = -1;
    std::int32_t defaults = -1;
};

struct Event {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;
    bool stream = false;
    std::vector<EventVersion> versions;
    std::int32_t keyField = -1;
    std::int32_t keyLayout = -1;
};

struct Table {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;
    bool view = false;
    bool windowed = false;
    std::int32_t keyLayout = -1;
    std::int32_t rowLayout = -1;
    std::vector<std::int32_t> keyInRow;
    std::int32_t defaults = -1;
};

struct Handler {
    std::int32_t table = -1;
    std::int32_t event = -1;
    std::int32_t key = -1;
    std::int32_t kernel = -1;
};

struct Reaction {
    std::int32_t event = -1;
    std::int32_t kernel = -1;
};

enum class SourceKind : std::uint8_t { Event, Table };
enum class JoinKind : std::uint8_t { Inner, Left };
enum class AggKind : std::uint8_t { Count, Sum, Min, Max, Avg, First, Last };
enum class WindowKind : std::uint8_t { None, Tumbling, Hopping, Session };

struct Source {
    SourceKind kind = SourceKind::Event;
    std::int32_t id = -1;
    std::string alias;
};

struct Join {
    JoinKind kind = JoinKind::Inner;
    Source source;
    std::int64_t withinMicros = -1;
    std::int32_t keyLayout = -1;
    std::int32_t leftKey = -1;
    std::int32_t rightKey = -1;
};

struct Aggregate {
    AggKind kind = AggKind::Count;
    Type type;
    std::int32_t argField = -1;
};

struct Derived {
    bool stream = false;
    std::int32_t target = -1;
    std::int32_t service = -1;
    std::vector<Source> sources;
    std::vector<Join> joins;
    std::int32_t where = -1;
    WindowKind window = WindowKind::None;
    std::int64_t sizeMicros = 0;
    std::int64_t everyMicros = 0;
    std::int64_t graceMicros = 0;
    std::int32_t groupKey = -1;
    std::int32_t aggArgs = -1;
    std::int32_t aggArgsLayout = -1;
    std::vector<Aggregate> aggregates;
    std::int32_t project = -1;
    std::int32_t aggLayout = -1;
    std::int32_t site = -1;  // Program::sites: where an operator's runtime error is reported
};

struct Command {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;
    std::int32_t params = -1;
    std::int32_t kernel = -1;
};

struct Query {
    std::int32_t id = -1;
    std::int32_t service = -1;
    std::string name;
    std::int32_t params = -1;
    std::int32_t kernel = -1;
    std::int32_t result = -1;
    Type resultType;
    std::int32_t table = -1;
    std::int32_t where = -1;
    std::int32_t orderBy = -1;
    bool descending = false;
    std::int32_t limit = -1;
    std::int32_t project = -1;
    std::int32_t rowLayout = -1;
};

struct Service {
    std::int32_t id = -1;
    std::string name;
    std::string module;
    std::vector<std::int32_t> events;
    std::vector<std::int32_t> tables;
    std::vector<Handler> handlers;
    std::vector<Reaction> reactions;
    std::vector<Derived> derived;
    std::vector<std::int32_t> commands;
    std::vector<std::int32_t> queries;
    std::vector<std::int32_t> consumes;
};

enum class StepKind : std::uint8_t { Given, When, ExpectEmitted, Expect, Advance };
enum class Outcome : std::uint8_t { Unchecked, Accepted, Rejected };

struct TestStep {
    StepKind kind = StepKind::Expect;
    std::uint32_t line = 0;
    std::string text;
    std::int32_t event = -1;
    std::int32_t version = -1;
    std::int32_t command = -1;
    std::int32_t row = -1;
    bool hasAt = false;  // given ... at atMicros
    std::int64_t atMicros = 0;
    Outcome outcome = Outcome::Unchecked;
    bool hasReason = false;
    std::string reason;
    std::int32_t match = -1;
    std::int64_t count = -1;
    std::int32_t expect = -1;
    std::int64_t advanceMicros = 0;
};

struct Test {
    std::string name;
    std::string file;
    std::uint32_t line = 0;
    std::vector<TestStep> steps;
};

struct Program {
    std::string source;
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

/// Reads a plan written by the compiler. Checks the format and version and that every
/// id is in range, so a damaged or mismatched plan is an error, never a crash.
Result<Program> parsePlan(std::string_view json);

/// A compiled program: its plan and its kernels, indexed as the plan's kernel ids.
struct CompiledProgram {
    std::string_view planJson;
    const FlowKernelFn* kernels = nullptr;
    std::size_t kernelCount = 0;
};

}  // namespace flow::rt::plan
