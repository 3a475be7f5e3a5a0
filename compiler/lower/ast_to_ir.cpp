// lower/ast_to_ir.cpp - the checked AST to the Flow IR (a plan per service plus kernels).
#include "lower/ast_to_ir.h"

#include "ast/visitor.h"
#include "sema/sema.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace flow::lower {

namespace {

using ir::ExprPtr;
using ir::Op;
using ir::StmtPtr;

/// What a name stands for inside a kernel.
struct Binding {
    enum class Kind : std::uint8_t { Row, Field } kind = Kind::Row;
    std::int32_t arg = -1;     // the row argument (Row), or the row holding the field
    std::int32_t envArg = -1;  // Row of an event: its envelope argument
    std::int32_t field = -1;   // Field
    ir::Type type;             // Row: row(layout, optional); Field: the field's type
};

/// The names visible while lowering one kernel.
struct Scope {
    std::vector<std::pair<std::string, Binding>> vars;  // later entries shadow earlier

    const Binding* find(const std::string& name) const {
        for (auto it = vars.rbegin(); it != vars.rend(); ++it) {
            if (it->first == name) {
                return &it->second;
            }
        }
        return nullptr;
    }
    void add(const std::string& name, Binding b) { vars.emplace_back(name, b); }
};

/// Grouped select items read the group key, the aggregates and the window from rows.
struct Grouping {
    const std::vector<ast::ExprPtr>* groupBy = nullptr;
    std::int32_t keyArg = -1;
    std::map<const ast::Expr*, std::int32_t> aggregates;  // call -> field of aggArg
    std::int32_t aggArg = -1;
    std::int32_t windowArg = -1;
};

struct Ctx {
    const sema::ServiceInfo* service = nullptr;
    Scope scope;
    std::int32_t site = -1;
    const Grouping* grouping = nullptr;
};

ExprPtr mk(Op op, ir::Type type) {
    auto e = std::make_unique<ir::Expr>();
    e->op = op;
    e->type = type;
    return e;
}

ExprPtr constInt(std::int64_t v, ir::Type type) {
    auto e = mk(Op::Const, type);
    e->constant.i = v;
    return e;
}

ExprPtr constBool(bool v) {
    auto e = mk(Op::Const, ir::Type::of(ir::Scalar::Bool));
    e->constant.b = v;
    return e;
}

ExprPtr unary(Op op, ir::Type type, ExprPtr a) {
    auto e = mk(op, type);
    e->args.push_back(std::move(a));
    return e;
}

ExprPtr binary(Op op, ir::Type type, ExprPtr a, ExprPtr b) {
    auto e = mk(op, type);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
}

StmtPtr stmt(ir::StmtOp op) {
    auto s = std::make_unique<ir::Stmt>();
    s->op = op;
    return s;
}

StmtPtr setField(std::int32_t arg, std::int32_t field, ExprPtr value) {
    auto s = stmt(ir::StmtOp::Set);
    s->arg = arg;
    s->field = field;
    s->value = std::move(value);
    return s;
}

std::string identifierOf(const std::string& s) {
    std::string out;
    for (char c : s) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out += ok ? c : '_';
    }
    return out;
}

/// The value of a constant expression sema accepted (literals, enum values, arithmetic).
std::optional<std::int64_t> constantValue(const ast::Expr& e) {
    switch (e.kind) {
    case ast::ExprKind::Int:
        return static_cast<const ast::IntLit&>(e).value;
    case ast::ExprKind::Duration:
        return static_cast<const ast::DurationLit&>(e).micros;
    case ast::ExprKind::Timestamp:
        return static_cast<const ast::TimestampLit&>(e).micros;
    case ast::ExprKind::Unary: {
        const auto& u = static_cast<const ast::UnaryExpr&>(e);
        auto v = constantValue(*u.operand);
        if (!v || u.op != ast::UnaryOp::Neg) {
            return std::nullopt;
        }
        return -*v;
    }
    case ast::ExprKind::Binary: {
        const auto& b = static_cast<const ast::BinaryExpr&>(e);
        auto l = constantValue(*b.lhs), r = constantValue(*b.rhs);
        if (!l || !r) {
            return std::nullopt;
        }
        switch (b.op) {
        case ast::BinaryOp::Add:
            return *l + *r;
        case ast::BinaryOp::Sub:
            return *l - *r;
        case ast::BinaryOp::Mul:
            return *l * *r;
        default:
            return std::nullopt;
        }
    }
    default:
        return std::nullopt;
    }
}

class Lowerer {
public:
    Lowerer(const ast::Program& program, const sema::SemaResult& sema, const SourceManager& sources)
        : ast_(program), sema_(sema), sources_(sources), out_(std::make_unique<ir::Program>()) {}

    std::unique_ptr<ir::Program> run();

private:
    // ---- Types, layouts and ids -------------------------------------------------------

    ir::Type scalarType(const sema::Type& t) {
        ir::Type out;
        switch (t.kind()) {
        case sema::TypeKind::Bool:
            out = ir::Type::of(ir::Scalar::Bool);
            break;
        case sema::TypeKind::Int:
            out = ir::Type::of(ir::Scalar::Int);
            break;
        case sema::TypeKind::Float:
            out = ir::Type::of(ir::Scalar::Float);
            break;
        case sema::TypeKind::String:
            out = ir::Type::of(ir::Scalar::String);
            break;
        case sema::TypeKind::Timestamp:
            out = ir::Type::of(ir::Scalar::Timestamp);
            break;
        case sema::TypeKind::Duration:
            out = ir::Type::of(ir::Scalar::Duration);
            break;
        case sema::TypeKind::Enum:
            out = ir::Type::of(ir::Scalar::Enum, false, enumIds_.at(t.enumInfo()));
            break;
        case sema::TypeKind::Row:
            return ir::Type::row(layoutOfRow(t.row()), t.isOptional());
        default:
            out = ir::Type::of(ir::Scalar::Int);
            break;
        }
        out.optional = t.isOptional();
        return out;
    }

    std::int32_t addLayout(const std::string& name,
                           const std::vector<std::pair<std::string, ir::Type>>& fields) {
        ir::Layout l;
        l.id = static_cast<std::int32_t>(out_->layouts.size());
        l.name = name;
        for (const auto& [n, t] : fields) {
            l.fields.push_back({n, t, 0});
        }
        ir::computeLayout(l);
        out_->layouts.push_back(std::move(l));
        return out_->layouts.back().id;
    }

    std::int32_t layoutFor(const std::string& name, const sema::RowType& row) {
        std::vector<std::pair<std::string, ir::Type>> fields;
        for (const sema::Column& c : row.columns) {
            fields.emplace_back(c.name, scalarType(c.type));
        }
        std::int32_t id = addLayout(name, fields);
        for (std::size_t i = 0; i < row.columns.size(); ++i) {
            out_->layouts.back().fields[i].hasDefault = row.columns[i].defaultValue != nullptr;
        }
        rowLayouts_[&row] = id;
        return id;
    }

    std::int32_t layoutOfRow(const sema::RowType* row) {
        auto it = rowLayouts_.find(row);
        return it == rowLayouts_.end() ? -1 : it->second;
    }

    const ir::Layout& layout(std::int32_t id) const {
        return out_->layouts[static_cast<std::size_t>(id)];
    }

    std::int32_t site(const sema::ServiceInfo* service, const std::string& where, SourceRange r) {
        ir::Site s;
        s.service = service != nullptr ? service->name : "";
        s.where = where;
        if (r.valid()) {
            s.file = std::filesystem::path(sources_.file(r.begin.file).path()).filename().string();
            s.line = sources_.lineColumn(r.begin).line;
        }
        out_->sites.push_back(std::move(s));
        return static_cast<std::int32_t>(out_->sites.size() - 1);
    }

    ir::Kernel& newKernel(ir::KernelKind kind, const std::string& name, const std::string& origin) {
        ir::Kernel k;
        k.id = static_cast<std::int32_t>(out_->kernels.size());
        k.kind = kind;
        k.name = "k" + std::to_string(k.id) + "_" + identifierOf(name);
        k.origin = origin;
        out_->kernels.push_back(std::move(k));
        return out_->kernels.back();
    }

    static std::int32_t addArg(ir::Kernel& k, const std::string& name, std::int32_t layoutId,
                               bool writable = false, bool optional = false) {
        ir::KernelArg a;
        a.name = name;
        a.layout = layoutId;
        a.writable = writable;
        a.optional = optional;
        k.args.push_back(a);
        return static_cast<std::int32_t>(k.args.size() - 1);
    }

    static std::int32_t addEnvArg(ir::Kernel& k, const std::string& name) {
        ir::KernelArg a;
        a.name = name + "_env";
        a.envelope = true;
        k.args.push_back(a);
        return static_cast<std::int32_t>(k.args.size() - 1);
    }

    std::string where(SourceRange r) const {
        if (!r.valid()) {
            return "";
        }
        return std::filesystem::path(sources_.file(r.begin.file).path()).filename().string() + ":" +
               std::to_string(sources_.lineColumn(r.begin).line);
    }

    // ---- Expressions -------------------------------------------------------------------

    ExprPtr zeroValue(const ir::Type& t) {
        if (t.optional) {
            return mk(Op::None, t);
        }
        switch (t.scalar) {
        case ir::Scalar::Bool:
            return constBool(false);
        case ir::Scalar::Float: {
            auto e = mk(Op::Const, t);
            e->constant.f = 0.0;
            return e;
        }
        case ir::Scalar::String:
            return mk(Op::Const, t);
        default:
            return constInt(0, t);
        }
    }

    /// The default of a column: its declared default, or its type's zero value.
    ExprPtr defaultValue(const sema::Column& c, const ir::Type& t,
                         const sema::ServiceInfo* service) {
        if (c.defaultValue != nullptr) {
            Ctx ctx;
            ctx.service = service;
            return coerce(lower(*c.defaultValue, ctx, &t), t);
        }
        return zeroValue(t);
    }

    /// `e` as a value of `to`: int widened to float, T wrapped as T?.
    ExprPtr coerce(ExprPtr e, const ir::Type& to) {
        if (e->op == Op::None && to.optional) {
            e->type = to;
            return e;
        }
        if (to.kind == ir::Type::Kind::Scalar && e->type.kind == ir::Type::Kind::Scalar) {
            if (to.scalar == ir::Scalar::Float && e->type.scalar == ir::Scalar::Int &&
                !e->type.optional) {
                e = unary(Op::ToFloat, ir::Type::of(ir::Scalar::Float), std::move(e));
            }
            if (to.optional && !e->type.optional) {
                ir::Type w = e->type;
                w.optional = true;
                e = unary(Op::Wrap, w, std::move(e));
            }
        }
        return e;
    }

