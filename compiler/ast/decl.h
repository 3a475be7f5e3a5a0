// ast/decl.h - statements, queries and declarations: services, events, tables, tests.
#pragma once

#include "ast/expr.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flow::ast {

// ---- Statements -------------------------------------------------------------------

enum class StmtKind : std::uint8_t { If, Require, Emit, Assign, Delete };
enum class AssignOp : std::uint8_t { Set, Add, Sub };
const char* spelling(AssignOp op);

struct Stmt {
    Stmt(StmtKind k, SourceRange r) : kind(k), range(r) {}
    virtual ~Stmt() = default;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    const StmtKind kind;
    SourceRange range;
};
using StmtPtr = std::unique_ptr<Stmt>;

template <typename T>
const T* dynCast(const Stmt* s) {
    return s && s->kind == T::kKind ? static_cast<const T*>(s) : nullptr;
}

struct Block {
    std::vector<StmtPtr> stmts;
    SourceRange range;
};

struct IfStmt : Stmt {
    static constexpr StmtKind kKind = StmtKind::If;
    explicit IfStmt(SourceRange r) : Stmt(kKind, r) {}
    ExprPtr cond;
    Block then;
    std::optional<Block> otherwise;
    /// `else if`: `otherwise` holds exactly the one nested IfStmt.
    bool elseIf = false;
};

struct RequireStmt : Stmt {
    static constexpr StmtKind kKind = StmtKind::Require;
    explicit RequireStmt(SourceRange r) : Stmt(kKind, r) {}
    ExprPtr cond;
    ExprPtr message;
};

struct EmitStmt : Stmt {
    static constexpr StmtKind kKind = StmtKind::Emit;
    explicit EmitStmt(SourceRange r) : Stmt(kKind, r) {}
    QualifiedName event;
    RecordLit fields;
};

struct AssignStmt : Stmt {
    static constexpr StmtKind kKind = StmtKind::Assign;
    explicit AssignStmt(SourceRange r) : Stmt(kKind, r) {}
    Ident target;
    AssignOp op = AssignOp::Set;
    ExprPtr value;
};

struct DeleteStmt : Stmt {
    static constexpr StmtKind kKind = StmtKind::Delete;
    explicit DeleteStmt(SourceRange r) : Stmt(kKind, r) {}
};

// ---- Queries ----------------------------------------------------------------------

struct Source {
    QualifiedName name;
    std::optional<Ident> alias;
    SourceRange range;
};

struct JoinClause {
    bool left = false;
    Source source;
    ExprPtr on;
    ExprPtr within;  // null without `within`
    SourceRange range;
};

enum class WindowKind : std::uint8_t { Tumbling, Hopping, Session };

struct WindowClause {
    WindowKind kind = WindowKind::Tumbling;
    ExprPtr size;   // tumbling/hopping size, session gap
    ExprPtr every;  // hopping only
    ExprPtr grace;  // optional
    SourceRange range;
};

struct SelectItem {
    bool isKey = false;
    Ident name;
    ExprPtr value;  // null when punned
    SourceRange range;
};

struct SelectClause {
    std::vector<SelectItem> items;
    SourceRange range;
};

/// `from SOURCE a [join ...] [where] [window] [group by] [select] [order by] [limit]`
struct Query {
    Source from;
    std::vector<JoinClause> joins;
    ExprPtr where;
    std::optional<WindowClause> window;
    std::vector<ExprPtr> groupBy;
    SourceRange groupByRange;
    std::optional<SelectClause> select;
    ExprPtr orderBy;
    bool descending = false;
    SourceRange orderByRange;
    ExprPtr limit;
    SourceRange range;
};

// ---- Declarations -----------------------------------------------------------------

enum class DeclKind : std::uint8_t {
    Service,
    Enum,
    Event,
    Upcast,
    FoldTable,
    ViewTable,
    Stream,
    Command,
    Query,
    Reaction,
    Test,
    Builtin,
};

struct Decl {
    Decl(DeclKind k, SourceRange r) : kind(k), range(r) {}
    virtual ~Decl() = default;
    Decl(const Decl&) = delete;
    Decl& operator=(const Decl&) = delete;
    const DeclKind kind;
    SourceRange range;
};
using DeclPtr = std::unique_ptr<Decl>;

template <typename T>
const T* dynCast(const Decl* d) {
    return d && T::matches(d->kind) ? static_cast<const T*>(d) : nullptr;
}

struct FieldDecl {
    bool isKey = false;
    SourceRange keyRange;
    Ident name;
    TypeRef type;
    ExprPtr defaultValue;  // null without a default
    SourceRange range;
};

struct Param {
    Ident name;
    TypeRef type;
    SourceRange range;
};

