// sema/analyzer.h - the semantic analyser's internals, shared by the sema/*.cpp files.
#pragma once

#include "ast/decl.h"
#include "sema/symbols.h"
#include "support/diagnostic_engine.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace flow::sema {

/// Where an expression or statement appears: it decides what may be read, assigned
/// and emitted there.
enum class Site : std::uint8_t {
    Constant,  // field defaults, window sizes, test literals
    Handler,   // `on E e { ... }` in a fold table
    Reaction,  // `on E e { ... }` at service level
    Command,
    Query,    // a query declaration
    Derived,  // the query of a view table or stream
    Upcast,
    Test,
};

struct Var {
    std::string name;
    Type type;
    RefKind kind = RefKind::Variable;  // Variable or Field
    int index = -1;
    bool assignable = false;
    bool isKey = false;
    const void* source = nullptr;  // the EventInfo/TableInfo an alias ranges over
    bool sourceIsTable = false;
    SourceRange range;
};

class Scope {
public:
    explicit Scope(const Scope* parent = nullptr) : parent_(parent) {}
    void add(Var v) { vars_.push_back(std::move(v)); }
    const Var* find(const std::string& name) const;
    void names(std::vector<std::string>& out) const;
    const std::vector<Var>& vars() const { return vars_; }

private:
    const Scope* parent_;
    std::vector<Var> vars_;
};

struct Ctx {
    ServiceInfo* service = nullptr;
    Site site = Site::Constant;
    const Scope* scope = nullptr;
    const char* siteName = "an expression";  // for E0406/E0403: "a command"
    const TableInfo* table = nullptr;        // the fold table a handler updates
    std::string upcastTarget;                // in an upcast: "S.E v2", the event it writes
    bool aggregatesAllowed = false;          // a grouped select
    bool windowAllowed = false;              // a windowed select
    bool inAggregate = false;
    std::vector<const EventInfo*>* emits = nullptr;
};

/// What a name, a member or a call's callee resolves to.
struct Resolved {
    enum class Kind : std::uint8_t {
        Value,
        Service,
        Enum,
        Table,
        Query,
        Event,
        Command,
        Builtin,
        Aggregate,
        Window,
        Failed
    };
    Kind kind = Kind::Failed;
    Type type;
    const void* info = nullptr;
    std::string name;
};

class Analyzer {
public:
    Analyzer(const ast::Program& program, DiagnosticEngine& diags, SemaResult& result);
    void run();

    // ---- sema.cpp: declarations and signatures
    void declareBuiltins();
    void declareServices();
    void declareMember(ServiceInfo& s, const ast::Decl& d);
    void addSymbol(ServiceInfo& s, const std::string& name, SymbolKind kind, void* info,
                   SourceRange range);
    void resolveSignatures();
    void resolveEvent(EventInfo& e);
    void resolveFoldTable(TableInfo& t);
    Type resolveType(const ast::TypeRef& ref, ServiceInfo* service, bool allowVar = false);
    std::vector<Column> resolveParams(const std::vector<ast::Param>& params, ServiceInfo* service);
    void checkDefaults(const RowType& row, ServiceInfo* service);
    const EnumInfo* findEnum(const ast::QualifiedName& name, ServiceInfo* service);

