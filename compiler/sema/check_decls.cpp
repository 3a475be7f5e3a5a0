// sema/check_decls.cpp - statements, handlers, commands, queries, streams, views and tests.
#include "sema/analyzer.h"
#include "support/text.h"

#include <algorithm>

namespace flow::sema {

namespace {

/// Declares the alias of an event or table source. With `row` null (the source did not
/// resolve, which was reported) the alias still exists, with the error type, so its
/// uses do not report again.
void addAliasVar(Scope& scope, const std::string& name, const RowType* row, bool optional,
                 const void* source, bool isTable, SourceRange range) {
    Var v;
    v.name = name;
    v.type = row == nullptr ? Type::error()
             : optional     ? Type::rowOf(row).optional()
                            : Type::rowOf(row);
    v.source = source;
    v.sourceIsTable = isTable;
    v.range = range;
    scope.add(std::move(v));
}

}  // namespace

// ---- Statements ------------------------------------------------------------------------

void Analyzer::checkBlock(const ast::Block& b, Ctx& ctx) {
    for (const auto& s : b.stmts) {
        checkStmt(*s, ctx);
    }
}

void Analyzer::checkStmt(const ast::Stmt& s, Ctx& ctx) {
    switch (s.kind) {
    case ast::StmtKind::If: {
        const auto& i = static_cast<const ast::IfStmt&>(s);
        expect(*i.cond, ctx, Type::boolean());
        checkBlock(i.then, ctx);
        if (i.otherwise) {
            checkBlock(*i.otherwise, ctx);
        }
        return;
    }
    case ast::StmtKind::Require: {
        const auto& r = static_cast<const ast::RequireStmt&>(s);
        if (ctx.site != Site::Command) {
            diags_.report(DiagCode::E0406, s.range, "'require'", ctx.siteName)
                .note("'require' rejects a command; it is allowed only in commands");
        }
        expect(*r.cond, ctx, Type::boolean());
        expect(*r.message, ctx, Type::string());
        return;
    }
    case ast::StmtKind::Emit:
        checkEmit(static_cast<const ast::EmitStmt&>(s), ctx);
        return;
    case ast::StmtKind::Assign:
        checkAssign(static_cast<const ast::AssignStmt&>(s), ctx);
        return;
    case ast::StmtKind::Delete:
        if (ctx.site != Site::Handler) {
            diags_.report(DiagCode::E0406, s.range, "'delete'", ctx.siteName)
                .note("'delete' removes the current row of a table; it is allowed only in table "
                      "handlers");
        }
        return;
    }
}

void Analyzer::checkEmit(const ast::EmitStmt& s, Ctx& ctx) {
    if (ctx.site != Site::Command && ctx.site != Site::Reaction) {
        auto& d = diags_.report(DiagCode::E0403, s.range, ctx.siteName);
        if (ctx.site == Site::Handler) {
            d.note("tables only fold events into state; emit from a reaction ('on E e { ... }' "
                   "at service level) or a command");
        }
    }
    const EventInfo* e = resolveEventName(s.event, ctx.service, false);
    if (e == nullptr) {
        for (const auto& f : s.fields.fields) {
            if (f.value) {
                check(*f.value, ctx);
            }
        }
        return;
    }
    if (e->isStream()) {
        diags_.report(DiagCode::E0206, s.event.range, e->qualifiedName(), "a stream", "an event")
            .note("a stream's events are derived by its query and cannot be emitted");
        return;
    }
    if (e->service != ctx.service) {
        diags_
            .report(DiagCode::E0402, s.event.range, ctx.service->name, e->qualifiedName(),
                    e->service->name)
            .note(e->declRange(), "'" + e->qualifiedName() + "' is declared here")
            .note("only the owner of an event type may emit it (single writer)");
    }
    checkRecord(s.fields, e->row(), ctx, true, "event", e->qualifiedName());
    if (ctx.emits != nullptr &&
        std::find(ctx.emits->begin(), ctx.emits->end(), e) == ctx.emits->end()) {
        ctx.emits->push_back(e);
    }
}

void Analyzer::checkAssign(const ast::AssignStmt& s, Ctx& ctx) {
    if (ctx.site != Site::Handler && ctx.site != Site::Upcast) {
        diags_.report(DiagCode::E0406, s.range, "an assignment", ctx.siteName)
            .note("state changes only in table handlers: 'on E e { field = value; }'");
        check(*s.value, ctx);
        return;
    }
    const Var* v = ctx.scope != nullptr ? ctx.scope->find(s.target.name) : nullptr;
    if (v == nullptr || !v->assignable) {
        if (v != nullptr && v->isKey) {
            diags_.report(DiagCode::E0305, s.target.range, s.target.name, "it is the table's key");
        } else if (v != nullptr) {
            diags_.report(DiagCode::E0305, s.target.range, s.target.name,
                          "only fields of the row being updated can be assigned");
        } else {
            std::vector<std::string> candidates;
            if (ctx.scope != nullptr) {
                for (const Var& x : ctx.scope->vars()) {
                    if (x.assignable) {
                        candidates.push_back(x.name);
                    }
                }
            }
            std::string owner =
                ctx.table != nullptr ? ctx.table->qualifiedName() : ctx.upcastTarget;
            auto& d = diags_.report(DiagCode::E0203, s.target.range,
                                    ctx.table != nullptr ? "table" : "event", owner, s.target.name);
            if (auto m = closestMatch(s.target.name, candidates)) {
                d.note("did you mean '" + *m + "'?");
            }
        }
        // Without the target's type a bare enum value cannot be resolved: leave it be
        // rather than report it too.
        if (s.value->kind != ast::ExprKind::Name) {
            check(*s.value, ctx);
        }
        return;
    }
    const Type& ft = v->type;
    if (s.op == ast::AssignOp::Set) {
        expect(*s.value, ctx, ft);
        return;
    }
    bool ok = ft.isNumeric() || ft.is(TypeKind::Duration) ||
              (s.op == ast::AssignOp::Add && ft.is(TypeKind::String));
    if (!ok) {
        diags_.report(DiagCode::E0302, s.range, ast::spelling(s.op), ft.str(),
                      check(*s.value, ctx).str());
        return;
    }
    // Reports E0301 for a value that does not fit (a float added to an int field).
    expectArithmetic(*s.value, ctx, ft);
}

// ---- Names of events and commands ------------------------------------------------------

const EventInfo* Analyzer::resolveEventName(const ast::QualifiedName& name, ServiceInfo* service,
                                            bool subscribe, bool tablesAllowed,
                                            const TableInfo** table) {
    const Symbol* sym = nullptr;
    ServiceInfo* owner = nullptr;
    if (name.parts.size() == 1 && service != nullptr) {
        sym = service->find(name.parts[0].name);
        owner = service;
    } else if (name.parts.size() == 2) {
        auto it = result_.serviceByName.find(name.parts[0].name);
        if (it != result_.serviceByName.end()) {
            owner = it->second;
            sym = owner->find(name.parts[1].name);
        }
    }
    if (sym == nullptr) {
        std::vector<std::string> candidates;
        for (ServiceInfo* s : result_.services) {
            for (EventInfo* e : s->events) {
                candidates.push_back(s == service ? e->name : e->qualifiedName());
                candidates.push_back(e->qualifiedName());
            }
        }
        auto m = closestMatch(name.str(), candidates);
        for (ServiceInfo* s : result_.services) {
            for (EventInfo* e : s->events) {
                // `OrderPlaced` for another service's event: suggest the qualified name.
                if (!m && name.parts.size() == 1 && s != service && e->name == name.parts[0].name) {
                    m = e->qualifiedName();
                }
            }
        }
        auto& d = diags_.report(DiagCode::E0201, name.range, "event", name.str());
        if (m) {
            d.note("did you mean '" + *m + "'?");
        } else if (name.parts.size() == 1 && service == nullptr) {
            d.note("outside a service, name events as 'Service.Event'");
        }
        return nullptr;
    }
    if (sym->kind == SymbolKind::Event) {
        auto* e = static_cast<EventInfo*>(sym->info);
        if (subscribe && service != nullptr) {
            service->subscriptions[e->qualifiedName()] = e;
        }
        return e;
    }
    if (sym->kind == SymbolKind::Table && tablesAllowed) {
        auto* t = static_cast<const TableInfo*>(sym->info);
        if (owner != service) {
            diags_.report(DiagCode::E0405, name.range, t->name, t->service->name)
                .note(t->decl->name.range, "'" + t->qualifiedName() + "' is declared here");
            return nullptr;
        }
        *table = t;
        return nullptr;
    }
    diags_.report(DiagCode::E0206, name.range, name.str(), describeKind(sym->kind),
                  tablesAllowed ? "an event, a stream or a table" : "an event or a stream");
    return nullptr;
}

const CommandInfo* Analyzer::resolveCommandName(const ast::QualifiedName& name,
                                                ServiceInfo* service) {
    const Symbol* sym = nullptr;
    if (name.parts.size() == 1 && service != nullptr) {
        sym = service->find(name.parts[0].name);
    } else if (name.parts.size() == 2) {
        auto it = result_.serviceByName.find(name.parts[0].name);
        if (it != result_.serviceByName.end()) {
            sym = it->second->find(name.parts[1].name);
        }
    }
    if (sym == nullptr) {
        std::vector<std::string> candidates;
        for (ServiceInfo* s : result_.services) {
            for (CommandInfo* c : s->commands) {
                candidates.push_back(c->qualifiedName());
                if (s == service) {
                    candidates.push_back(c->name);
                }
            }
        }
        auto m = closestMatch(name.str(), candidates);
        for (ServiceInfo* s : result_.services) {
            for (CommandInfo* c : s->commands) {
                if (!m && name.parts.size() == 1 && s != service && c->name == name.parts[0].name) {
                    m = c->qualifiedName();
                }
            }
        }
        auto& d = diags_.report(DiagCode::E0201, name.range, "command", name.str());
        if (m) {
            d.note("did you mean '" + *m + "'?");
        } else if (name.parts.size() == 1 && service == nullptr) {
            d.note("outside a service, name commands as 'Service.Command'");
        }
        return nullptr;
    }
    if (sym->kind != SymbolKind::Command) {
        diags_.report(DiagCode::E0206, name.range, name.str(), describeKind(sym->kind),
                      "a command");
        return nullptr;
    }
    return static_cast<const CommandInfo*>(sym->info);
}

// ---- Handlers, reactions, commands ------------------------------------------------------

void Analyzer::checkFoldHandlers(TableInfo& t) {
    for (const ast::Handler& h : t.decl->handlers) {
        const EventInfo* e = resolveEventName(h.event, t.service, true);
        Scope scope;
        for (std::size_t i = 0; i < t.row.columns.size(); ++i) {
            const Column& c = t.row.columns[i];
            Var v;
            v.name = c.name;
            v.type = c.type;
            v.kind = RefKind::Field;
            v.index = static_cast<int>(i);
            v.assignable = !c.isKey;
            v.isKey = c.isKey;
            v.source = &t;
            scope.add(std::move(v));
        }
        if (h.alias) {
            // A derived stream that failed to check has no row: its fields are not known.
            bool known = e != nullptr && badDerived_.count(e) == 0;
            addAliasVar(scope, h.alias->name, known ? &e->row() : nullptr, false, e, false,
                        h.alias->range);
        }
        Ctx ctx;
        ctx.service = t.service;
        ctx.site = Site::Handler;
        ctx.siteName = "a table handler";
        ctx.scope = &scope;
        ctx.table = &t;
        if (!h.by.empty()) {
            if (h.by.size() != t.keyTypes.size()) {
                std::string want, got;
                for (const Type& k : t.keyTypes) {
                    want += (want.empty() ? "" : ", ") + k.spelling();
                }
                for (const auto& b : h.by) {
                    got += (got.empty() ? "" : ", ") + check(*b, ctx).spelling();
                }
                diags_.report(DiagCode::E0306, h.by.front()->range, "table", t.qualifiedName(),
                              want, got);
            } else {
                for (std::size_t i = 0; i < h.by.size(); ++i) {
                    expect(*h.by[i], ctx, t.keyTypes[i]);
                }
            }
        } else if (e != nullptr && e->key() != nullptr) {
            const Column* ek = e->key();
            bool match =
                t.keyTypes.size() == 1 && t.keyNames[0] == ek->name && t.keyTypes[0] == ek->type;
            // A key of an unknown type (reported) matches anything.
            bool known =
                !ek->type.isError() && std::none_of(t.keyTypes.begin(), t.keyTypes.end(),
                                                    [](const Type& k) { return k.isError(); });
            if (!match && known) {
                std::string tk, tt;
                for (std::size_t i = 0; i < t.keyNames.size(); ++i) {
                    tk += (i ? ", " : "") + t.keyNames[i];
                    tt += (i ? ", " : "") + t.keyTypes[i].spelling();
                }
                diags_
                    .report(DiagCode::E0404, h.event.range, h.event.str(), ek->name,
                            ek->type.spelling(), tk, tt)
                    .note("name the row to update, e.g. 'on " + h.event.str() + " " +
                          (h.alias ? h.alias->name : std::string("e")) + " by " +
                          (h.alias ? h.alias->name : std::string("e")) + "." + t.keyNames[0] + "'");
            }
        }
        checkBlock(h.body, ctx);
    }
}

void Analyzer::checkReaction(ReactionInfo& r) {
    const ast::Handler& h = r.decl->handler;
    r.trigger = resolveEventName(h.event, r.service, true);
    Scope scope;
    if (h.alias) {
        bool known = r.trigger != nullptr && badDerived_.count(r.trigger) == 0;
        addAliasVar(scope, h.alias->name, known ? &r.trigger->row() : nullptr, false, r.trigger,
                    false, h.alias->range);
    }
    Ctx ctx;
    ctx.service = r.service;
    ctx.site = Site::Reaction;
    ctx.siteName = "a reaction";
    ctx.scope = &scope;
    ctx.emits = &r.emits;
    checkBlock(h.body, ctx);
}

void Analyzer::checkCommand(CommandInfo& c) {
    Scope scope;
    for (std::size_t i = 0; i < c.params.size(); ++i) {
        Var v;
        v.name = c.params[i].name;
        v.type = c.params[i].type;
        v.index = static_cast<int>(i);
        v.source = &c;
        scope.add(std::move(v));
    }
    Ctx ctx;
    ctx.service = c.service;
    ctx.site = Site::Command;
    ctx.siteName = "a command";
    ctx.scope = &scope;
    ctx.emits = &c.emits;
    checkBlock(c.decl->body, ctx);
}

void Analyzer::checkQueryDecl(QueryInfo& q) {
    Scope scope;
    for (std::size_t i = 0; i < q.params.size(); ++i) {
        Var v;
        v.name = q.params[i].name;
        v.type = q.params[i].type;
        v.index = static_cast<int>(i);
        v.source = &q;
        scope.add(std::move(v));
    }
    if (q.decl->expr) {
        Ctx ctx;
        ctx.service = q.service;
        ctx.site = Site::Query;
        ctx.siteName = "a query";
        ctx.scope = &scope;
        q.result = check(*q.decl->expr, ctx);
        if (q.result.kind() == TypeKind::None) {
            diags_.report(DiagCode::E0311, q.decl->expr->range, "query '" + q.name + "'")
                .note("'none' alone has no type; a query returns a value or a row");
            q.result = Type::error();
        }
        return;
    }
    QueryShape shape;
    if (checkQuery(*q.decl->query, *q.service, Site::Query, &scope, shape)) {
        q.resultRow.columns = shape.row.columns;
        q.resultRow.kind = RowType::Kind::Select;
        q.result = Type::listOf(&q.resultRow);
    } else {
        q.result = Type::error();
    }
}

void Analyzer::checkTest(const TestInfo& t) {
    auto [it, inserted] = testNames_.emplace(t.decl->name, t.decl->nameRange);
    if (!inserted) {
        diags_.report(DiagCode::E0701, t.decl->nameRange, t.decl->name)
            .note(it->second, "previously declared here");
    }
    Scope scope;
    Ctx ctx;
    ctx.service = t.service;
    ctx.site = Site::Test;
    ctx.siteName = "a test";
    ctx.scope = &scope;
    auto constant = [&](const ast::Expr& e, const Type& want, const char* what) {
        Type got = expect(e, ctx, want);
        if (!got.isError() && !isConstant(e)) {
            diags_.report(DiagCode::E0307, e.range, what);
        }
    };
    for (const ast::TestStep& step : t.decl->steps) {
        switch (step.kind) {
        case ast::StepKind::Given: {
            const EventInfo* e = resolveEventName(step.target, t.service, false);
            if (e != nullptr && badDerived_.count(e) == 0) {
                const RowType* row = &e->row();
                if (step.version) {
                    const EventVersion* v = e->isStream() ? nullptr : e->version(*step.version);
                    if (v == nullptr) {
                        diags_.report(DiagCode::E0201, step.versionRange, "event version",
                                      e->qualifiedName() + " v" + std::to_string(*step.version));
                        row = nullptr;
                    } else {
                        row = &v->row;
                    }
                }
                if (row != nullptr) {
                    checkRecord(*step.record, *row, ctx, true, "event", e->qualifiedName());
                }
            }
            if (step.value) {
                constant(*step.value, Type::timestamp(), "the time of a 'given' event");
            }
            break;
        }
        case ast::StepKind::When: {
            const CommandInfo* c = resolveCommandName(step.target, t.service);
            if (c != nullptr) {
                checkParamsRecord(*step.record, c->params, ctx, c->qualifiedName());
            }
            break;
        }
        case ast::StepKind::ExpectEmitted: {
            const EventInfo* e = resolveEventName(step.target, t.service, false);
            if (e != nullptr && step.record && badDerived_.count(e) == 0) {
                checkRecord(*step.record, e->row(), ctx, false, "event", e->qualifiedName());
            }
            if (step.value) {
                constant(*step.value, Type::integer(), "an expected count");
            }
            break;
        }
        case ast::StepKind::Expect:
            expect(*step.value, ctx, Type::boolean());
            break;
        case ast::StepKind::Advance: {
            Type got = expect(*step.value, ctx, Type::duration());
            if (got.isError()) {
                break;
            }
            if (!isConstant(*step.value)) {
                diags_.report(DiagCode::E0307, step.value->range, "the time to advance");
            } else if (auto d = constDuration(*step.value); !d || *d <= 0) {
                diags_.report(DiagCode::E0301, step.value->range, "a positive duration",
                              "'" + sourceText(*step.value) + "'");
            }
            break;
        }
        }
    }
}

// ---- Queries: views, streams and `from` queries ------------------------------------------

void Analyzer::collectAliases(const ast::Expr& e, std::set<std::string>& out) const {
    switch (e.kind) {
    case ast::ExprKind::Name:
        if (result_.exprRefs[e.id].kind == RefKind::Variable) {
            out.insert(static_cast<const ast::NameExpr&>(e).name);
        }
        return;
    case ast::ExprKind::Member:
        collectAliases(*static_cast<const ast::MemberExpr&>(e).base, out);
        return;
    case ast::ExprKind::Index:
        for (const auto& k : static_cast<const ast::IndexExpr&>(e).keys) {
            collectAliases(*k, out);
        }
        return;
    case ast::ExprKind::Call:
        for (const auto& a : static_cast<const ast::CallExpr&>(e).args) {
            collectAliases(*a, out);
        }
        return;
    case ast::ExprKind::Unary:
        collectAliases(*static_cast<const ast::UnaryExpr&>(e).operand, out);
        return;
    case ast::ExprKind::Binary:
        collectAliases(*static_cast<const ast::BinaryExpr&>(e).lhs, out);
        collectAliases(*static_cast<const ast::BinaryExpr&>(e).rhs, out);
        return;
    case ast::ExprKind::Exists:
        collectAliases(*static_cast<const ast::ExistsExpr&>(e).operand, out);
        return;
    case ast::ExprKind::Matches:
        collectAliases(*static_cast<const ast::MatchesExpr&>(e).subject, out);
        return;
    default:
        return;
    }
}

void Analyzer::checkJoinCondition(const ast::Expr& on, const std::vector<std::string>& earlier,
                                  const std::string& right, const TableInfo* rightTable, Ctx& ctx) {
    (void)ctx;
    std::vector<const ast::BinaryExpr*> eqs;
    std::vector<const ast::Expr*> work = {&on};
    bool shapeOk = true;
    while (!work.empty()) {
        const ast::Expr* e = work.back();
        work.pop_back();
        const auto* b = ast::dynCast<ast::BinaryExpr>(e);
        if (b != nullptr && b->op == ast::BinaryOp::And) {
            work.push_back(b->rhs.get());
            work.push_back(b->lhs.get());
        } else if (b != nullptr && b->op == ast::BinaryOp::Eq) {
            eqs.push_back(b);
        } else {
            diags_.report(DiagCode::E0503, e->range,
                          "a join condition is one equality or a conjunction of equalities "
                          "('a.x == b.x && a.y == b.y')");
            shapeOk = false;
        }
    }
    if (!shapeOk) {
        return;
    }
    std::set<std::string> coveredKeys;
    for (const ast::BinaryExpr* eq : eqs) {
        std::set<std::string> l, r;
        collectAliases(*eq->lhs, l);
        collectAliases(*eq->rhs, r);
        auto onlyRight = [&](const std::set<std::string>& s) {
            return s.size() == 1 && s.count(right) == 1;
        };
        auto onlyEarlier = [&](const std::set<std::string>& s) {
            if (s.empty()) {
                return false;
            }
            for (const std::string& a : s) {
                if (std::find(earlier.begin(), earlier.end(), a) == earlier.end()) {
                    return false;
                }
            }
            return true;
        };
        const ast::Expr* rightSide = nullptr;
        if (onlyRight(l) && onlyEarlier(r)) {
            rightSide = eq->lhs.get();
        } else if (onlyRight(r) && onlyEarlier(l)) {
            rightSide = eq->rhs.get();
        } else {
            diags_.report(DiagCode::E0503, eq->range,
                          "each equality must compare '" + right + "' with an earlier source");
            shapeOk = false;
            continue;
        }
        if (rightTable != nullptr) {
            const auto* m = ast::dynCast<ast::MemberExpr>(rightSide);
            bool isKey = false;
            if (m != nullptr && ast::dynCast<ast::NameExpr>(m->base.get()) != nullptr) {
                const std::vector<std::string>& names = rightTable->keyNames;
                isKey = std::find(names.begin(), names.end(), m->member.name) != names.end();
                if (isKey) {
                    coveredKeys.insert(m->member.name);
                }
            }
            if (!isKey) {
                diags_.report(DiagCode::E0503, rightSide->range,
                              "a join with table '" + rightTable->qualifiedName() +
                                  "' looks rows up by its key: compare '" + right + "." +
                                  (rightTable->keyNames.empty() ? std::string("key")
                                                                : rightTable->keyNames[0]) +
                                  "' with a value");
                return;
            }
        }
    }
    // After a bad equality the key coverage is unknown: one error is enough.
    if (shapeOk && rightTable != nullptr && coveredKeys.size() != rightTable->keyNames.size()) {
        std::string keys;
        for (const std::string& k : rightTable->keyNames) {
            keys += (keys.empty() ? "" : ", ") + k;
        }
        diags_.report(DiagCode::E0503, on.range,
                      "a join with table '" + rightTable->qualifiedName() +
                          "' must match its whole key (" + keys + ")");
    }
}

namespace {

/// True if `e` reads a source alias outside any aggregate and is not itself one of the
/// group-by expressions: the thing SQL calls "not in GROUP BY".
const ast::Expr* ungrouped(const ast::Expr& e, const std::vector<ast::ExprPtr>& groupBy,
                           const SemaResult& result,
                           bool (*same)(const ast::Expr&, const ast::Expr&)) {
    for (const auto& g : groupBy) {
        if (same(e, *g)) {
            return nullptr;
        }
    }
    const Ref& ref = result.exprRefs[e.id];
    switch (e.kind) {
    case ast::ExprKind::Name:
        return ref.kind == RefKind::Variable && ref.target == nullptr ? nullptr
               : ref.kind == RefKind::Variable                        ? &e
                                                                      : nullptr;
    case ast::ExprKind::Member: {
        if (ref.kind == RefKind::Window || ref.kind == RefKind::EnumValue) {
            return nullptr;
        }
        const auto& m = static_cast<const ast::MemberExpr&>(e);
        return ungrouped(*m.base, groupBy, result, same) != nullptr ? &e : nullptr;
    }
    case ast::ExprKind::Call:
        if (ref.kind == RefKind::Aggregate) {
            return nullptr;
        }
        for (const auto& a : static_cast<const ast::CallExpr&>(e).args) {
            if (auto* u = ungrouped(*a, groupBy, result, same)) {
                return u;
            }
        }
        return nullptr;
    case ast::ExprKind::Unary:
        return ungrouped(*static_cast<const ast::UnaryExpr&>(e).operand, groupBy, result, same);
    case ast::ExprKind::Binary: {
        const auto& b = static_cast<const ast::BinaryExpr&>(e);
        if (auto* u = ungrouped(*b.lhs, groupBy, result, same)) {
            return u;
        }
        return ungrouped(*b.rhs, groupBy, result, same);
    }
    case ast::ExprKind::Index:
        for (const auto& k : static_cast<const ast::IndexExpr&>(e).keys) {
            if (auto* u = ungrouped(*k, groupBy, result, same)) {
                return u;
            }
        }
        return nullptr;
    default:
        return nullptr;
    }
}

}  // namespace

bool Analyzer::checkQuery(const ast::Query& q, ServiceInfo& service, Site site, const Scope* params,
                          QueryShape& shape) {
    bool isStream = false;
    bool isView = false;
    if (site == Site::Derived) {
        // The caller tells us which through the shape's first use; streams have no
        // group by. We learn it from whether a TableInfo owns this query.
        for (TableInfo* t : service.tables) {
            if (t->decl->query.get() == &q) {
                isView = true;
            }
        }
        isStream = !isView;
    }
    const char* what = isStream ? "a stream" : isView ? "a table" : "a query";
    shape.scope = std::make_unique<Scope>(params);
    Scope& scope = *shape.scope;
    bool ok = true;

    auto addSource = [&](const ast::Source& src, bool optional) -> bool {
        const TableInfo* table = nullptr;
        const EventInfo* event =
            resolveEventName(src.name, &service, site != Site::Query, true, &table);
        if (event == nullptr && table == nullptr) {
            return false;
        }
        const void* info =
            event != nullptr ? static_cast<const void*>(event) : static_cast<const void*>(table);
        if (badDerived_.count(info) != 0) {
            return false;
        }
        if (site == Site::Query && table == nullptr) {
            diags_.report(DiagCode::E0206, src.name.range, src.name.str(), "an event", "a table")
                .note("queries read the service's tables; events are read by tables and streams");
            return false;
        }
        std::string alias = src.alias ? src.alias->name : src.name.last().name;
        for (const auto& s : shape.sources) {
            if (s.alias == alias) {
                auto& d = diags_.report(
                    DiagCode::E0202, src.alias ? src.alias->range : src.name.range, "alias", alias);
                if (const Var* earlier = scope.find(alias)) {
                    d.note(earlier->range, "previously declared here");
                }
                return false;
            }
        }
        shape.sources.push_back({alias, event, table, optional});
        addAliasVar(scope, alias, event != nullptr ? &event->row() : &table->row, optional, info,
                    table != nullptr, src.range);
        return true;
    };

    if (!addSource(q.from, false)) {
        return false;
    }
    bool leftIsStream = shape.sources[0].event != nullptr;
    if (isStream && !leftIsStream) {
        diags_
            .report(DiagCode::E0206, q.from.name.range, q.from.name.str(), "a table",
                    "an event or a stream")
            .note("a stream derives events from events; a query over a table is a table");
        return false;
    }

    Ctx ctx;
    ctx.service = &service;
    ctx.site = site;
    ctx.siteName = what;
    ctx.scope = &scope;

    for (const ast::JoinClause& j : q.joins) {
        std::vector<std::string> earlier;
        for (const auto& s : shape.sources) {
            earlier.push_back(s.alias);
        }
        if (!addSource(j.source, j.left)) {
            ok = false;
            continue;
        }
        const auto& right = shape.sources.back();
        bool rightIsStream = right.event != nullptr;
        if (rightIsStream && !leftIsStream) {
            diags_.report(
                DiagCode::E0503, j.source.range,
                "a table cannot be joined with a stream on its right; put the stream first");
            ok = false;
        } else if (rightIsStream && j.within == nullptr) {
            const EventInfo* left = shape.sources[0].event;
            diags_
                .report(DiagCode::E0501, j.range, left->qualifiedName(),
                        right.event->qualifiedName())
                .note("events of two streams meet only within a time window: add 'within 1h' (or "
                      "another bound)");
            ok = false;
        } else if (!rightIsStream && j.within != nullptr) {
            diags_.report(DiagCode::E0507, j.within->range,
                          "'within' applies only to a join of two streams");
            ok = false;
        }
        if (j.within != nullptr) {
            Ctx cctx = ctx;
            cctx.site = Site::Constant;
            Type t = expect(*j.within, cctx, Type::duration());
            if (!t.isError() && !isConstant(*j.within)) {
                diags_.report(DiagCode::E0307, j.within->range, "the 'within' bound");
            } else if (auto d = constDuration(*j.within); !t.isError() && (!d || *d <= 0)) {
                diags_.report(DiagCode::E0505, j.within->range,
                              "the 'within' bound must be positive");
            }
        }
        Type cond = expect(*j.on, ctx, Type::boolean());
        if (!cond.isError()) {
            checkJoinCondition(*j.on, earlier, right.alias, right.table, ctx);
        }
    }
    if (!ok) {
        return false;
    }
    // Join shapes the runtime does not execute yet are refused here, plainly, rather
    // than accepted and mishandled (docs/language-notes.md lists them).
    bool streamJoin = false;
    for (std::size_t i = 1; i < shape.sources.size(); ++i) {
        streamJoin = streamJoin || shape.sources[i].event != nullptr;
    }
    if (streamJoin && (q.joins.size() > 1 || !isStream)) {
        diags_.report(
            DiagCode::E0507, q.joins.front().range,
            !isStream
                ? "a join of two streams makes a stream: declare it with 'stream', not 'table'"
                : "a join of two streams cannot be combined with other joins yet");
        return false;
    }
    if (!leftIsStream && q.joins.size() > 1) {
        diags_.report(DiagCode::E0507, q.joins[1].range,
                      "a table can be joined with one other table only, for now");
        return false;
    }
    if (!leftIsStream && !q.joins.empty() && (q.where || !q.groupBy.empty())) {
        diags_.report(DiagCode::E0507, q.where ? q.where->range : q.groupByRange,
                      std::string("a join of two tables cannot be combined with '") +
                          (q.where ? "where" : "group by") + "' yet");
        return false;
    }
    if (q.where) {
        expect(*q.where, ctx, Type::boolean());
    }
    if (q.window) {
        const ast::WindowClause& w = *q.window;
        if (!isView) {
            diags_.report(DiagCode::E0507, w.range,
                          std::string("a window is only allowed in a table, not in ") + what);
            ok = false;
        } else if (!leftIsStream) {
            diags_.report(DiagCode::E0505, w.range,
                          "windows group events; '" + q.from.name.str() + "' is a table");
            ok = false;
        } else if (q.groupBy.empty()) {
            diags_.report(DiagCode::E0505, w.range, "a windowed table needs 'group by'");
            ok = false;
        }
        Ctx cctx = ctx;
        cctx.site = Site::Constant;
        auto checkDuration = [&](const ast::ExprPtr& e, const char* name,
                                 bool allowZero) -> std::int64_t {
            if (!e) {
                return 0;
            }
            Type t = expect(*e, cctx, Type::duration());
            if (t.isError()) {
                return 0;
            }
            if (!isConstant(*e)) {
                diags_.report(DiagCode::E0307, e->range, std::string("the window's ") + name);
                return 0;
            }
            std::optional<std::int64_t> d = constDuration(*e);
            if (!d || *d < 0 || (!allowZero && *d == 0)) {
                diags_.report(DiagCode::E0505, e->range,
                              std::string("the ") + name +
                                  (allowZero ? " must not be negative" : " must be positive"));
                return 0;
            }
            return *d;
        };
        std::int64_t size =
            checkDuration(w.size, w.kind == ast::WindowKind::Session ? "gap" : "size", false);
        std::int64_t every = checkDuration(w.every, "advance ('every')", false);
        checkDuration(w.grace, "grace", true);
        if (w.kind == ast::WindowKind::Hopping && every > size && size > 0) {
            diags_.report(DiagCode::E0505, w.every->range,
                          "a hopping window cannot advance by more than its size");
        }
        shape.windowed = true;
    }
    bool groupKeysOk = true;  // after a bad 'group by' expression, grouping is not checked
    for (const auto& g : q.groupBy) {
        Type t = check(*g, ctx);
        groupKeysOk = groupKeysOk && !t.isError();
        if (!t.isError() && (!t.isScalar() || t.isOptional())) {
            diags_.report(DiagCode::E0301, g->range, "a non-optional scalar group key", t.str());
        }
        shape.keyTypes.push_back(t);
        shape.keyNames.emplace_back();
    }
    shape.grouped = !q.groupBy.empty();
    if (shape.grouped && isStream) {
        diags_.report(
            DiagCode::E0507, q.groupByRange,
            "a stream cannot use 'group by': an aggregation is a table ('table T = from ...')");
        return false;
    }
    if (shape.grouped && site == Site::Query) {
        diags_.report(DiagCode::E0507, q.groupByRange,
                      "a query cannot use 'group by': declare an aggregated table and query it");
        return false;
    }
    std::size_t windowStartKey = 0;
    if (shape.windowed) {
        windowStartKey = shape.keyTypes.size();
        shape.keyTypes.push_back(Type::timestamp());
        shape.keyNames.emplace_back();
    }

    // The result row.
    if (q.select) {
        Ctx sctx = ctx;
        sctx.aggregatesAllowed = shape.grouped;
        sctx.windowAllowed = shape.windowed;
        std::map<std::string, SourceRange> seen;
        int keyMarks = 0;
        for (const ast::SelectItem& item : q.select->items) {
            auto [it, inserted] = seen.emplace(item.name.name, item.name.range);
            if (!inserted) {
                diags_.report(DiagCode::E0208, item.name.range, item.name.name)
                    .note(it->second, "first given here");
                continue;
            }
            Type t = item.value ? check(*item.value, sctx) : checkPunned(item.name, sctx);
            if (t.kind() == TypeKind::None) {
                diags_
                    .report(DiagCode::E0311, item.value ? item.value->range : item.name.range,
                            "column '" + item.name.name + "'")
                    .note(
                        "'none' alone has no type; select a typed value such as 'coalesce(x, 0)'");
                t = Type::error();
            } else if (!t.isError() && !t.isScalar()) {
                diags_
                    .report(DiagCode::E0301, item.value ? item.value->range : item.name.range,
                            "a scalar column type", t.str())
                    .note("select the fields you need, e.g. '" + item.name.name + ": x.field'");
                t = Type::error();
            }
            Column c;
            c.name = item.name.name;
            c.type = t;
            c.range = item.name.range;
            if (item.isKey) {
                if (!isStream) {
                    diags_.report(
                        DiagCode::E0408, item.range,
                        std::string("a select field of ") + what +
                            (isView ? ": a table's key is its 'group by' (or its source's key)"
                                    : ""));
                } else {
                    c.isKey = true;
                    ++keyMarks;
                    if (t.isOptional()) {
                        diags_.report(DiagCode::E0301, item.range, "a non-optional key type",
                                      t.str());
                    }
                }
            }
            if (shape.grouped && item.value) {
                const ast::Expr* u =
                    groupKeysOk ? ungrouped(*item.value, q.groupBy, result_, &Analyzer::sameExpr)
                                : nullptr;
                if (u != nullptr) {
                    diags_.report(DiagCode::E0506, u->range, std::string(sourceText(*u)))
                        .note("use it in 'group by' or inside an aggregate such as last(...)");
                }
                for (std::size_t g = 0; g < q.groupBy.size(); ++g) {
                    if (sameExpr(*item.value, *q.groupBy[g]) && shape.keyNames[g].empty()) {
                        shape.keyNames[g] = c.name;
                        c.isKey = true;
                    }
                }
                if (shape.windowed && result_.exprRefs[item.value->id].kind == RefKind::Window &&
                    result_.exprRefs[item.value->id].index == 0 &&
                    shape.keyNames[windowStartKey].empty()) {
                    shape.keyNames[windowStartKey] = c.name;
                    c.isKey = true;
                }
            }
            shape.row.columns.push_back(std::move(c));
        }
        if (keyMarks > 1) {
            diags_.report(DiagCode::E0408, q.select->range,
                          "more than one select field: a stream has exactly one key");
        }
    } else {
        if (shape.grouped || !q.joins.empty()) {
            diags_.report(DiagCode::E0508, q.range,
                          std::string(what) +
                              (shape.grouped ? " with 'group by'" : " with a join"));
            return false;
        }
        const auto& src = shape.sources[0];
        shape.row.columns =
            src.event != nullptr ? src.event->row().columns : src.table->row.columns;
    }

    // Keys of ungrouped views and streams.
    const auto& first = shape.sources[0];
    if (!shape.grouped && (isView || isStream)) {
        std::vector<const Column*> sourceKeys;
        if (first.event != nullptr) {
            if (first.event->key() != nullptr) {
                sourceKeys.push_back(first.event->key());
            }
        } else {
            for (const Column& c : first.table->row.columns) {
                if (c.isKey) {
                    sourceKeys.push_back(&c);
                }
            }
        }
        if (isStream) {
            bool marked = std::any_of(shape.row.columns.begin(), shape.row.columns.end(),
                                      [](const Column& c) { return c.isKey; });
            if (!marked && !sourceKeys.empty()) {
                for (Column& c : shape.row.columns) {
                    if (c.name == sourceKeys[0]->name && !c.type.isOptional()) {
                        c.isKey = true;
                        break;
                    }
                }
            }
        } else {
            // A view keeps its first source's key: the selected column that reads it.
            for (const Column* k : sourceKeys) {
                shape.keyTypes.push_back(k->type);
                shape.keyNames.emplace_back();
            }
            if (q.select) {
                for (std::size_t ki = 0; ki < sourceKeys.size(); ++ki) {
                    for (std::size_t ci = 0; ci < q.select->items.size(); ++ci) {
                        const ast::SelectItem& item = q.select->items[ci];
                        const auto* m = ast::dynCast<ast::MemberExpr>(item.value.get());
                        const auto* base = m ? ast::dynCast<ast::NameExpr>(m->base.get()) : nullptr;
                        bool reads = base != nullptr && base->name == first.alias &&
                                     m->member.name == sourceKeys[ki]->name;
                        if (!item.value && item.name.name == sourceKeys[ki]->name) {
                            reads = false;
                        }
                        if (reads && ci < shape.row.columns.size() && shape.keyNames[ki].empty()) {
                            shape.keyNames[ki] = item.name.name;
                            shape.row.columns[ci].isKey = true;
                        }
                    }
                }
            } else {
                for (std::size_t ki = 0; ki < sourceKeys.size(); ++ki) {
                    shape.keyNames[ki] = sourceKeys[ki]->name;
                }
                for (Column& c : shape.row.columns) {
                    c.isKey = std::any_of(sourceKeys.begin(), sourceKeys.end(),
                                          [&](const Column* k) { return k->name == c.name; });
                }
            }
        }
    }

    if (q.orderBy || q.limit) {
        if (site != Site::Query) {
            diags_.report(DiagCode::E0507, q.orderBy ? q.orderByRange : q.limit->range,
                          std::string("'order by' and 'limit' belong to queries, not to ") + what);
            ok = false;
        }
        if (q.orderBy) {
            Type t = check(*q.orderBy, ctx);
            if (!t.isError() && !(t.isScalar() && !t.isOptional() && t.kind() != TypeKind::Bool)) {
                diags_.report(DiagCode::E0301, q.orderBy->range, "a value that can be ordered",
                              t.str());
            }
        }
        if (q.limit) {
            expect(*q.limit, ctx, Type::integer());
        }
    }
    return ok;
}

void Analyzer::checkStream(EventInfo& s) {
    QueryShape shape;
    if (!checkQuery(*s.stream->query, *s.service, Site::Derived, nullptr, shape)) {
        badDerived_.insert(&s);
        return;
    }
    s.streamRow.columns = std::move(shape.row.columns);
    if (s.keyIndex() < 0) {
        const EventInfo* first = shape.sources[0].event;
        // A source event without a key was reported (E0401); its stream is no new mistake.
        if (first != nullptr && first->key() != nullptr) {
            diags_.report(DiagCode::E0407, s.stream->name.range, s.name, first->key()->name);
        }
        badDerived_.insert(&s);
    }
}

void Analyzer::checkView(TableInfo& t) {
    QueryShape shape;
    if (!checkQuery(*t.decl->query, *t.service, Site::Derived, nullptr, shape)) {
        badDerived_.insert(&t);
        return;
    }
    t.row.columns = std::move(shape.row.columns);
    t.keyTypes = std::move(shape.keyTypes);
    t.keyNames = std::move(shape.keyNames);
    t.windowed = shape.windowed;
}

void Analyzer::checkDerived() {
    orderDerived();
    for (const void* item : result_.derivedOrder) {
        if (badDerived_.count(item) != 0) {
            continue;
        }
        if (derivedIsTable_.at(item)) {
            checkView(*const_cast<TableInfo*>(static_cast<const TableInfo*>(item)));
        } else {
            checkStream(*const_cast<EventInfo*>(static_cast<const EventInfo*>(item)));
        }
    }
}

}  // namespace flow::sema