struct EnumDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Enum; }
    explicit EnumDecl(SourceRange r) : Decl(DeclKind::Enum, r) {}
    Ident name;
    std::vector<Ident> values;
};

struct EventDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Event; }
    explicit EventDecl(SourceRange r) : Decl(DeclKind::Event, r) {}
    Ident name;
    int version = 1;
    bool versionWritten = false;
    SourceRange versionRange;
    std::vector<FieldDecl> fields;
};

struct UpcastDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Upcast; }
    explicit UpcastDecl(SourceRange r) : Decl(DeclKind::Upcast, r) {}
    Ident event;
    int fromVersion = 1;
    int toVersion = 2;
    SourceRange fromRange;
    SourceRange toRange;
    Block body;
};

/// `on E e [by k, ...] { ... }` in a table, or a reaction at service level.
struct Handler {
    QualifiedName event;
    std::optional<Ident> alias;
    std::vector<ExprPtr> by;
    Block body;
    SourceRange range;
};

struct TableDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::FoldTable || k == DeclKind::ViewTable; }
    TableDecl(DeclKind k, SourceRange r) : Decl(k, r) {}
    Ident name;
    bool isView() const { return kind == DeclKind::ViewTable; }
    // Fold tables:
    std::vector<Param> keys;
    std::vector<FieldDecl> fields;
    std::vector<Handler> handlers;
    // View tables:
    std::unique_ptr<Query> query;
};

struct StreamDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Stream; }
    explicit StreamDecl(SourceRange r) : Decl(DeclKind::Stream, r) {}
    Ident name;
    std::unique_ptr<Query> query;
};

struct CommandDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Command; }
    explicit CommandDecl(SourceRange r) : Decl(DeclKind::Command, r) {}
    Ident name;
    std::vector<Param> params;
    Block body;
};

struct QueryDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Query; }
    explicit QueryDecl(SourceRange r) : Decl(DeclKind::Query, r) {}
    Ident name;
    std::vector<Param> params;
    std::unique_ptr<Query> query;  // `= from ...`
    ExprPtr expr;                  // `= expr`
};

struct ReactionDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Reaction; }
    explicit ReactionDecl(SourceRange r) : Decl(DeclKind::Reaction, r) {}
    Handler handler;
};

enum class StepKind : std::uint8_t { Given, When, ExpectEmitted, Expect, Advance };
enum class Outcome : std::uint8_t { Unchecked, Accepted, Rejected };

struct TestStep {
    StepKind kind = StepKind::Expect;
    SourceRange range;
    QualifiedName target;        // given/when/expect emitted
    std::optional<int> version;  // given Svc.Event v1
    SourceRange versionRange;
    std::optional<RecordLit> record;
    ExprPtr value;  // given ... at T; expect EXPR; advance time D; emitted count N
    Outcome outcome = Outcome::Unchecked;  // when ... expect accepted|rejected
    std::optional<std::string> reason;     // expect rejected "reason"
    SourceRange outcomeRange;
};

struct TestDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Test; }
    explicit TestDecl(SourceRange r) : Decl(DeclKind::Test, r) {}
    std::string name;
    SourceRange nameRange;
    std::vector<TestStep> steps;
};

struct ServiceDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Service; }
    explicit ServiceDecl(SourceRange r) : Decl(DeclKind::Service, r) {}
    Ident name;
    std::vector<DeclPtr> members;  // in source order
};

/// `builtin name(params) -> type;` in stdlib/ only.
struct BuiltinDecl : Decl {
    static bool matches(DeclKind k) { return k == DeclKind::Builtin; }
    explicit BuiltinDecl(SourceRange r) : Decl(DeclKind::Builtin, r) {}
    Ident name;
    std::vector<Param> params;
    TypeRef result;
};

// ---- Files and programs -------------------------------------------------------------

struct Import {
    std::string path;  // as written
    SourceRange range;
    FileId resolved = 0;  // set by the loader; 0 if it could not be opened
};

struct Comment {
    SourceRange range;
    std::string text;  // as written, including `//` or `/* */`
};

struct File {
    FileId id = 0;
    std::optional<Ident> module;
    std::string moduleName;  // declared, or the file's base name
    std::vector<Import> imports;
    std::vector<DeclPtr> decls;  // services, top-level tests, builtins
    std::vector<Comment> comments;
    bool isStdlib = false;
    /// Every expression of the file, in creation order (not owned): lets the loader
    /// renumber expression ids after parsing files in parallel.
    std::vector<Expr*> exprs;
};

/// Every file of one compilation: the root file first, then imports in load order,
/// then the embedded standard library.
struct Program {
    std::vector<std::unique_ptr<File>> files;
    std::uint32_t exprCount = 0;
};

}  // namespace flow::ast