    // ---- check_exprs.cpp: expressions
    Type check(const ast::Expr& e, Ctx& ctx, const Type* expected = nullptr);
    /// Checks `e` and reports E0301 unless its type can be stored as `want`.
    Type expect(const ast::Expr& e, Ctx& ctx, const Type& want);
    Type expectArithmetic(const ast::Expr& e, Ctx& ctx, const Type& want);
    Resolved resolve(const ast::Expr& e, Ctx& ctx, const Type* expected);
    Resolved resolveName(const ast::NameExpr& e, Ctx& ctx, const Type* expected);
    Resolved resolveMember(const ast::MemberExpr& e, Ctx& ctx, const Type* expected);
    Type memberOfValue(const ast::MemberExpr& e, const Type& base, bool lookup);
    Type checkIndex(const ast::IndexExpr& e, Ctx& ctx);
    Type checkCall(const ast::CallExpr& e, Ctx& ctx);
    /// Reports (E0201) a call of a function or query that does not exist; true if it did.
    bool unknownCallee(const ast::CallExpr& e, const Ctx& ctx);
    Type checkAggregate(const ast::CallExpr& e, const std::string& name, Ctx& ctx);
    Type checkBuiltinCall(const ast::CallExpr& e, const std::string& name, Ctx& ctx);
    Type checkBinary(const ast::BinaryExpr& e, Ctx& ctx);
    Type checkMatches(const ast::MatchesExpr& e, Ctx& ctx);
    Type checkPunned(const ast::Ident& name, Ctx& ctx);
    bool isConstant(const ast::Expr& e) const;
    /// The value of a constant duration expression (`1h`, `-5m`, `2 * 30m`), or nullopt
    /// if it is not one or overflows.
    std::optional<std::int64_t> constDuration(const ast::Expr& e) const;
    Type record(const ast::Expr& e, Type t, Ref ref = {});
    void unknownName(const std::string& what, const std::string& name, SourceRange range,
                     std::vector<std::string> candidates);
    void candidatesInScope(const Ctx& ctx, std::vector<std::string>& out) const;
    /// Checks a record literal against `row`: fields exist, types fit, no field twice,
    /// and (if `complete`) every field without a default is given.
    void checkRecord(const ast::RecordLit& rec, const RowType& row, Ctx& ctx, bool complete,
                     const std::string& what, const std::string& target);
    void checkParamsRecord(const ast::RecordLit& rec, const std::vector<Column>& params, Ctx& ctx,
                           const std::string& target);
    static bool sameExpr(const ast::Expr& a, const ast::Expr& b);
    std::string sourceText(const ast::Expr& e) const;

    // ---- check_decls.cpp: statements, handlers, commands, queries, derived, tests
    void checkBlock(const ast::Block& b, Ctx& ctx);
    void checkStmt(const ast::Stmt& s, Ctx& ctx);
    void checkEmit(const ast::EmitStmt& s, Ctx& ctx);
    void checkAssign(const ast::AssignStmt& s, Ctx& ctx);
    void checkFoldHandlers(TableInfo& t);
    void checkReaction(ReactionInfo& r);
    void checkCommand(CommandInfo& c);
    void checkQueryDecl(QueryInfo& q);
    void checkUpcast(ServiceInfo& s, const ast::UpcastDecl& u);
    void checkTest(const TestInfo& t);
    /// Resolves `on E` / `from E` / `given E`: an event or stream of any service.
    const EventInfo* resolveEventName(const ast::QualifiedName& name, ServiceInfo* service,
                                      bool subscribe, bool tablesAllowed = false,
                                      const TableInfo** table = nullptr);
    const CommandInfo* resolveCommandName(const ast::QualifiedName& name, ServiceInfo* service);
    void checkDerived();
    void checkStream(EventInfo& s);
    void checkView(TableInfo& t);
    struct QueryShape;
    bool checkQuery(const ast::Query& q, ServiceInfo& service, Site site, const Scope* params,
                    QueryShape& shape);
    void checkJoinCondition(const ast::Expr& on, const std::vector<std::string>& earlier,
                            const std::string& right, const TableInfo* rightTable, Ctx& ctx);
    void collectAliases(const ast::Expr& e, std::set<std::string>& out) const;

    // ---- check_rules.cpp: evolution, cycles
    void linkUpcasts(ServiceInfo& s);
    void checkEvolution(EventInfo& e);
    std::vector<const void*> derivedSources(const void* item, bool isTable);
    void orderDerived();

    const ast::Program& program_;
    DiagnosticEngine& diags_;
    SemaResult& result_;
    std::map<std::string, std::vector<BuiltinInfo*>> builtins_;
    std::vector<std::pair<const void*, bool>> derived_;  // (info, isTable) in source order
    std::map<const void*, bool> derivedIsTable_;         // the same, for lookups
    std::set<const void*> badDerived_;                   // in a cycle or with errors
    std::map<std::string, SourceRange> testNames_;
    /// Upcasts that name a real pair of versions: the versions they read and write.
    std::map<const ast::UpcastDecl*, std::pair<const EventVersion*, const EventVersion*>> upcasts_;
};

/// The query shape: its sources, its result row and key.
struct Analyzer::QueryShape {
    struct Src {
        std::string alias;
        const EventInfo* event = nullptr;
        const TableInfo* table = nullptr;
        bool optional = false;  // the right side of a left join
    };
    std::vector<Src> sources;
    RowType row;
    std::vector<Type> keyTypes;
    std::vector<std::string> keyNames;
    bool grouped = false;
    bool windowed = false;
    std::unique_ptr<Scope> scope;
};

const char* describeKind(SymbolKind k);  // "a table"
const char* kindNoun(SymbolKind k);      // "table"

}  // namespace flow::sema