    ExprPtr lower(const ast::Expr& e, Ctx& ctx, const ir::Type* expected = nullptr);
    ExprPtr lowerName(const ast::Expr& e, Ctx& ctx);
    ExprPtr lowerRowValue(const ast::Expr& e, Ctx& ctx);
    ExprPtr lowerMember(const ast::MemberExpr& e, Ctx& ctx);
    ExprPtr lowerCall(const ast::CallExpr& e, Ctx& ctx);
    ExprPtr lowerBinary(const ast::BinaryExpr& e, Ctx& ctx);
    ExprPtr lowerMatches(const ast::MatchesExpr& e, Ctx& ctx);
    ExprPtr lowerLookup(const ast::IndexExpr& e, Ctx& ctx);
    /// `Q(args)[i]` (`len` false) or `len(Q(args))` (`len` true) for a `from` query Q,
    /// called in a test: a call of a companion query (see listQuery).
    ExprPtr lowerListQuery(const ast::CallExpr& call, const ast::Expr* index, Ctx& ctx);
    std::int32_t listQuery(std::int32_t query, bool len);
    ExprPtr lowerPunned(const ast::Ident& name, Ctx& ctx);
    std::string builtinSymbol(const ast::CallExpr& e);

    // ---- Statements --------------------------------------------------------------------

    void lowerBlock(const ast::Block& b, Ctx& ctx, std::vector<StmtPtr>& out, std::int32_t rowArg);
    StmtPtr lowerEmit(const ast::EmitStmt& s, Ctx& ctx);
    /// One value per field of `row` from a record literal; missing fields get defaults.
    std::vector<ExprPtr> recordValues(const ast::RecordLit& rec, const sema::RowType& row,
                                      std::int32_t layoutId, Ctx& ctx,
                                      const sema::ServiceInfo* owner);

    // ---- Declarations ------------------------------------------------------------------

    void declare();
    std::int32_t defaultsKernel(const std::string& name, const sema::RowType& row,
                                std::int32_t layoutId, const sema::ServiceInfo* service);
    void lowerServices();
    void lowerHandler(ir::Service& svc, const sema::TableInfo& t, const ast::Handler& h);
    void lowerReaction(ir::Service& svc, const sema::ReactionInfo& r);
    void lowerCommand(const sema::CommandInfo& c);
    void lowerQuery(const sema::QueryInfo& q);
    void lowerUpcasts(const sema::ServiceInfo& s);
    void lowerDerived(ir::Service& svc, const void* derivedItem);
    void lowerTests();
    const void* resolveSource(const ast::QualifiedName& name, const sema::ServiceInfo& service,
                              bool& isTable);

    const ast::Program& ast_;
    const sema::SemaResult& sema_;
    const SourceManager& sources_;
    std::unique_ptr<ir::Program> out_;

    std::map<const sema::EnumInfo*, std::int32_t> enumIds_;
    std::map<const sema::EventInfo*, std::int32_t> eventIds_;
    std::map<const sema::TableInfo*, std::int32_t> tableIds_;
    std::map<const sema::CommandInfo*, std::int32_t> commandIds_;
    std::map<const sema::QueryInfo*, std::int32_t> queryIds_;
    std::map<std::pair<std::int32_t, bool>, std::int32_t> listQueries_;  // (query, len) -> id
    std::map<const sema::ServiceInfo*, std::int32_t> serviceIds_;
    std::map<const sema::RowType*, std::int32_t> rowLayouts_;
};

// ---- Expressions --------------------------------------------------------------------------

ExprPtr Lowerer::lower(const ast::Expr& e, Ctx& ctx, const ir::Type* expected) {
    const sema::Type& st = sema_.typeOf(e);
    if (ctx.grouping != nullptr) {
        // In a grouped select, a group-by expression is read from the key row.
        const auto& groupBy = *ctx.grouping->groupBy;
        for (std::size_t i = 0; i < groupBy.size(); ++i) {
            if (sema::sameExpr(e, *groupBy[i])) {
                auto out = mk(Op::Arg, scalarType(st));
                out->arg = ctx.grouping->keyArg;
                out->field = static_cast<std::int32_t>(i);
                return out;
            }
        }
    }
    switch (e.kind) {
    case ast::ExprKind::Int:
        return constInt(static_cast<const ast::IntLit&>(e).value, ir::Type::of(ir::Scalar::Int));
    case ast::ExprKind::Float: {
        auto out = mk(Op::Const, ir::Type::of(ir::Scalar::Float));
        out->constant.f = static_cast<const ast::FloatLit&>(e).value;
        return out;
    }
    case ast::ExprKind::String: {
        auto out = mk(Op::Const, ir::Type::of(ir::Scalar::String));
        out->constant.s = static_cast<const ast::StringLit&>(e).value;
        return out;
    }
    case ast::ExprKind::Bool:
        return constBool(static_cast<const ast::BoolLit&>(e).value);
    case ast::ExprKind::None: {
        ir::Type t = expected != nullptr ? *expected : ir::Type::of(ir::Scalar::Int, true);
        t.optional = true;
        return mk(Op::None, t);
    }
    case ast::ExprKind::Duration:
        return constInt(static_cast<const ast::DurationLit&>(e).micros,
                        ir::Type::of(ir::Scalar::Duration));
    case ast::ExprKind::Timestamp:
        return constInt(static_cast<const ast::TimestampLit&>(e).micros,
                        ir::Type::of(ir::Scalar::Timestamp));
    case ast::ExprKind::Name:
        return lowerName(e, ctx);
    case ast::ExprKind::Member:
        return lowerMember(static_cast<const ast::MemberExpr&>(e), ctx);
    case ast::ExprKind::Index:
        return lowerLookup(static_cast<const ast::IndexExpr&>(e), ctx);
    case ast::ExprKind::Call:
        return lowerCall(static_cast<const ast::CallExpr&>(e), ctx);
    case ast::ExprKind::Unary: {
        const auto& u = static_cast<const ast::UnaryExpr&>(e);
        auto operand = lower(*u.operand, ctx);
        ir::Type t = operand->type;  // read before the operand is moved into the call
        auto out = unary(u.op == ast::UnaryOp::Not ? Op::Not : Op::Neg, t, std::move(operand));
        out->site = ctx.site;
        return out;
    }
    case ast::ExprKind::Binary:
        return lowerBinary(static_cast<const ast::BinaryExpr&>(e), ctx);
    case ast::ExprKind::Exists: {
        auto row = lower(*static_cast<const ast::ExistsExpr&>(e).operand, ctx);
        return unary(Op::RowPresent, ir::Type::of(ir::Scalar::Bool), std::move(row));
    }
    case ast::ExprKind::Matches:
        return lowerMatches(static_cast<const ast::MatchesExpr&>(e), ctx);
    case ast::ExprKind::Window:
        break;
    }
    (void)st;
    return zeroValue(ir::Type::of(ir::Scalar::Int));
}

ExprPtr Lowerer::lowerName(const ast::Expr& e, Ctx& ctx) {
    const sema::Ref& ref = sema_.refOf(e);
    if (ref.kind == sema::RefKind::EnumValue) {
        return constInt(ref.index, scalarType(sema_.typeOf(e)));
    }
    if (ctx.grouping != nullptr) {
        // A group-by expression read in a grouped select comes from the key row.
        const auto& groupBy = *ctx.grouping->groupBy;
        for (std::size_t i = 0; i < groupBy.size(); ++i) {
            if (sema::sameExpr(e, *groupBy[i])) {
                auto out = mk(Op::Arg, scalarType(sema_.typeOf(e)));
                out->arg = ctx.grouping->keyArg;
                out->field = static_cast<std::int32_t>(i);
                return out;
            }
        }
    }
    const auto& n = static_cast<const ast::NameExpr&>(e);
    const Binding* b = ctx.scope.find(n.name);
    if (b == nullptr) {
        return zeroValue(scalarType(sema_.typeOf(e)));
    }
    if (b->kind == Binding::Kind::Field) {
        auto out = mk(Op::Arg, b->type);
        out->arg = b->arg;
        out->field = b->field;
        return out;
    }
    auto out = mk(Op::Arg, b->type);
    out->arg = b->arg;
    out->field = -1;
    return out;
}

ExprPtr Lowerer::lowerPunned(const ast::Ident& name, Ctx& ctx) {
    const Binding* b = ctx.scope.find(name.name);
    auto out = mk(Op::Arg, b->type);
    out->arg = b->arg;
    out->field = b->kind == Binding::Kind::Field ? b->field : -1;
    return out;
}

std::int32_t Lowerer::listQuery(std::int32_t query, bool len) {
    auto found = listQueries_.find({query, len});
    if (found != listQueries_.end()) {
        return found->second;
    }
    // A companion of the scan query: the same table and kernels (they read the parameters
    // by offset, and the companion's parameters extend the original's), answering one row
    // or the number of rows. The runtime tells the three apart by the result type: a list
    // query's is a non-optional row, `Q[]`'s an optional row, `Q#len`'s an int.
    ir::Query q = out_->queries[static_cast<std::size_t>(query)];
    q.id = static_cast<std::int32_t>(out_->queries.size());
    q.name += len ? "#len" : "[]";
    if (!len) {
        std::vector<std::pair<std::string, ir::Type>> fields;
        for (const ir::Field& f : layout(q.params).fields) {
            fields.emplace_back(f.name, f.type);
        }
        fields.emplace_back("index", ir::Type::of(ir::Scalar::Int));
        q.params = addLayout(q.name + ".params", fields);
        q.resultType = ir::Type::row(q.rowLayout, true);
    } else {
        q.resultType = ir::Type::of(ir::Scalar::Int);
        q.result = addLayout(q.name + ".result", {{"value", q.resultType}});
    }
    out_->services[static_cast<std::size_t>(q.service)].queries.push_back(q.id);
    listQueries_[{query, len}] = q.id;
    out_->queries.push_back(std::move(q));
    return out_->queries.back().id;
}

ExprPtr Lowerer::lowerListQuery(const ast::CallExpr& call, const ast::Expr* index, Ctx& ctx) {
    const auto* q = static_cast<const sema::QueryInfo*>(sema_.refOf(call).target);
    std::int32_t qid = listQuery(queryIds_.at(q), index == nullptr);
    const ir::Query& qu = out_->queries[static_cast<std::size_t>(qid)];
    const ir::Layout& params = layout(qu.params);
    auto out = mk(Op::Query, qu.resultType);
    out->query = qid;
    for (std::size_t i = 0; i < call.args.size(); ++i) {
        out->args.push_back(coerce(lower(*call.args[i], ctx), params.fields[i].type));
    }
    if (index != nullptr) {
        out->args.push_back(coerce(lower(*index, ctx), ir::Type::of(ir::Scalar::Int)));
    }
    return out;
}

ExprPtr Lowerer::lowerLookup(const ast::IndexExpr& e, Ctx& ctx) {
    if (sema_.refOf(e).kind == sema::RefKind::Query) {
        const auto* call = ast::dynCast<ast::CallExpr>(e.base.get());
        if (call == nullptr || e.keys.empty()) {
            return zeroValue(scalarType(sema_.typeOf(e)));
        }
        return lowerListQuery(*call, e.keys[0].get(), ctx);
    }
    const auto* t = static_cast<const sema::TableInfo*>(sema_.refOf(e).target);
    std::int32_t tableId = tableIds_.at(t);
    const ir::Table& table = out_->tables[static_cast<std::size_t>(tableId)];
    const ir::Layout& keyLayout = layout(table.keyLayout);
    auto out = mk(Op::Lookup, ir::Type::row(table.rowLayout, true));
    out->table = tableId;
    for (std::size_t i = 0; i < e.keys.size(); ++i) {
        out->args.push_back(coerce(lower(*e.keys[i], ctx), keyLayout.fields[i].type));
    }
    return out;
}

ExprPtr Lowerer::lowerMember(const ast::MemberExpr& e, Ctx& ctx) {
    const sema::Ref& ref = sema_.refOf(e);
    ir::Type type = scalarType(sema_.typeOf(e));
    if (ctx.grouping != nullptr) {
        const auto& groupBy = *ctx.grouping->groupBy;
        for (std::size_t i = 0; i < groupBy.size(); ++i) {
            if (sema::sameExpr(e, *groupBy[i])) {
                auto out = mk(Op::Arg, type);
                out->arg = ctx.grouping->keyArg;
                out->field = static_cast<std::int32_t>(i);
                return out;
            }
        }
    }
    switch (ref.kind) {
    case sema::RefKind::EnumValue:
        return constInt(ref.index, type);
    case sema::RefKind::Window: {
        auto out = mk(Op::Arg, ir::Type::of(ir::Scalar::Timestamp));
        out->arg = ctx.grouping != nullptr ? ctx.grouping->windowArg : -1;
        out->field = ref.index;
        return out;
    }
    case sema::RefKind::Envelope: {
        const auto* n = ast::dynCast<ast::NameExpr>(e.base.get());
        const Binding* b = n != nullptr ? ctx.scope.find(n->name) : nullptr;
        auto out = mk(Op::Env, type);
        out->arg = b != nullptr ? b->envArg : -1;
        out->field = ref.index;
        return out;
    }
    case sema::RefKind::Member: {
        // A field of an event or table alias is read straight from its argument row.
        if (const auto* n = ast::dynCast<ast::NameExpr>(e.base.get())) {
            const Binding* b = ctx.scope.find(n->name);
            if (b != nullptr && b->kind == Binding::Kind::Row && !b->type.optional &&
                sema_.refOf(*e.base).kind == sema::RefKind::Variable) {
                auto out = mk(Op::Arg, type);
                out->arg = b->arg;
                out->field = ref.index;
                return out;
            }
        }
        auto base = lower(*e.base, ctx);
        auto out = mk(Op::RowField, type);
        out->field = ref.index;
        out->orDefault = e.base->kind == ast::ExprKind::Index &&
                         sema_.refOf(*e.base).kind == sema::RefKind::Table;
        out->args.push_back(std::move(base));
        return out;
    }
    default:
        return zeroValue(type);
    }
}

std::string Lowerer::builtinSymbol(const ast::CallExpr& e) {
    const auto* b = static_cast<const sema::BuiltinInfo*>(sema_.refOf(e).target);
    std::string sym = b != nullptr ? b->name : "unknown";
    // Overloads and type variables are told apart by their argument types.
    for (const auto& a : e.args) {
        const sema::Type& t = sema_.typeOf(*a);
        std::string s = t.kind() == sema::TypeKind::Enum ? "enum" : t.nonOptional().spelling();
        sym += "_" + s;
    }
    return sym;
}

ExprPtr Lowerer::lowerCall(const ast::CallExpr& e, Ctx& ctx) {
    const sema::Ref& ref = sema_.refOf(e);
    ir::Type type = scalarType(sema_.typeOf(e));
    if (ref.kind == sema::RefKind::Aggregate && ctx.grouping != nullptr) {
        auto it = ctx.grouping->aggregates.find(&e);
        auto out = mk(Op::Arg, type);
        out->arg = ctx.grouping->aggArg;
        out->field = it != ctx.grouping->aggregates.end() ? it->second : -1;
        return out;
    }
    if (ref.kind == sema::RefKind::Query && ref.target == nullptr) {
        // len(Q(args)) of a `from` query.
        const auto* call = e.args.empty() ? nullptr : ast::dynCast<ast::CallExpr>(e.args[0].get());
        if (call == nullptr) {
            return zeroValue(type);
        }
        return lowerListQuery(*call, nullptr, ctx);
    }
    if (ref.kind == sema::RefKind::Query) {
        const auto* q = static_cast<const sema::QueryInfo*>(ref.target);
        std::int32_t qid = queryIds_.at(q);
        const ir::Layout& params = layout(out_->queries[static_cast<std::size_t>(qid)].params);
        auto out = mk(Op::Query, out_->queries[static_cast<std::size_t>(qid)].resultType);
        out->query = qid;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
            out->args.push_back(coerce(lower(*e.args[i], ctx), params.fields[i].type));
        }
        return out;
    }
    const auto* b = static_cast<const sema::BuiltinInfo*>(ref.target);
    if (b != nullptr && b->name == "coalesce") {
        auto a0 = lower(*e.args[0], ctx);
        auto a1 = lower(*e.args[1], ctx);
        ir::Type t = type;
        a1 = coerce(std::move(a1), t);
        if (a0->type.kind == ir::Type::Kind::Scalar && !a0->type.optional) {
            // coalesce(x, y) with x never none is x.
            return coerce(std::move(a0), t);
        }
        return binary(Op::Coalesce, t, std::move(a0), std::move(a1));
    }
    auto out = mk(Op::Call, type);
    out->callee = builtinSymbol(e);
    out->site = ctx.site;
    for (const auto& a : e.args) {
        out->args.push_back(lower(*a, ctx));
    }
    // int -> float and T -> T? per the signature's parameter types.
    if (b != nullptr) {
        for (std::size_t i = 0; i < out->args.size() && i < b->params.size(); ++i) {
            const sema::Type& p = b->params[i];
            if (p.kind() == sema::TypeKind::Float && out->args[i]->type.is(ir::Scalar::Int)) {
                out->args[i] = coerce(std::move(out->args[i]), ir::Type::of(ir::Scalar::Float));
            }
        }
    }
    return out;
}

ExprPtr Lowerer::lowerBinary(const ast::BinaryExpr& e, Ctx& ctx) {
    using ast::BinaryOp;
    ir::Type resultType = scalarType(sema_.typeOf(e));
    if (e.op == BinaryOp::And || e.op == BinaryOp::Or) {
        return binary(e.op == BinaryOp::And ? Op::And : Op::Or, resultType, lower(*e.lhs, ctx),
                      lower(*e.rhs, ctx));
    }
    // `x == none`, `none != x`: a presence test.
    bool lNone = e.lhs->kind == ast::ExprKind::None, rNone = e.rhs->kind == ast::ExprKind::None;
    if ((e.op == BinaryOp::Eq || e.op == BinaryOp::Ne) && (lNone || rNone)) {
        auto other = lower(lNone ? *e.rhs : *e.lhs, ctx);
        ExprPtr test =
            other->type.isRow()
                ? unary(Op::Not, ir::Type::of(ir::Scalar::Bool),
                        unary(Op::RowPresent, ir::Type::of(ir::Scalar::Bool), std::move(other)))
                : unary(Op::IsNone, ir::Type::of(ir::Scalar::Bool), std::move(other));
        if (lNone && rNone) {
            test = constBool(true);
        }
        return e.op == BinaryOp::Eq
                   ? std::move(test)
                   : unary(Op::Not, ir::Type::of(ir::Scalar::Bool), std::move(test));
    }
    auto l = lower(*e.lhs, ctx);
    auto r = lower(*e.rhs, ctx);
    Op op = Op::Add;
    switch (e.op) {
    case BinaryOp::Mul:
        op = Op::Mul;
        break;
    case BinaryOp::Div:
        op = Op::Div;
        break;
    case BinaryOp::Mod:
        op = Op::Mod;
        break;
    case BinaryOp::Add:
        op = Op::Add;
        break;
    case BinaryOp::Sub:
        op = Op::Sub;
        break;
    case BinaryOp::Lt:
        op = Op::Lt;
        break;
    case BinaryOp::Le:
        op = Op::Le;
        break;
    case BinaryOp::Gt:
        op = Op::Gt;
        break;
    case BinaryOp::Ge:
        op = Op::Ge;
        break;
    case BinaryOp::Eq:
        op = Op::Eq;
        break;
    case BinaryOp::Ne:
        op = Op::Ne;
        break;
    default:
        break;
    }
    if (l->type.isRow() || r->type.isRow()) {
        // Rows compare field by field (both absent counts as equal).
        auto eq = binary(Op::RowEq, ir::Type::of(ir::Scalar::Bool), std::move(l), std::move(r));
        return op == Op::Eq ? std::move(eq)
                            : unary(Op::Not, ir::Type::of(ir::Scalar::Bool), std::move(eq));
    }
    // Mixed int and float: the int widens. T? against T: both as T?.
    bool lf = l->type.is(ir::Scalar::Float), rf = r->type.is(ir::Scalar::Float);
    if (lf && r->type.is(ir::Scalar::Int) && !r->type.optional) {
        r = coerce(std::move(r), ir::Type::of(ir::Scalar::Float));
    } else if (rf && l->type.is(ir::Scalar::Int) && !l->type.optional) {
        l = coerce(std::move(l), ir::Type::of(ir::Scalar::Float));
    }
    if ((op == Op::Eq || op == Op::Ne) && l->type.optional != r->type.optional) {
        if (!l->type.optional) {
            l = coerce(std::move(l), r->type);
        } else {
            r = coerce(std::move(r), l->type);
        }
    }
    auto out = binary(op, resultType, std::move(l), std::move(r));
    out->site = ctx.site;
    return out;
}

ExprPtr Lowerer::lowerMatches(const ast::MatchesExpr& e, Ctx& ctx) {
    auto subject = lower(*e.subject, ctx);
    auto out = mk(Op::Matches, ir::Type::of(ir::Scalar::Bool));
    const ir::Layout& l = layout(subject->type.layout);
    out->args.push_back(std::move(subject));
    for (const ast::FieldInit& f : e.record.fields) {
        int idx = l.find(f.name.name);
        const ir::Type& ft = l.fields[static_cast<std::size_t>(idx)].type;
        out->fields.push_back(idx);
        ExprPtr v = f.value ? lower(*f.value, ctx, &ft) : lowerPunned(f.name, ctx);
        out->args.push_back(coerce(std::move(v), ft));
    }
    return out;
}

// ---- Statements -----------------------------------------------------------------------------

std::vector<ExprPtr> Lowerer::recordValues(const ast::RecordLit& rec, const sema::RowType& row,
                                           std::int32_t layoutId, Ctx& ctx,
                                           const sema::ServiceInfo* owner) {
    const ir::Layout& l = layout(layoutId);
    std::vector<ExprPtr> values(l.fields.size());
    for (const ast::FieldInit& f : rec.fields) {
        int idx = l.find(f.name.name);
        if (idx < 0) {
            continue;
        }
        const ir::Type& ft = l.fields[static_cast<std::size_t>(idx)].type;
        ExprPtr v = f.value ? lower(*f.value, ctx, &ft) : lowerPunned(f.name, ctx);
        values[static_cast<std::size_t>(idx)] = coerce(std::move(v), ft);
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) {
            values[i] = defaultValue(row.columns[i], l.fields[i].type, owner);
        }
    }
    return values;
}

StmtPtr Lowerer::lowerEmit(const ast::EmitStmt& s, Ctx& ctx) {
    bool isTable = false;
    const auto* e =
        static_cast<const sema::EventInfo*>(resolveSource(s.event, *ctx.service, isTable));
    std::int32_t eventId = eventIds_.at(e);
    const ir::Event& ev = out_->events[static_cast<std::size_t>(eventId)];
    auto out = stmt(ir::StmtOp::Emit);
    out->event = eventId;
    out->site = ctx.site;
    out->values = recordValues(s.fields, e->row(), ev.versions.back().layout, ctx, e->service);
    return out;
}

void Lowerer::lowerBlock(const ast::Block& b, Ctx& ctx, std::vector<StmtPtr>& out,
                         std::int32_t rowArg) {
    for (const auto& s : b.stmts) {
        switch (s->kind) {
        case ast::StmtKind::If: {
            const auto& i = static_cast<const ast::IfStmt&>(*s);
            auto st = stmt(ir::StmtOp::If);
            st->value = lower(*i.cond, ctx);
            lowerBlock(i.then, ctx, st->then, rowArg);
            if (i.otherwise) {
                lowerBlock(*i.otherwise, ctx, st->otherwise, rowArg);
            }
            out.push_back(std::move(st));
            break;
        }
        case ast::StmtKind::Require: {
            const auto& r = static_cast<const ast::RequireStmt&>(*s);
            auto st = stmt(ir::StmtOp::Require);
            st->cond = lower(*r.cond, ctx);
            st->value = lower(*r.message, ctx);
            out.push_back(std::move(st));
            break;
        }
        case ast::StmtKind::Emit:
            out.push_back(lowerEmit(static_cast<const ast::EmitStmt&>(*s), ctx));
            break;
        case ast::StmtKind::Assign: {
            const auto& a = static_cast<const ast::AssignStmt&>(*s);
            const Binding* bound = ctx.scope.find(a.target.name);
            if (bound == nullptr || bound->kind != Binding::Kind::Field) {
                break;
            }
            ir::Type ft = bound->type;
            ExprPtr value = lower(*a.value, ctx, &ft);
            if (a.op != ast::AssignOp::Set) {
                auto current = mk(Op::Arg, ft);
                current->arg = bound->arg;
                current->field = bound->field;
                if (ft.is(ir::Scalar::Float)) {
                    value = coerce(std::move(value), ft);
                }
                value = binary(a.op == ast::AssignOp::Add ? Op::Add : Op::Sub, ft,
                               std::move(current), std::move(value));
                value->site = ctx.site;
            }
            out.push_back(setField(bound->arg, bound->field, coerce(std::move(value), ft)));
            break;
        }
        case ast::StmtKind::Delete:
            out.push_back(stmt(ir::StmtOp::Delete));
            break;
        }
    }
    (void)rowArg;
}

}  // namespace

namespace {

// ---- Declarations ---------------------------------------------------------------------------

const void* Lowerer::resolveSource(const ast::QualifiedName& name, const sema::ServiceInfo& service,
                                   bool& isTable) {
    const sema::Symbol* sym = nullptr;
    if (name.parts.size() == 1) {
        sym = service.find(name.parts[0].name);
    } else if (name.parts.size() == 2) {
        auto it = sema_.serviceByName.find(name.parts[0].name);
        if (it != sema_.serviceByName.end()) {
            sym = it->second->find(name.parts[1].name);
        }
    }
    isTable = sym != nullptr && sym->kind == sema::SymbolKind::Table;
    return sym != nullptr ? sym->info : nullptr;
}

std::int32_t Lowerer::defaultsKernel(const std::string& name, const sema::RowType& row,
                                     std::int32_t layoutId, const sema::ServiceInfo* service) {
    ir::Kernel& k = newKernel(ir::KernelKind::Defaults, name + "_defaults", name + ": defaults");
    std::int32_t kid = k.id;
    std::int32_t out = addArg(k, "out", layoutId, true);
    std::vector<StmtPtr> body;
    const ir::Layout& l = layout(layoutId);
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        body.push_back(setField(out, static_cast<std::int32_t>(i),
                                defaultValue(row.columns[i], l.fields[i].type, service)));
    }
    out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
    return kid;
}

void Lowerer::declare() {
    for (const sema::ServiceInfo* s : sema_.services) {
        for (const sema::EnumInfo* e : s->enums) {
            ir::Enum en;
            en.id = static_cast<std::int32_t>(out_->enums.size());
            en.name = e->qualifiedName();
            en.values = e->values;
            enumIds_[e] = en.id;
            out_->enums.push_back(std::move(en));
        }
    }
    for (const sema::ServiceInfo* s : sema_.services) {
        ir::Service svc;
        svc.id = static_cast<std::int32_t>(out_->services.size());
        svc.name = s->name;
        svc.module = s->file->moduleName;
        serviceIds_[s] = svc.id;
        out_->services.push_back(std::move(svc));
    }
    // Events and streams (layouts first: tables and kernels refer to them).
    for (const sema::ServiceInfo* s : sema_.services) {
        for (const sema::EventInfo* e : s->events) {
            ir::Event ev;
            ev.id = static_cast<std::int32_t>(out_->events.size());
            ev.service = serviceIds_.at(s);
            ev.name = e->qualifiedName();
            ev.stream = e->isStream();
            if (e->isStream()) {
                ir::EventVersion v;
                v.layout = layoutFor(ev.name, e->streamRow);
                ev.versions.push_back(v);
            } else {
                for (const auto& ver : e->versions) {
                    ir::EventVersion v;
                    v.version = ver->version;
                    v.layout = layoutFor(ev.name + ".v" + std::to_string(ver->version), ver->row);
                    ev.versions.push_back(v);
                }
            }
            ev.keyField = e->keyIndex();
            if (ev.keyField >= 0) {
                const ir::Field& kf =
                    layout(ev.versions.back().layout).fields[static_cast<std::size_t>(ev.keyField)];
                ev.keyLayout = addLayout(ev.name + ".key", {{kf.name, kf.type}});
            }
            eventIds_[e] = ev.id;
            out_->services[static_cast<std::size_t>(ev.service)].events.push_back(ev.id);
            out_->events.push_back(std::move(ev));
        }
    }
    for (const sema::ServiceInfo* s : sema_.services) {
        for (const sema::TableInfo* t : s->tables) {
            ir::Table tb;
            tb.id = static_cast<std::int32_t>(out_->tables.size());
            tb.service = serviceIds_.at(s);
            tb.name = t->qualifiedName();
            tb.view = t->isView();
            tb.windowed = t->windowed;
            std::vector<std::pair<std::string, ir::Type>> keyFields;
            for (std::size_t i = 0; i < t->keyTypes.size(); ++i) {
                std::string n = t->keyNames[i].empty() ? "key" + std::to_string(i) : t->keyNames[i];
                keyFields.emplace_back(n, scalarType(t->keyTypes[i]));
            }
            tb.keyLayout = addLayout(tb.name + ".key", keyFields);
            tb.rowLayout = layoutFor(tb.name, t->row);
            for (const std::string& kn : t->keyNames) {
                tb.keyInRow.push_back(kn.empty() ? -1 : layout(tb.rowLayout).find(kn));
            }
            tableIds_[t] = tb.id;
            out_->services[static_cast<std::size_t>(tb.service)].tables.push_back(tb.id);
            out_->tables.push_back(std::move(tb));
        }
    }
    for (const sema::ServiceInfo* s : sema_.services) {
        for (const sema::CommandInfo* c : s->commands) {
            ir::Command cmd;
            cmd.id = static_cast<std::int32_t>(out_->commands.size());
            cmd.service = serviceIds_.at(s);
            cmd.name = c->qualifiedName();
            std::vector<std::pair<std::string, ir::Type>> fields;
            for (const sema::Column& p : c->params) {
                fields.emplace_back(p.name, scalarType(p.type));
            }
            cmd.params = addLayout(cmd.name + ".params", fields);
            commandIds_[c] = cmd.id;
            out_->services[static_cast<std::size_t>(cmd.service)].commands.push_back(cmd.id);
            out_->commands.push_back(std::move(cmd));
        }
        for (const sema::QueryInfo* q : s->queries) {
            ir::Query qu;
            qu.id = static_cast<std::int32_t>(out_->queries.size());
            qu.service = serviceIds_.at(s);
            qu.name = q->qualifiedName();
            std::vector<std::pair<std::string, ir::Type>> fields;
            for (const sema::Column& p : q->params) {
                fields.emplace_back(p.name, scalarType(p.type));
            }
            qu.params = addLayout(qu.name + ".params", fields);
            if (q->decl->expr) {
                qu.resultType = scalarType(q->result);
                qu.result = qu.resultType.isRow()
                                ? qu.resultType.layout
                                : addLayout(qu.name + ".result", {{"value", qu.resultType}});
            } else {
                qu.rowLayout = layoutFor(qu.name + ".row", q->resultRow);
                qu.resultType = ir::Type::row(qu.rowLayout, false);
            }
            queryIds_[q] = qu.id;
            out_->services[static_cast<std::size_t>(qu.service)].queries.push_back(qu.id);
            out_->queries.push_back(std::move(qu));
        }
    }
    // Defaults kernels (they may read enum values and constants only).
    for (const sema::ServiceInfo* s : sema_.services) {
        for (const sema::EventInfo* e : s->events) {
            ir::Event& ev = out_->events[static_cast<std::size_t>(eventIds_.at(e))];
            for (std::size_t i = 0; i < ev.versions.size(); ++i) {
                const sema::RowType& row = e->isStream() ? e->streamRow : e->versions[i]->row;
                ev.versions[i].defaults =
                    defaultsKernel(ev.name + "_v" + std::to_string(ev.versions[i].version), row,
                                   ev.versions[i].layout, s);
            }
        }
        for (const sema::TableInfo* t : s->tables) {
            ir::Table& tb = out_->tables[static_cast<std::size_t>(tableIds_.at(t))];
            tb.defaults = defaultsKernel(tb.name, t->row, tb.rowLayout, s);
        }
    }
}

void Lowerer::lowerHandler(ir::Service& svc, const sema::TableInfo& t, const ast::Handler& h) {
    bool isTable = false;
    const auto* e =
        static_cast<const sema::EventInfo*>(resolveSource(h.event, *t.service, isTable));
    std::int32_t eventId = eventIds_.at(e);
    const ir::Event& ev = out_->events[static_cast<std::size_t>(eventId)];
    const ir::Table& tb = out_->tables[static_cast<std::size_t>(tableIds_.at(&t))];
    std::string alias = h.alias ? h.alias->name : "e";
    std::string name = tb.name + "_on_" + ev.name;
    std::string origin = tb.name + ": on " + h.event.str() + " (" + where(h.range) + ")";

    auto bindEvent = [&](ir::Kernel& k, Scope& scope) {
        std::int32_t a = addArg(k, alias, ev.versions.back().layout);
        std::int32_t env = addEnvArg(k, alias);
        if (h.alias) {
            scope.add(alias, Binding{Binding::Kind::Row, a, env, -1,
                                     ir::Type::row(ev.versions.back().layout, false)});
        }
    };
    ir::Handler hd;
    hd.table = tb.id;
    hd.event = eventId;
    if (!h.by.empty()) {
        ir::Kernel& k = newKernel(ir::KernelKind::Key, name + "_key", origin + ": by");
        std::int32_t kid = k.id;
        Ctx ctx;
        ctx.service = t.service;
        ctx.site = site(t.service, "table " + t.name + ": on " + h.event.str(), h.range);
        bindEvent(k, ctx.scope);
        std::int32_t out = addArg(k, "key", tb.keyLayout, true);
        std::vector<StmtPtr> body;
        const ir::Layout& kl = layout(tb.keyLayout);
        for (std::size_t i = 0; i < h.by.size(); ++i) {
            body.push_back(setField(out, static_cast<std::int32_t>(i),
                                    coerce(lower(*h.by[i], ctx), kl.fields[i].type)));
        }
        out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
        hd.key = kid;
    }
    ir::Kernel& k = newKernel(ir::KernelKind::Handler, name, origin);
    std::int32_t kid = k.id;
    Ctx ctx;
    ctx.service = t.service;
    ctx.site = site(t.service, "table " + t.name + ": on " + h.event.str(), h.range);
    std::int32_t rowArg = -1;
    {
        ir::Kernel& kk = out_->kernels[static_cast<std::size_t>(kid)];
        std::int32_t a = addArg(kk, alias, ev.versions.back().layout);
        std::int32_t env = addEnvArg(kk, alias);
        rowArg = addArg(kk, "row", tb.rowLayout, true);
        const ir::Layout& rl = layout(tb.rowLayout);
        for (std::size_t i = 0; i < rl.fields.size(); ++i) {
            ctx.scope.add(rl.fields[i].name,
                          Binding{Binding::Kind::Field, rowArg, -1, static_cast<std::int32_t>(i),
                                  rl.fields[i].type});
        }
        if (h.alias) {
            ctx.scope.add(alias, Binding{Binding::Kind::Row, a, env, -1,
                                         ir::Type::row(ev.versions.back().layout, false)});
        }
    }
    std::vector<StmtPtr> body;
    lowerBlock(h.body, ctx, body, rowArg);
    out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
    hd.kernel = kid;
    svc.handlers.push_back(hd);
}

void Lowerer::lowerReaction(ir::Service& svc, const sema::ReactionInfo& r) {
    const ast::Handler& h = r.decl->handler;
    std::int32_t eventId = eventIds_.at(r.trigger);
    const ir::Event& ev = out_->events[static_cast<std::size_t>(eventId)];
    std::string alias = h.alias ? h.alias->name : "e";
    ir::Kernel& k = newKernel(ir::KernelKind::Reaction, svc.name + "_on_" + ev.name,
                              svc.name + ": on " + h.event.str() + " (" + where(h.range) + ")");
    std::int32_t kid = k.id;
    Ctx ctx;
    ctx.service = r.service;
    ctx.site = site(r.service, "on " + h.event.str(), h.range);
    std::int32_t a = addArg(k, alias, ev.versions.back().layout);
    std::int32_t env = addEnvArg(k, alias);
    if (h.alias) {
        ctx.scope.add(alias, Binding{Binding::Kind::Row, a, env, -1,
                                     ir::Type::row(ev.versions.back().layout, false)});
    }
    std::vector<StmtPtr> body;
    lowerBlock(h.body, ctx, body, -1);
    out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
    svc.reactions.push_back({eventId, kid});
}

void Lowerer::lowerCommand(const sema::CommandInfo& c) {
    ir::Command& cmd = out_->commands[static_cast<std::size_t>(commandIds_.at(&c))];
    ir::Kernel& k = newKernel(ir::KernelKind::Command, cmd.name,
                              "command " + cmd.name + " (" + where(c.decl->range) + ")");
    std::int32_t kid = k.id;
    Ctx ctx;
    ctx.service = c.service;
    ctx.site = site(c.service, "command " + c.name, c.decl->range);
    std::int32_t params = addArg(k, "params", cmd.params);
    const ir::Layout& pl = layout(cmd.params);
    for (std::size_t i = 0; i < pl.fields.size(); ++i) {
        ctx.scope.add(pl.fields[i].name, Binding{Binding::Kind::Field, params, -1,
                                                 static_cast<std::int32_t>(i), pl.fields[i].type});
    }
    std::vector<StmtPtr> body;
    lowerBlock(c.decl->body, ctx, body, -1);
    out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
    cmd.kernel = kid;
}

void Lowerer::lowerQuery(const sema::QueryInfo& q) {
    std::int32_t qid = queryIds_.at(&q);
    std::string qname = out_->queries[static_cast<std::size_t>(qid)].name;
    std::int32_t paramsLayout = out_->queries[static_cast<std::size_t>(qid)].params;
    std::string origin = "query " + qname + " (" + where(q.decl->range) + ")";
    auto bindParams = [&](ir::Kernel& k, Ctx& ctx) {
        std::int32_t params = addArg(k, "params", paramsLayout);
        const ir::Layout& pl = layout(paramsLayout);
        for (std::size_t i = 0; i < pl.fields.size(); ++i) {
            ctx.scope.add(pl.fields[i].name,
                          Binding{Binding::Kind::Field, params, -1, static_cast<std::int32_t>(i),
                                  pl.fields[i].type});
        }
    };
    Ctx base;
    base.service = q.service;
    base.site = site(q.service, "query " + q.name, q.decl->range);
    if (q.decl->expr) {
        ir::Kernel& k = newKernel(ir::KernelKind::QueryExpr, qname, origin);
        std::int32_t kid = k.id;
        Ctx ctx = base;
        bindParams(k, ctx);
        std::int32_t resultLayout = out_->queries[static_cast<std::size_t>(qid)].result;
        addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", resultLayout, true);
        auto ret = stmt(ir::StmtOp::Return);
        ret->value = lower(*q.decl->expr, ctx);
        out_->kernels[static_cast<std::size_t>(kid)].body.push_back(std::move(ret));
        out_->queries[static_cast<std::size_t>(qid)].kernel = kid;
        return;
    }
    const ast::Query& qq = *q.decl->query;
    bool isTable = false;
    const auto* t =
        static_cast<const sema::TableInfo*>(resolveSource(qq.from.name, *q.service, isTable));
    std::int32_t tableId = tableIds_.at(t);
    std::int32_t rowLayout = out_->tables[static_cast<std::size_t>(tableId)].rowLayout;
    std::string alias = qq.from.alias ? qq.from.alias->name : qq.from.name.last().name;
    auto rowKernel = [&](ir::KernelKind kind, const std::string& what, Ctx& ctx) -> std::int32_t {
        ir::Kernel& k = newKernel(kind, qname + "_" + what, origin + ": " + what);
        std::int32_t kid = k.id;
        ctx = base;
        bindParams(out_->kernels[static_cast<std::size_t>(kid)], ctx);
        std::int32_t row = addArg(out_->kernels[static_cast<std::size_t>(kid)], alias, rowLayout);
        ctx.scope.add(alias,
                      Binding{Binding::Kind::Row, row, -1, -1, ir::Type::row(rowLayout, false)});
        return kid;
    };
    ir::Query& qu = out_->queries[static_cast<std::size_t>(qid)];
    qu.table = tableId;
    if (qq.where) {
        Ctx ctx;
        std::int32_t kid = rowKernel(ir::KernelKind::Predicate, "where", ctx);
        auto ret = stmt(ir::StmtOp::Return);
        ret->value = lower(*qq.where, ctx);
        out_->kernels[static_cast<std::size_t>(kid)].body.push_back(std::move(ret));
        out_->queries[static_cast<std::size_t>(qid)].where = kid;
    }
    if (qq.orderBy) {
        Ctx ctx;
        std::int32_t kid = rowKernel(ir::KernelKind::Project, "order", ctx);
        ExprPtr v = lower(*qq.orderBy, ctx);
        std::int32_t l = addLayout(qname + ".order", {{"value", v->type}});
        std::int32_t out = addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", l, true);
        out_->kernels[static_cast<std::size_t>(kid)].body.push_back(setField(out, 0, std::move(v)));
        out_->queries[static_cast<std::size_t>(qid)].orderBy = kid;
        out_->queries[static_cast<std::size_t>(qid)].descending = qq.descending;
    }
    if (qq.limit) {
        ir::Kernel& k = newKernel(ir::KernelKind::Project, qname + "_limit", origin + ": limit");
        std::int32_t kid = k.id;
        Ctx ctx = base;
        bindParams(k, ctx);
        std::int32_t l = addLayout(qname + ".limit", {{"value", ir::Type::of(ir::Scalar::Int)}});
        std::int32_t out = addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", l, true);
        out_->kernels[static_cast<std::size_t>(kid)].body.push_back(
            setField(out, 0, lower(*qq.limit, ctx)));
        out_->queries[static_cast<std::size_t>(qid)].limit = kid;
    }
    if (qq.select) {
        Ctx ctx;
        std::int32_t kid = rowKernel(ir::KernelKind::Project, "select", ctx);
        std::int32_t resultLayout = out_->queries[static_cast<std::size_t>(qid)].rowLayout;
        std::int32_t out =
            addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", resultLayout, true);
        const ir::Layout& rl = layout(resultLayout);
        std::vector<StmtPtr> body;
        for (std::size_t i = 0; i < qq.select->items.size(); ++i) {
            const ast::SelectItem& item = qq.select->items[i];
            ExprPtr v = item.value ? lower(*item.value, ctx, &rl.fields[i].type)
                                   : lowerPunned(item.name, ctx);
            body.push_back(setField(out, static_cast<std::int32_t>(i),
                                    coerce(std::move(v), rl.fields[i].type)));
        }
        out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
        out_->queries[static_cast<std::size_t>(qid)].project = kid;
    }
}

void Lowerer::lowerUpcasts(const sema::ServiceInfo& s) {
    for (const sema::EventInfo* e : s.events) {
        if (e->isStream()) {
            continue;
        }
        ir::Event& ev = out_->events[static_cast<std::size_t>(eventIds_.at(e))];
        for (std::size_t vi = 1; vi < e->versions.size(); ++vi) {
            const sema::EventVersion& from = *e->versions[vi - 1];
            const sema::EventVersion& to = *e->versions[vi];
            std::string name = ev.name + "_v" + std::to_string(from.version) + "_to_v" +
                               std::to_string(to.version);
            ir::Kernel& k = newKernel(ir::KernelKind::Upcast, name,
                                      "upcast " + ev.name + " v" + std::to_string(from.version) +
                                          " -> v" + std::to_string(to.version));
            std::int32_t kid = k.id;
            std::int32_t fromLayout = ev.versions[vi - 1].layout;
            std::int32_t toLayout = ev.versions[vi].layout;
            std::int32_t oldArg =
                addArg(out_->kernels[static_cast<std::size_t>(kid)], "old", fromLayout);
            std::int32_t outArg =
                addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", toLayout, true);
            const ir::Layout& fl = layout(fromLayout);
            const ir::Layout& tl = layout(toLayout);
            std::vector<StmtPtr> body;
            // Fields with the same name and type are copied; the others start at their
            // defaults; then the upcast's own assignments run.
            for (std::size_t i = 0; i < tl.fields.size(); ++i) {
                int j = fl.find(tl.fields[i].name);
                if (j >= 0 &&
                    fl.fields[static_cast<std::size_t>(j)].type.scalar ==
                        tl.fields[i].type.scalar &&
                    fl.fields[static_cast<std::size_t>(j)].type.enumId ==
                        tl.fields[i].type.enumId) {
                    auto v = mk(Op::Arg, fl.fields[static_cast<std::size_t>(j)].type);
                    v->arg = oldArg;
                    v->field = j;
                    body.push_back(setField(outArg, static_cast<std::int32_t>(i),
                                            coerce(std::move(v), tl.fields[i].type)));
                } else {
                    body.push_back(
                        setField(outArg, static_cast<std::int32_t>(i),
                                 defaultValue(to.row.columns[i], tl.fields[i].type, &s)));
                }
            }
            if (to.upcastFrom != nullptr) {
                Ctx ctx;
                ctx.service = &s;
                ctx.site = site(&s, "upcast " + e->name, to.upcastFrom->range);
                ctx.scope.add("old", Binding{Binding::Kind::Row, oldArg, -1, -1,
                                             ir::Type::row(fromLayout, false)});
                for (std::size_t i = 0; i < tl.fields.size(); ++i) {
                    ctx.scope.add(tl.fields[i].name,
                                  Binding{Binding::Kind::Field, outArg, -1,
                                          static_cast<std::int32_t>(i), tl.fields[i].type});
                }
                lowerBlock(to.upcastFrom->body, ctx, body, outArg);
            }
            out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
            ev.versions[vi].upcast = kid;
        }
    }
}

}  // namespace

namespace {

// ---- Streams and view tables ------------------------------------------------------------------

void collectNames(const ast::Expr& e, std::set<std::string>& out) {
    ast::forEachExpr(e, [&](const ast::Expr& x, int) {
        if (const auto* n = ast::dynCast<ast::NameExpr>(&x)) {
            out.insert(n->name);
        }
    });
}

void flattenEqualities(const ast::Expr& e, std::vector<const ast::BinaryExpr*>& out) {
    const auto* b = ast::dynCast<ast::BinaryExpr>(&e);
    if (b == nullptr) {
        return;
    }
    if (b->op == ast::BinaryOp::And) {
        flattenEqualities(*b->lhs, out);
        flattenEqualities(*b->rhs, out);
    } else if (b->op == ast::BinaryOp::Eq) {
        out.push_back(b);
    }
}

std::optional<ir::AggKind> aggKindOf(const std::string& name) {
    if (name == "count") {
        return ir::AggKind::Count;
    }
    if (name == "sum") {
        return ir::AggKind::Sum;
    }
    if (name == "min") {
        return ir::AggKind::Min;
    }
    if (name == "max") {
        return ir::AggKind::Max;
    }
    if (name == "avg") {
        return ir::AggKind::Avg;
    }
    if (name == "first") {
        return ir::AggKind::First;
    }
    if (name == "last") {
        return ir::AggKind::Last;
    }
    return std::nullopt;
}

void Lowerer::lowerDerived(ir::Service& svc, const void* derivedItem) {
    const sema::TableInfo* view = nullptr;
    const sema::EventInfo* stream = nullptr;
    for (const auto& [t, id] : tableIds_) {
        if (t == derivedItem) {
            view = t;
        }
    }
    if (view == nullptr) {
        stream = static_cast<const sema::EventInfo*>(derivedItem);
    }
    const sema::ServiceInfo& service = view != nullptr ? *view->service : *stream->service;
    const ast::Query& q = view != nullptr ? *view->decl->query : *stream->stream->query;
    std::string name = view != nullptr ? view->qualifiedName() : stream->qualifiedName();
    std::string origin =
        (view != nullptr ? "table " : "stream ") + name + " (" + where(q.range) + ")";
    std::int32_t siteId = site(&service, (view != nullptr ? "table " : "stream ") + name, q.range);

    ir::Derived d;
    d.stream = stream != nullptr;
    d.target = view != nullptr ? tableIds_.at(view) : eventIds_.at(stream);
    d.service = svc.id;
    d.site = siteId;

    struct Src {
        std::string alias;
        bool table = false;
        std::int32_t id = -1;
        std::int32_t layout = -1;
        bool optional = false;
    };
    std::vector<Src> srcs;
    auto addSrc = [&](const ast::Source& s, bool optional) {
        bool isTable = false;
        const void* info = resolveSource(s.name, service, isTable);
        Src src;
        src.alias = s.alias ? s.alias->name : s.name.last().name;
        src.table = isTable;
        src.optional = optional;
        if (isTable) {
            src.id = tableIds_.at(static_cast<const sema::TableInfo*>(info));
            src.layout = out_->tables[static_cast<std::size_t>(src.id)].rowLayout;
        } else {
            src.id = eventIds_.at(static_cast<const sema::EventInfo*>(info));
            src.layout = out_->events[static_cast<std::size_t>(src.id)].versions.back().layout;
        }
        srcs.push_back(src);
        d.sources.push_back(
            {isTable ? ir::SourceKind::Table : ir::SourceKind::Event, src.id, src.alias});
    };
    addSrc(q.from, false);
    for (const ast::JoinClause& j : q.joins) {
        addSrc(j.source, j.left);
    }
    // Kernels over the first `count` sources: one row argument each, and an envelope
    // argument for each event source.
    auto bindSources = [&](std::int32_t kid, Ctx& ctx, std::size_t count) {
        ctx.service = &service;
        ctx.site = siteId;
        for (std::size_t i = 0; i < count; ++i) {
            ir::Kernel& k = out_->kernels[static_cast<std::size_t>(kid)];
            std::int32_t a = addArg(k, srcs[i].alias, srcs[i].layout, false, srcs[i].optional);
            std::int32_t env =
                srcs[i].table
                    ? -1
                    : addEnvArg(out_->kernels[static_cast<std::size_t>(kid)], srcs[i].alias);
            ctx.scope.add(srcs[i].alias, Binding{Binding::Kind::Row, a, env, -1,
                                                 ir::Type::row(srcs[i].layout, srcs[i].optional)});
        }
    };

    for (std::size_t ji = 0; ji < q.joins.size(); ++ji) {
        const ast::JoinClause& j = q.joins[ji];
        const Src& right = srcs[ji + 1];
        ir::Join jn;
        jn.kind = j.left ? ir::JoinKind::Left : ir::JoinKind::Inner;
        jn.source = d.sources[ji + 1];
        if (j.within) {
            jn.withinMicros = constantValue(*j.within).value_or(0);
        }
        std::vector<const ast::BinaryExpr*> eqs;
        flattenEqualities(*j.on, eqs);
        // Each equality: (expression over earlier sources, expression over the right).
        std::vector<std::pair<const ast::Expr*, const ast::Expr*>> sides;
        for (const ast::BinaryExpr* eq : eqs) {
            std::set<std::string> lnames;
            collectNames(*eq->lhs, lnames);
            bool lhsIsRight = lnames.count(right.alias) != 0;
            sides.emplace_back(lhsIsRight ? eq->rhs.get() : eq->lhs.get(),
                               lhsIsRight ? eq->lhs.get() : eq->rhs.get());
        }
        if (right.table) {
            const ir::Table& rt = out_->tables[static_cast<std::size_t>(right.id)];
            jn.keyLayout = rt.keyLayout;
            const ir::Layout& kl = layout(rt.keyLayout);
            ir::Kernel& k =
                newKernel(ir::KernelKind::Key, name + "_join" + std::to_string(ji) + "_key",
                          origin + ": join key");
            std::int32_t kid = k.id;
            Ctx ctx;
            bindSources(kid, ctx, ji + 1);
            std::int32_t out =
                addArg(out_->kernels[static_cast<std::size_t>(kid)], "key", rt.keyLayout, true);
            std::vector<StmtPtr> body;
            for (std::size_t f = 0; f < kl.fields.size(); ++f) {
                for (const auto& [leftSide, rightSide] : sides) {
                    const auto* m = ast::dynCast<ast::MemberExpr>(rightSide);
                    std::int32_t rowField = rt.keyInRow[f];
                    if (m != nullptr && rowField >= 0 &&
                        m->member.name ==
                            layout(rt.rowLayout).fields[static_cast<std::size_t>(rowField)].name) {
                        body.push_back(setField(out, static_cast<std::int32_t>(f),
                                                coerce(lower(*leftSide, ctx), kl.fields[f].type)));
                        break;
                    }
                }
            }
            out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
            jn.leftKey = kid;
        } else {
            std::vector<std::pair<std::string, ir::Type>> keyFields;
            for (std::size_t f = 0; f < sides.size(); ++f) {
                ir::Type lt = scalarType(sema_.typeOf(*sides[f].first)).nonOptional();
                ir::Type rt = scalarType(sema_.typeOf(*sides[f].second)).nonOptional();
                ir::Type kt = (lt.is(ir::Scalar::Float) || rt.is(ir::Scalar::Float))
                                  ? ir::Type::of(ir::Scalar::Float)
                                  : lt;
                keyFields.emplace_back("k" + std::to_string(f), kt);
            }
            jn.keyLayout = addLayout(name + ".join" + std::to_string(ji) + ".key", keyFields);
            for (int side = 0; side < 2; ++side) {
                ir::Kernel& k = newKernel(ir::KernelKind::Key,
                                          name + "_join" + std::to_string(ji) +
                                              (side == 0 ? "_left" : "_right") + "_key",
                                          origin + ": join key");
                std::int32_t kid = k.id;
                Ctx ctx;
                if (side == 0) {
                    bindSources(kid, ctx, ji + 1);
                } else {
                    ctx.service = &service;
                    ctx.site = siteId;
                    std::int32_t a = addArg(out_->kernels[static_cast<std::size_t>(kid)],
                                            right.alias, right.layout);
                    std::int32_t env =
                        addEnvArg(out_->kernels[static_cast<std::size_t>(kid)], right.alias);
                    ctx.scope.add(right.alias, Binding{Binding::Kind::Row, a, env, -1,
                                                       ir::Type::row(right.layout, false)});
                }
                std::int32_t out =
                    addArg(out_->kernels[static_cast<std::size_t>(kid)], "key", jn.keyLayout, true);
                std::vector<StmtPtr> body;
                const ir::Layout& kl = layout(jn.keyLayout);
                for (std::size_t f = 0; f < sides.size(); ++f) {
                    const ast::Expr& ex = side == 0 ? *sides[f].first : *sides[f].second;
                    body.push_back(setField(out, static_cast<std::int32_t>(f),
                                            coerce(lower(ex, ctx), kl.fields[f].type)));
                }
                out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
                (side == 0 ? jn.leftKey : jn.rightKey) = kid;
            }
        }
        d.joins.push_back(jn);
    }

    if (q.where) {
        ir::Kernel& k = newKernel(ir::KernelKind::Predicate, name + "_where", origin + ": where");
        std::int32_t kid = k.id;
        Ctx ctx;
        bindSources(kid, ctx, srcs.size());
        auto ret = stmt(ir::StmtOp::Return);
        ret->value = lower(*q.where, ctx);
        out_->kernels[static_cast<std::size_t>(kid)].body.push_back(std::move(ret));
        d.where = kid;
    }
    if (q.window) {
        const ast::WindowClause& w = *q.window;
        d.window = w.kind == ast::WindowKind::Tumbling  ? ir::WindowKind::Tumbling
                   : w.kind == ast::WindowKind::Hopping ? ir::WindowKind::Hopping
                                                        : ir::WindowKind::Session;
        d.sizeMicros = constantValue(*w.size).value_or(0);
        d.everyMicros = w.every ? constantValue(*w.every).value_or(0) : d.sizeMicros;
        d.graceMicros = w.grace ? constantValue(*w.grace).value_or(0) : 0;
    }

    std::int32_t targetLayout =
        view != nullptr ? out_->tables[static_cast<std::size_t>(d.target)].rowLayout
                        : out_->events[static_cast<std::size_t>(d.target)].versions.back().layout;
    const ir::Layout tl = layout(targetLayout);  // a copy: layouts are added below

    if (!q.groupBy.empty()) {
        // The group key.
        std::vector<std::pair<std::string, ir::Type>> keyFields;
        for (std::size_t i = 0; i < q.groupBy.size(); ++i) {
            keyFields.emplace_back("g" + std::to_string(i),
                                   scalarType(sema_.typeOf(*q.groupBy[i])));
        }
        std::int32_t groupLayout = addLayout(name + ".group", keyFields);
        {
            ir::Kernel& k = newKernel(ir::KernelKind::Key, name + "_group", origin + ": group by");
            std::int32_t kid = k.id;
            Ctx ctx;
            bindSources(kid, ctx, srcs.size());
            std::int32_t out =
                addArg(out_->kernels[static_cast<std::size_t>(kid)], "key", groupLayout, true);
            std::vector<StmtPtr> body;
            for (std::size_t i = 0; i < q.groupBy.size(); ++i) {
                body.push_back(
                    setField(out, static_cast<std::int32_t>(i), lower(*q.groupBy[i], ctx)));
            }
            out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
            d.groupKey = kid;
        }
        // The aggregates, in order of appearance in the select.
        Grouping grouping;
        grouping.groupBy = &q.groupBy;
        std::vector<const ast::CallExpr*> calls;
        if (q.select) {
            for (const ast::SelectItem& item : q.select->items) {
                if (!item.value) {
                    continue;
                }
                ast::forEachExpr(*item.value, [&](const ast::Expr& x, int) {
                    if (const auto* c = ast::dynCast<ast::CallExpr>(&x)) {
                        if (sema_.refOf(*c).kind == sema::RefKind::Aggregate) {
                            calls.push_back(c);
                        }
                    }
                });
            }
        }
        std::vector<std::pair<std::string, ir::Type>> argFields, resultFields;
        for (std::size_t i = 0; i < calls.size(); ++i) {
            const auto* callee = ast::dynCast<ast::NameExpr>(calls[i]->callee.get());
            ir::Aggregate agg;
            agg.kind =
                aggKindOf(callee != nullptr ? callee->name : "count").value_or(ir::AggKind::Count);
            agg.type = scalarType(sema_.typeOf(*calls[i]));
            if (!calls[i]->args.empty()) {
                agg.argField = static_cast<std::int32_t>(argFields.size());
                argFields.emplace_back("a" + std::to_string(i),
                                       scalarType(sema_.typeOf(*calls[i]->args[0])));
            }
            resultFields.emplace_back("r" + std::to_string(i), agg.type);
            grouping.aggregates[calls[i]] = static_cast<std::int32_t>(i);
            d.aggregates.push_back(agg);
        }
        d.aggArgsLayout = addLayout(name + ".aggargs", argFields);
        d.aggLayout = addLayout(name + ".aggs", resultFields);
        {
            ir::Kernel& k = newKernel(ir::KernelKind::Project, name + "_aggargs",
                                      origin + ": aggregate arguments");
            std::int32_t kid = k.id;
            Ctx ctx;
            bindSources(kid, ctx, srcs.size());
            std::int32_t out =
                addArg(out_->kernels[static_cast<std::size_t>(kid)], "args", d.aggArgsLayout, true);
            std::vector<StmtPtr> body;
            for (std::size_t i = 0; i < calls.size(); ++i) {
                if (d.aggregates[i].argField >= 0) {
                    body.push_back(
                        setField(out, d.aggregates[i].argField, lower(*calls[i]->args[0], ctx)));
                }
            }
            out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
            d.aggArgs = kid;
        }
        std::int32_t windowLayout =
            addLayout(name + ".window", {{"start", ir::Type::of(ir::Scalar::Timestamp)},
                                         {"end", ir::Type::of(ir::Scalar::Timestamp)}});
        ir::Kernel& k = newKernel(ir::KernelKind::Project, name + "_select", origin + ": select");
        std::int32_t kid = k.id;
        Ctx ctx;
        ctx.service = &service;
        ctx.site = siteId;
        grouping.keyArg = addArg(out_->kernels[static_cast<std::size_t>(kid)], "key", groupLayout);
        grouping.aggArg = addArg(out_->kernels[static_cast<std::size_t>(kid)], "aggs", d.aggLayout);
        grouping.windowArg =
            addArg(out_->kernels[static_cast<std::size_t>(kid)], "window", windowLayout);
        ctx.grouping = &grouping;
        std::int32_t out =
            addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", targetLayout, true);
        std::vector<StmtPtr> body;
        if (q.select) {
            for (std::size_t i = 0; i < q.select->items.size(); ++i) {
                const ast::SelectItem& item = q.select->items[i];
                ExprPtr v = item.value ? lower(*item.value, ctx, &tl.fields[i].type)
                                       : lowerPunned(item.name, ctx);
                body.push_back(setField(out, static_cast<std::int32_t>(i),
                                        coerce(std::move(v), tl.fields[i].type)));
            }
        }
        out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
        d.project = kid;
    } else {
        ir::Kernel& k = newKernel(ir::KernelKind::Project, name + "_select", origin + ": select");
        std::int32_t kid = k.id;
        Ctx ctx;
        bindSources(kid, ctx, srcs.size());
        std::int32_t out =
            addArg(out_->kernels[static_cast<std::size_t>(kid)], "out", targetLayout, true);
        std::vector<StmtPtr> body;
        if (q.select) {
            for (std::size_t i = 0; i < q.select->items.size(); ++i) {
                const ast::SelectItem& item = q.select->items[i];
                ExprPtr v = item.value ? lower(*item.value, ctx, &tl.fields[i].type)
                                       : lowerPunned(item.name, ctx);
                body.push_back(setField(out, static_cast<std::int32_t>(i),
                                        coerce(std::move(v), tl.fields[i].type)));
            }
        } else {
            // No select: the first source's fields, as they are.
            for (std::size_t i = 0; i < tl.fields.size(); ++i) {
                auto v = mk(Op::Arg, tl.fields[i].type);
                v->arg = 0;
                v->field = static_cast<std::int32_t>(i);
                body.push_back(setField(out, static_cast<std::int32_t>(i), std::move(v)));
            }
        }
        out_->kernels[static_cast<std::size_t>(kid)].body = std::move(body);
        d.project = kid;
    }
    svc.derived.push_back(std::move(d));
}

// ---- Tests ------------------------------------------------------------------------------------

void Lowerer::lowerTests() {
    for (const sema::TestInfo& t : sema_.tests) {
        ir::Test test;
        test.name = t.decl->name;
        test.file = std::filesystem::path(sources_.file(t.decl->range.begin.file).path())
                        .filename()
                        .string();
        test.line = sources_.lineColumn(t.decl->range.begin).line;
        sema::ServiceInfo emptyService;
        const sema::ServiceInfo& scopeService = t.service != nullptr ? *t.service : emptyService;
        std::string prefix = "test_" + std::to_string(out_->tests.size());
        for (const ast::TestStep& s : t.decl->steps) {
            ir::TestStep step;
            step.line = sources_.lineColumn(s.range.begin).line;
            std::string_view text = sources_.file(s.range.begin.file).text();
            step.text =
                std::string(text.substr(s.range.begin.offset, s.range.end - s.range.begin.offset));
            Ctx ctx;
            ctx.service = t.service;
            ctx.site = site(t.service, "test \"" + t.decl->name + "\"", s.range);
            switch (s.kind) {
            case ast::StepKind::Given: {
                step.kind = ir::StepKind::Given;
                bool isTable = false;
                const auto* e = static_cast<const sema::EventInfo*>(
                    resolveSource(s.target, scopeService, isTable));
                step.event = eventIds_.at(e);
                const ir::Event& ev = out_->events[static_cast<std::size_t>(step.event)];
                std::size_t vi = ev.versions.size() - 1;
                if (s.version) {
                    for (std::size_t i = 0; i < ev.versions.size(); ++i) {
                        if (ev.versions[i].version == *s.version) {
                            vi = i;
                        }
                    }
                }
                step.version = static_cast<std::int32_t>(vi);
                const sema::RowType& row = e->isStream() ? e->streamRow : e->versions[vi]->row;
                ir::Kernel& k = newKernel(ir::KernelKind::Project, prefix + "_given",
                                          "test \"" + test.name + "\": given");
                std::int32_t kid = k.id;
                std::int32_t out = addArg(k, "out", ev.versions[vi].layout, true);
                auto values = recordValues(*s.record, row, ev.versions[vi].layout, ctx, e->service);
                for (std::size_t i = 0; i < values.size(); ++i) {
                    out_->kernels[static_cast<std::size_t>(kid)].body.push_back(
                        setField(out, static_cast<std::int32_t>(i), std::move(values[i])));
                }
                step.row = kid;
                if (s.value) {
                    if (std::optional<std::int64_t> at = constantValue(*s.value)) {
                        step.hasAt = true;
                        step.atMicros = *at;
                    }
                }
                break;
            }
            case ast::StepKind::When: {
                step.kind = ir::StepKind::When;
                const sema::Symbol* sym = nullptr;
                if (s.target.parts.size() == 1 && t.service != nullptr) {
                    sym = t.service->find(s.target.parts[0].name);
                } else if (s.target.parts.size() == 2) {
                    sym = sema_.serviceByName.at(s.target.parts[0].name)
                              ->find(s.target.parts[1].name);
                }
                const auto* c = static_cast<const sema::CommandInfo*>(sym->info);
                step.command = commandIds_.at(c);
                sema::RowType params;
                params.columns = c->params;
                std::int32_t pl = out_->commands[static_cast<std::size_t>(step.command)].params;
                ir::Kernel& k = newKernel(ir::KernelKind::Project, prefix + "_when",
                                          "test \"" + test.name + "\": when");
                std::int32_t kid = k.id;
                std::int32_t out = addArg(k, "out", pl, true);
                auto values = recordValues(*s.record, params, pl, ctx, c->service);
                for (std::size_t i = 0; i < values.size(); ++i) {
                    out_->kernels[static_cast<std::size_t>(kid)].body.push_back(
                        setField(out, static_cast<std::int32_t>(i), std::move(values[i])));
                }
                step.row = kid;
                step.outcome = s.outcome == ast::Outcome::Accepted   ? ir::Outcome::Accepted
                               : s.outcome == ast::Outcome::Rejected ? ir::Outcome::Rejected
                                                                     : ir::Outcome::Unchecked;
                step.hasReason = s.reason.has_value();
                step.reason = s.reason.value_or("");
                break;
            }
            case ast::StepKind::ExpectEmitted: {
                step.kind = ir::StepKind::ExpectEmitted;
                bool isTable = false;
                const auto* e = static_cast<const sema::EventInfo*>(
                    resolveSource(s.target, scopeService, isTable));
                step.event = eventIds_.at(e);
                if (s.record && !s.record->fields.empty()) {
                    const ir::Event& ev = out_->events[static_cast<std::size_t>(step.event)];
                    std::int32_t rl = ev.versions.back().layout;
                    ir::Kernel& k = newKernel(ir::KernelKind::Predicate, prefix + "_emitted",
                                              "test \"" + test.name + "\": expect emitted");
                    std::int32_t kid = k.id;
                    std::int32_t arg = addArg(k, "e", rl);
                    auto m = mk(Op::Matches, ir::Type::of(ir::Scalar::Bool));
                    auto subject = mk(Op::Arg, ir::Type::row(rl, false));
                    subject->arg = arg;
                    m->args.push_back(std::move(subject));
                    const ir::Layout& l = layout(rl);
                    for (const ast::FieldInit& f : s.record->fields) {
                        int idx = l.find(f.name.name);
                        const ir::Type& ft = l.fields[static_cast<std::size_t>(idx)].type;
                        m->fields.push_back(idx);
                        m->args.push_back(coerce(lower(*f.value, ctx, &ft), ft));
                    }
                    auto ret = stmt(ir::StmtOp::Return);
                    ret->value = std::move(m);
                    out_->kernels[static_cast<std::size_t>(kid)].body.push_back(std::move(ret));
                    step.match = kid;
                }
                if (s.value) {
                    step.count = constantValue(*s.value).value_or(-1);
                }
                break;
            }
            case ast::StepKind::Expect: {
                step.kind = ir::StepKind::Expect;
                ir::Kernel& k = newKernel(ir::KernelKind::TestExpect, prefix + "_expect",
                                          "test \"" + test.name + "\": expect");
                std::int32_t kid = k.id;
                auto ret = stmt(ir::StmtOp::Return);
                ret->value = lower(*s.value, ctx);
                out_->kernels[static_cast<std::size_t>(kid)].body.push_back(std::move(ret));
                step.expect = kid;
                break;
            }
            case ast::StepKind::Advance:
                step.kind = ir::StepKind::Advance;
                step.advanceMicros = constantValue(*s.value).value_or(0);
                break;
            }
            test.steps.push_back(std::move(step));
        }
        out_->tests.push_back(std::move(test));
    }
}

void Lowerer::lowerServices() {
    for (const sema::ServiceInfo* s : sema_.services) {
        ir::Service& svc = out_->services[static_cast<std::size_t>(serviceIds_.at(s))];
        for (const sema::TableInfo* t : s->tables) {
            if (!t->isView()) {
                for (const ast::Handler& h : t->decl->handlers) {
                    lowerHandler(svc, *t, h);
                }
            }
        }
        for (const sema::ReactionInfo* r : s->reactions) {
            lowerReaction(svc, *r);
        }
        for (const sema::CommandInfo* c : s->commands) {
            lowerCommand(*c);
        }
        for (const sema::QueryInfo* q : s->queries) {
            lowerQuery(*q);
        }
        lowerUpcasts(*s);
        for (const auto& [name, e] : s->subscriptions) {
            svc.consumes.push_back(eventIds_.at(e));
        }
    }
    for (const void* item : sema_.derivedOrder) {
        const sema::ServiceInfo* owner = nullptr;
        for (const auto& [t, id] : tableIds_) {
            if (t == item) {
                owner = t->service;
            }
        }
        if (owner == nullptr) {
            owner = static_cast<const sema::EventInfo*>(item)->service;
        }
        lowerDerived(out_->services[static_cast<std::size_t>(serviceIds_.at(owner))], item);
    }
}

std::unique_ptr<ir::Program> Lowerer::run() {
    for (const auto& f : ast_.files) {
        if (!f->isStdlib) {
            out_->source = sources_.file(f->id).path();
            break;
        }
    }
    declare();
    lowerServices();
    lowerTests();
    return std::move(out_);
}

}  // namespace

std::unique_ptr<ir::Program> lowerProgram(const ast::Program& program, const sema::SemaResult& sema,
                                          const SourceManager& sources) {
    return Lowerer(program, sema, sources).run();
}

}  // namespace flow::lower
