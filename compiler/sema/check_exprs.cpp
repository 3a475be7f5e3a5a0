// sema/check_exprs.cpp - name resolution and the type of every expression.
#include "sema/analyzer.h"
#include "support/text.h"

#include <algorithm>
#include <limits>

namespace flow::sema {

namespace {

bool isAggregateName(const std::string& n) {
    return n == "count" || n == "sum" || n == "min" || n == "max" || n == "avg" || n == "first" ||
           n == "last";
}

const char* resolvedNoun(Resolved::Kind k) {
    switch (k) {
    case Resolved::Kind::Service:
        return "a service";
    case Resolved::Kind::Enum:
        return "an enum";
    case Resolved::Kind::Table:
        return "a table";
    case Resolved::Kind::Query:
        return "a query";
    case Resolved::Kind::Event:
        return "an event";
    case Resolved::Kind::Command:
        return "a command";
    case Resolved::Kind::Builtin:
        return "a function";
    case Resolved::Kind::Aggregate:
        return "an aggregate";
    case Resolved::Kind::Window:
        return "the window";
    default:
        return "a value";
    }
}

Resolved entity(const Symbol& sym, const std::string& name) {
    Resolved r;
    r.info = sym.info;
    r.name = name;
    switch (sym.kind) {
    case SymbolKind::Enum:
        r.kind = Resolved::Kind::Enum;
        break;
    case SymbolKind::Event:
        r.kind = Resolved::Kind::Event;
        break;
    case SymbolKind::Table:
        r.kind = Resolved::Kind::Table;
        break;
    case SymbolKind::Command:
        r.kind = Resolved::Kind::Command;
        break;
    case SymbolKind::Query:
        r.kind = Resolved::Kind::Query;
        break;
    }
    return r;
}

bool orderable(const Type& t) {
    return !t.isOptional() && (t.kind() == TypeKind::Int || t.kind() == TypeKind::Float ||
                               t.kind() == TypeKind::String || t.kind() == TypeKind::Timestamp ||
                               t.kind() == TypeKind::Duration);
}

}  // namespace

Type Analyzer::record(const ast::Expr& e, Type t, Ref ref) {
    result_.exprTypes[e.id] = t;
    result_.exprRefs[e.id] = ref;
    return t;
}

void Analyzer::candidatesInScope(const Ctx& ctx, std::vector<std::string>& out) const {
    if (ctx.scope != nullptr) {
        ctx.scope->names(out);
    }
    if (ctx.service != nullptr) {
        for (const auto& [name, sym] : ctx.service->members) {
            out.push_back(name);
        }
    }
    for (const auto& [name, s] : result_.serviceByName) {
        out.push_back(name);
    }
    for (const auto& [name, b] : builtins_) {
        out.push_back(name);
    }
}

void Analyzer::unknownName(const std::string& what, const std::string& name, SourceRange range,
                           std::vector<std::string> candidates) {
    auto& d = diags_.report(DiagCode::E0201, range, what, name);
    if (auto m = closestMatch(name, candidates)) {
        d.note("did you mean '" + *m + "'?");
    }
}

Type Analyzer::expect(const ast::Expr& e, Ctx& ctx, const Type& want) {
    Type t = check(e, ctx, &want);
    if (!assignable(t, want)) {
        auto& d = diags_.report(DiagCode::E0301, e.range, want.str(), t.str());
        if (want.is(TypeKind::Float) && t.is(TypeKind::Int)) {
            d.note("there is no implicit conversion from 'int' to 'float' here: write a float "
                   "literal such as '1.0' or use float(x)");
        } else if (t.isOptional() && assignable(t.nonOptional(), want)) {
            d.note("the value may be 'none': use coalesce(x, default)");
        }
        return Type::error();
    }
    return t;
}

Type Analyzer::expectArithmetic(const ast::Expr& e, Ctx& ctx, const Type& want) {
    // In arithmetic (`f += x` on a float field) an int widens to float.
    Type t = check(e, ctx, &want);
    if (want.is(TypeKind::Float) && t.is(TypeKind::Int)) {
        return t;
    }
    if (!assignable(t, want)) {
        diags_.report(DiagCode::E0301, e.range, want.str(), t.str());
        return Type::error();
    }
    return t;
}

Type Analyzer::check(const ast::Expr& e, Ctx& ctx, const Type* expected) {
    switch (e.kind) {
    case ast::ExprKind::Int:
        return record(e, Type::integer());
    case ast::ExprKind::Float:
        return record(e, Type::floating());
    case ast::ExprKind::String:
        return record(e, Type::string());
    case ast::ExprKind::Bool:
        return record(e, Type::boolean());
    case ast::ExprKind::None:
        return record(e, Type::none());
    case ast::ExprKind::Duration:
        return record(e, Type::duration());
    case ast::ExprKind::Timestamp:
        return record(e, Type::timestamp());
    case ast::ExprKind::Name:
    case ast::ExprKind::Member: {
        Resolved r = resolve(e, ctx, expected);
        if (r.kind == Resolved::Kind::Value) {
            return r.type;
        }
        if (r.kind != Resolved::Kind::Failed) {
            auto& d =
                diags_.report(DiagCode::E0206, e.range, r.name, resolvedNoun(r.kind), "a value");
            if (r.kind == Resolved::Kind::Table) {
                d.note("read one row with '" + r.name + "[key]'");
            } else if (r.kind == Resolved::Kind::Builtin || r.kind == Resolved::Kind::Query) {
                d.note("call it with '" + r.name + "(...)'");
            }
        }
        return record(e, Type::error());
    }
    case ast::ExprKind::Window:
        diags_.report(DiagCode::E0206, e.range, "window", "the window", "a value")
            .note("read its bounds as 'window.start' and 'window.end'");
        return record(e, Type::error());
    case ast::ExprKind::Index:
        return record(e, checkIndex(static_cast<const ast::IndexExpr&>(e), ctx),
                      result_.exprRefs[e.id]);
    case ast::ExprKind::Call:
        return checkCall(static_cast<const ast::CallExpr&>(e), ctx);
    case ast::ExprKind::Unary: {
        const auto& u = static_cast<const ast::UnaryExpr&>(e);
        if (u.op == ast::UnaryOp::Not) {
            expect(*u.operand, ctx, Type::boolean());
            return record(e, Type::boolean());
        }
        Type t = check(*u.operand, ctx);
        if (t.isError()) {
            return record(e, t);
        }
        if (!t.isNumeric() && !t.is(TypeKind::Duration)) {
            diags_.report(DiagCode::E0308, e.range, "-",
                          "expected a number or a duration, found " + t.str());
            return record(e, Type::error());
        }
        return record(e, t);
    }
    case ast::ExprKind::Binary:
        return record(e, checkBinary(static_cast<const ast::BinaryExpr&>(e), ctx));
    case ast::ExprKind::Exists: {
        const auto& x = static_cast<const ast::ExistsExpr&>(e);
        if (x.operand->kind != ast::ExprKind::Index) {
            check(*x.operand, ctx);
            diags_.report(DiagCode::E0308, x.operand->range, "exists",
                          "expected a table lookup 'T[key]'");
            return record(e, Type::boolean());
        }
        check(*x.operand, ctx);
        return record(e, Type::boolean());
    }
    case ast::ExprKind::Matches:
        return record(e, checkMatches(static_cast<const ast::MatchesExpr&>(e), ctx));
    }
    return record(e, Type::error());
}

Resolved Analyzer::resolve(const ast::Expr& e, Ctx& ctx, const Type* expected) {
    if (const auto* n = ast::dynCast<ast::NameExpr>(&e)) {
        return resolveName(*n, ctx, expected);
    }
    if (const auto* m = ast::dynCast<ast::MemberExpr>(&e)) {
        return resolveMember(*m, ctx, expected);
    }
    if (e.kind == ast::ExprKind::Window) {
        Resolved r;
        r.kind = Resolved::Kind::Window;
        r.name = "window";
        return r;
    }
    Resolved r;
    r.type = check(e, ctx, expected);
    r.kind = Resolved::Kind::Value;
    return r;
}

Resolved Analyzer::resolveName(const ast::NameExpr& e, Ctx& ctx, const Type* expected) {
    Resolved r;
    r.name = e.name;
    if (ctx.scope != nullptr) {
        if (const Var* v = ctx.scope->find(e.name)) {
            r.kind = Resolved::Kind::Value;
            r.type = record(e, v->type, Ref{v->kind, v->source, v->index});
            return r;
        }
    }
    // A bare enum value where the type is known from context.
    if (expected != nullptr && expected->kind() == TypeKind::Enum &&
        expected->enumInfo() != nullptr) {
        int idx = expected->enumInfo()->indexOf(e.name);
        if (idx >= 0) {
            r.kind = Resolved::Kind::Value;
            r.type = record(e, expected->nonOptional(),
                            Ref{RefKind::EnumValue, expected->enumInfo(), idx});
            return r;
        }
    }
    if (ctx.service != nullptr) {
        if (const Symbol* sym = ctx.service->find(e.name)) {
            Resolved out = entity(*sym, e.name);
            record(e, Type::error(), Ref{RefKind::Entity, sym->info, static_cast<int>(sym->kind)});
            return out;
        }
    }
    auto s = result_.serviceByName.find(e.name);
    if (s != result_.serviceByName.end()) {
        r.kind = Resolved::Kind::Service;
        r.info = s->second;
        record(e, Type::error(), Ref{RefKind::Entity, s->second, kServiceEntity});
        return r;
    }
    auto b = builtins_.find(e.name);
    if (b != builtins_.end()) {
        r.kind = Resolved::Kind::Builtin;
        record(e, Type::error(), Ref{RefKind::Builtin, nullptr, -1});
        r.info = &b->second;
        return r;
    }
    if (isAggregateName(e.name)) {
        r.kind = Resolved::Kind::Aggregate;
        record(e, Type::error(), Ref{RefKind::Aggregate, nullptr, -1});
        return r;
    }
    std::vector<std::string> candidates;
    candidatesInScope(ctx, candidates);
    auto& d = diags_.report(DiagCode::E0201, e.range, "name", e.name);
    bool noted = false;
    // A bare enum value where no type gives the context: suggest the qualified form.
    if (ctx.service != nullptr) {
        for (const EnumInfo* en : ctx.service->enums) {
            if (en->indexOf(e.name) >= 0) {
                d.note("did you mean '" + en->name + "." + e.name +
                       "'? a bare enum value needs a known type around it");
                noted = true;
                break;
            }
        }
    }
    if (!noted && expected != nullptr && expected->kind() == TypeKind::Enum &&
        expected->enumInfo() != nullptr) {
        // Where an enum value is expected, its values are the likely intent.
        if (auto m = closestMatch(e.name, expected->enumInfo()->values)) {
            d.note("did you mean '" + *m + "'? (a value of enum '" +
                   expected->enumInfo()->qualifiedName() + "')");
            noted = true;
        }
    }
    if (!noted) {
        if (auto m = closestMatch(e.name, candidates)) {
            d.note("did you mean '" + *m + "'?");
        }
    }
    record(e, Type::error());
    return r;
}

Resolved Analyzer::resolveMember(const ast::MemberExpr& e, Ctx& ctx, const Type* /*expected*/) {
    Resolved r;
    r.name = e.member.name;
    const std::string& member = e.member.name;
    if (e.base->kind == ast::ExprKind::Window) {
        record(*e.base, Type::error(), Ref{RefKind::Window, nullptr, -1});
        if (!ctx.windowAllowed) {
            diags_.report(DiagCode::E0507, e.range,
                          "'window." + member +
                              "' is only available in the select of a windowed query");
            record(e, Type::error());
            return r;
        }
        if (member != "start" && member != "end") {
            diags_.report(DiagCode::E0203, e.member.range, "the", "window", member)
                .note("a window has the fields 'start' and 'end'");
            record(e, Type::error());
            return r;
        }
        r.kind = Resolved::Kind::Value;
        r.type =
            record(e, Type::timestamp(), Ref{RefKind::Window, nullptr, member == "start" ? 0 : 1});
        return r;
    }
    Resolved base = resolve(*e.base, ctx, nullptr);
    switch (base.kind) {
    case Resolved::Kind::Failed:
        record(e, Type::error());
        return r;
    case Resolved::Kind::Service: {
        const auto* s = static_cast<const ServiceInfo*>(base.info);
        if (const Symbol* sym = s->find(member)) {
            Resolved out = entity(*sym, s->name + "." + member);
            record(e, Type::error(), Ref{RefKind::Entity, sym->info, static_cast<int>(sym->kind)});
            return out;
        }
        std::vector<std::string> candidates;
        for (const auto& [name, sym] : s->members) {
            candidates.push_back(name);
        }
        auto& d = diags_.report(DiagCode::E0201, e.member.range, "name", s->name + "." + member);
        if (auto m = closestMatch(member, candidates)) {
            d.note("did you mean '" + s->name + "." + *m + "'?");
        }
        record(e, Type::error());
        return r;
    }
    case Resolved::Kind::Enum: {
        const auto* en = static_cast<const EnumInfo*>(base.info);
        int idx = en->indexOf(member);
        if (idx < 0) {
            auto& d = diags_.report(DiagCode::E0201, e.member.range, "enum value",
                                    en->qualifiedName() + "." + member);
            if (auto m = closestMatch(member, en->values)) {
                d.note("did you mean '" + *m + "'?");
            }
            record(e, Type::error());
            return r;
        }
        r.kind = Resolved::Kind::Value;
        r.type = record(e, Type::enumOf(en), Ref{RefKind::EnumValue, en, idx});
        return r;
    }
    case Resolved::Kind::Value: {
        r.kind = Resolved::Kind::Value;
        // `T[k].f` reads the field's default when the row is absent; `Q(...)[i].f`, like
        // any other optional row, gives an optional field.
        bool tableLookup = e.base->kind == ast::ExprKind::Index &&
                           result_.exprRefs[e.base->id].kind == RefKind::Table;
        r.type = memberOfValue(e, base.type, tableLookup);
        return r;
    }
    default: {
        auto& d = diags_.report(DiagCode::E0206, e.base->range, base.name, resolvedNoun(base.kind),
                                "a value");
        if (base.kind == Resolved::Kind::Table) {
            d.note("read one row with '" + base.name + "[key]." + member + "'");
        }
        record(e, Type::error());
        return r;
    }
    }
}

Type Analyzer::memberOfValue(const ast::MemberExpr& e, const Type& base, bool lookup) {
    const std::string& member = e.member.name;
    if (base.isError()) {
        return record(e, Type::error());
    }
    if (base.kind() == TypeKind::Row && base.row() != nullptr) {
        const RowType& row = *base.row();
        int idx = row.indexOf(member);
        if (idx >= 0) {
            Type t = row.columns[static_cast<std::size_t>(idx)].type;
            // `T[k].f` gives f's default when the row is absent; other optional rows
            // (a left join's right side, a query result) make the field optional.
            if (base.isOptional() && !lookup) {
                t = t.optional();
            }
            return record(e, t, Ref{RefKind::Member, &row, idx});
        }
        if (row.kind == RowType::Kind::Event) {
            const auto& env = envelopeFields();
            for (std::size_t i = 0; i < env.size(); ++i) {
                if (member == env[i].name) {
                    Type t = [&] {
                        switch (env[i].kind) {
                        case TypeKind::Timestamp:
                            return Type::timestamp();
                        case TypeKind::Int:
                            return Type::integer();
                        default:
                            return Type::string();
                        }
                    }();
                    if (base.isOptional()) {
                        t = t.optional();
                    }
                    return record(e, t, Ref{RefKind::Envelope, &row, static_cast<int>(i)});
                }
            }
        }
        std::vector<std::string> candidates;
        for (const Column& c : row.columns) {
            candidates.push_back(c.name);
        }
        if (row.kind == RowType::Kind::Event) {
            for (const auto& f : envelopeFields()) {
                candidates.emplace_back(f.name);
            }
        }
        auto& d =
            diags_.report(DiagCode::E0203, e.member.range,
                          row.kind == RowType::Kind::Event ? "event" : "row", row.name, member);
        if (auto m = closestMatch(member, candidates)) {
            d.note("did you mean '" + *m + "'?");
        }
        return record(e, Type::error());
    }
    diags_.report(DiagCode::E0203, e.member.range, "type", base.spelling(), member);
    return record(e, Type::error());
}

Type Analyzer::checkIndex(const ast::IndexExpr& e, Ctx& ctx) {
    Resolved base = resolve(*e.base, ctx, nullptr);
    auto checkKeysLoosely = [&] {
        for (const auto& k : e.keys) {
            check(*k, ctx);
        }
    };
    if (base.kind == Resolved::Kind::Failed) {
        checkKeysLoosely();
        return Type::error();
    }
    if (base.kind == Resolved::Kind::Value && base.type.isError()) {
        checkKeysLoosely();
        return Type::error();
    }
    if (base.kind == Resolved::Kind::Value && base.type.kind() == TypeKind::List &&
        base.type.row() != nullptr) {
        // `Q(args)[i]`: the i-th row (0-based) a `from` query returns, in its order; none
        // past the end. Query calls only occur in tests, so neither does this.
        result_.exprRefs[e.id] = Ref{RefKind::Query, nullptr, -1};
        if (e.keys.size() != 1) {
            std::string got;
            for (const auto& k : e.keys) {
                Type kt = check(*k, ctx);
                got += (got.empty() ? "" : ", ") + kt.spelling();
            }
            diags_.report(DiagCode::E0306, e.range, "the result list of", sourceText(*e.base),
                          "int", got);
            return Type::error();
        }
        expect(*e.keys[0], ctx, Type::integer());
        return Type::rowOf(base.type.row()).optional();
    }
    if (base.kind != Resolved::Kind::Table) {
        // A value has no name of its own: show what was written (`Orders.Qty("a")`).
        diags_.report(DiagCode::E0206, e.base->range,
                      base.name.empty() ? sourceText(*e.base) : base.name, resolvedNoun(base.kind),
                      base.kind == Resolved::Kind::Value
                          ? "a table, or the rows of a 'from' query called in a test"
                          : "a table");
        checkKeysLoosely();
        return Type::error();
    }
    const auto* t = static_cast<const TableInfo*>(base.info);
    result_.exprRefs[e.id] = Ref{RefKind::Table, t, -1};
    if (ctx.site != Site::Test && t->service != ctx.service) {
        diags_.report(DiagCode::E0405, e.base->range, t->name, t->service->name)
            .note(t->decl->name.range, "'" + t->qualifiedName() + "' is declared here")
            .note("keep a local table built from '" + t->service->name +
                  "' events instead: query by event-carried state transfer");
        checkKeysLoosely();
        return Type::error();
    }
    if (badDerived_.count(t) != 0) {
        // A view that failed to check (reported) has no key or row to check against.
        checkKeysLoosely();
        return Type::error();
    }
    if (e.keys.size() != t->keyTypes.size()) {
        std::string want, got;
        for (const Type& k : t->keyTypes) {
            want += (want.empty() ? "" : ", ") + k.spelling();
        }
        for (const auto& k : e.keys) {
            Type kt = check(*k, ctx);
            got += (got.empty() ? "" : ", ") + kt.spelling();
        }
        diags_.report(DiagCode::E0306, e.range, "table", t->qualifiedName(), want, got);
        return Type::error();
    }
    for (std::size_t i = 0; i < e.keys.size(); ++i) {
        expect(*e.keys[i], ctx, t->keyTypes[i]);
    }
    return Type::rowOf(&t->row).optional();
}

bool Analyzer::unknownCallee(const ast::CallExpr& e, const Ctx& ctx) {
    auto inScope = [&](const std::string& name) {
        return (ctx.scope != nullptr && ctx.scope->find(name) != nullptr) ||
               (ctx.service != nullptr && ctx.service->find(name) != nullptr);
    };
    // `Svc.Qery(...)`: an unknown query of a known service.
    if (const auto* m = ast::dynCast<ast::MemberExpr>(e.callee.get())) {
        const auto* base = ast::dynCast<ast::NameExpr>(m->base.get());
        auto svc = base != nullptr && !inScope(base->name) ? result_.serviceByName.find(base->name)
                                                           : result_.serviceByName.end();
        if (svc == result_.serviceByName.end() || svc->second->find(m->member.name) != nullptr) {
            return false;
        }
        std::vector<std::string> candidates;
        for (const QueryInfo* q : svc->second->queries) {
            candidates.push_back(q->name);
        }
        auto& d = diags_.report(DiagCode::E0201, m->member.range, "query",
                                svc->first + "." + m->member.name);
        if (auto best = closestMatch(m->member.name, candidates)) {
            d.note("did you mean '" + svc->first + "." + *best + "'?");
        }
        return true;
    }
    // `lenght(...)`: an unknown function.
    const auto* n = ast::dynCast<ast::NameExpr>(e.callee.get());
    if (n == nullptr || inScope(n->name) || result_.serviceByName.count(n->name) != 0 ||
        builtins_.count(n->name) != 0 || isAggregateName(n->name)) {
        return false;
    }
    std::vector<std::string> candidates;
    for (const auto& [name, b] : builtins_) {
        candidates.push_back(name);
    }
    if (ctx.service != nullptr) {
        for (const QueryInfo* q : ctx.service->queries) {
            candidates.push_back(q->name);
        }
    }
    auto& d = diags_.report(DiagCode::E0201, n->range, "function", n->name);
    if (auto best = closestMatch(n->name, candidates)) {
        d.note("did you mean '" + *best + "'?");
    }
    return true;
}

Type Analyzer::checkCall(const ast::CallExpr& e, Ctx& ctx) {
    if (const auto* n = ast::dynCast<ast::NameExpr>(e.callee.get())) {
        bool shadowed = ctx.scope != nullptr && ctx.scope->find(n->name) != nullptr;
        if (!shadowed && isAggregateName(n->name) && builtins_.count(n->name) == 0) {
            if (!ctx.aggregatesAllowed || ctx.inAggregate) {
                auto& d = diags_.report(DiagCode::E0502, e.callee->range, n->name);
                if (ctx.inAggregate) {
                    d.note("aggregates cannot be nested");
                } else if (ctx.site == Site::Derived || ctx.site == Site::Query) {
                    d.note("add a 'group by' clause to aggregate");
                }
                for (const auto& a : e.args) {
                    check(*a, ctx);
                }
                return record(e, Type::error());
            }
            record(*e.callee, Type::error(), Ref{RefKind::Aggregate, nullptr, -1});
            return record(e, checkAggregate(e, n->name, ctx), Ref{RefKind::Aggregate, nullptr, -1});
        }
    }
    if (unknownCallee(e, ctx)) {
        for (const auto& a : e.args) {
            check(*a, ctx);
        }
        return record(e, Type::error());
    }
    Resolved callee = resolve(*e.callee, ctx, nullptr);
    if (callee.kind == Resolved::Kind::Builtin) {
        Type t = checkBuiltinCall(e, callee.name, ctx);
        return record(e, t, result_.exprRefs[e.id]);  // keep the overload it chose
    }
    if (callee.kind == Resolved::Kind::Query) {
        const auto* q = static_cast<const QueryInfo*>(callee.info);
        result_.exprRefs[e.id] = Ref{RefKind::Query, q, -1};
        if (ctx.site != Site::Test) {
            diags_.report(DiagCode::E0406, e.range, "a query call", ctx.siteName)
                .note("queries are called from tests and over HTTP; read the table directly");
            return record(e, Type::error(), result_.exprRefs[e.id]);
        }
        if (e.args.size() != q->params.size()) {
            diags_.report(DiagCode::E0303, e.range, q->qualifiedName(), q->params.size(),
                          q->params.size() == 1 ? "" : "s", e.args.size());
            for (const auto& a : e.args) {
                check(*a, ctx);
            }
            return record(e, q->result, result_.exprRefs[e.id]);
        }
        for (std::size_t i = 0; i < e.args.size(); ++i) {
            expect(*e.args[i], ctx, q->params[i].type);
        }
        return record(e, q->result, result_.exprRefs[e.id]);
    }
    for (const auto& a : e.args) {
        check(*a, ctx);
    }
    if (callee.kind != Resolved::Kind::Failed) {
        diags_.report(DiagCode::E0310, e.callee->range, callee.name);
    }
    return record(e, Type::error());
}

Type Analyzer::checkAggregate(const ast::CallExpr& e, const std::string& name, Ctx& ctx) {
    bool wasIn = ctx.inAggregate;
    ctx.inAggregate = true;
    std::size_t want = name == "count" ? 0 : 1;
    if (e.args.size() != want) {
        diags_.report(DiagCode::E0303, e.range, name, want, want == 1 ? "" : "s", e.args.size());
        for (const auto& a : e.args) {
            check(*a, ctx);
        }
        ctx.inAggregate = wasIn;
        return name == "count" ? Type::integer() : Type::error();
    }
    if (name == "count") {
        ctx.inAggregate = wasIn;
        return Type::integer();
    }
    Type t = check(*e.args[0], ctx);
    ctx.inAggregate = wasIn;
    if (t.isError()) {
        return t;
    }
    bool ok = false;
    Type result = t;
    // sum, min, max and avg skip `none` (as SQL skips NULL): an optional argument is
    // accepted and makes the result optional, `none` when no value remains.
    Type value = t.nonOptional();
    if (name == "sum") {
        ok = value.isNumeric() || value.is(TypeKind::Duration);
    } else if (name == "avg") {
        ok = value.isNumeric();
        result = t.isOptional() ? Type::floating().optional() : Type::floating();
    } else if (name == "min" || name == "max") {
        ok = orderable(value);
    } else {  // first, last
        ok = t.isScalar() && !t.isOptional();
    }
    if (!ok) {
        diags_.report(DiagCode::E0304, e.range, name, t.spelling());
        return Type::error();
    }
    return result;
}

Type Analyzer::checkBuiltinCall(const ast::CallExpr& e, const std::string& name, Ctx& ctx) {
    const auto& overloads = builtins_.at(name);
    std::vector<Type> args;
    bool anyError = false;
    for (const auto& a : e.args) {
        args.push_back(check(*a, ctx));
        anyError = anyError || args.back().isError();
    }
    result_.exprRefs[e.id] = Ref{RefKind::Builtin, nullptr, -1};
    if (anyError) {
        return Type::error();
    }
    if (name == "len" && args.size() == 1 && args[0].kind() == TypeKind::List) {
        // `len(Q(args))`: how many rows a `from` query returns (tests only, as query calls).
        result_.exprRefs[e.id] = Ref{RefKind::Query, nullptr, -1};
        return Type::integer();
    }
    bool countFits = false;
    for (const BuiltinInfo* b : overloads) {
        if (b->params.size() != args.size()) {
            continue;
        }
        countFits = true;
        std::map<char, Type> bound;
        bool fits = true;
        for (std::size_t i = 0; i < args.size() && fits; ++i) {
            const Type& p = b->params[i];
            const Type& a = args[i];
            if (p.kind() == TypeKind::Var) {
                // T? accepts T and T?; T accepts any non-optional scalar.
                if (a.kind() == TypeKind::None) {
                    fits = p.isOptional();
                    continue;
                }
                if (!a.isScalar() || (a.isOptional() && !p.isOptional())) {
                    fits = false;
                    continue;
                }
                Type inner = a.nonOptional();
                auto it = bound.find(p.varName());
                if (it == bound.end()) {
                    bound.emplace(p.varName(), inner);
                } else if (!(it->second == inner)) {
                    fits = false;
                }
            } else {
                fits = assignable(a, p);
            }
        }
        if (!fits) {
            continue;
        }
        Type r = b->result;
        if (r.kind() == TypeKind::Var) {
            auto it = bound.find(r.varName());
            if (it == bound.end()) {
                // Only 'none' was given where the result's type comes from.
                diags_.report(DiagCode::E0311, e.range, "'" + sourceText(e) + "'")
                    .note("'none' has no type of its own: give one argument a type");
                return Type::error();
            }
            r = r.isOptional() ? it->second.optional() : it->second;
        }
        result_.exprRefs[e.id] = Ref{RefKind::Builtin, b, -1};
        return r;
    }
    if (!countFits) {
        std::size_t n = overloads.front()->params.size();
        diags_.report(DiagCode::E0303, e.range, name, n, n == 1 ? "" : "s", args.size());
        return Type::error();
    }
    std::string argList;
    for (const Type& a : args) {
        argList += (argList.empty() ? "" : ", ") + a.spelling();
    }
    auto& d = diags_.report(DiagCode::E0304, e.range, name, argList);
    for (const BuiltinInfo* b : overloads) {
        std::string sig = name + "(";
        for (std::size_t i = 0; i < b->params.size(); ++i) {
            sig += (i ? ", " : "") + b->decl->params[i].name.name + ": " + b->params[i].spelling();
        }
        sig += ") -> " + b->result.spelling();
        d.note("candidate: " + sig);
    }
    return Type::error();
}

namespace {

/// A bare name that is not a variable: possibly an enum value that needs context.
bool isBareName(const ast::Expr& e, const Ctx& ctx) {
    const auto* n = ast::dynCast<ast::NameExpr>(&e);
    return n != nullptr && (ctx.scope == nullptr || ctx.scope->find(n->name) == nullptr) &&
           (ctx.service == nullptr || ctx.service->find(n->name) == nullptr);
}

}  // namespace

Type Analyzer::checkBinary(const ast::BinaryExpr& e, Ctx& ctx) {
    using ast::BinaryOp;
    if (e.op == BinaryOp::And || e.op == BinaryOp::Or) {
        expect(*e.lhs, ctx, Type::boolean());
        expect(*e.rhs, ctx, Type::boolean());
        return Type::boolean();
    }
    Type l, r;
    if (isBareName(*e.lhs, ctx) && !isBareName(*e.rhs, ctx)) {
        r = check(*e.rhs, ctx);
        l = check(*e.lhs, ctx, &r);
    } else {
        l = check(*e.lhs, ctx);
        r = check(*e.rhs, ctx, &l);
    }
    if (l.isError() || r.isError()) {
        return (e.op >= BinaryOp::Lt) ? Type::boolean() : Type::error();
    }
    auto invalid = [&] {
        auto& d = diags_.report(DiagCode::E0302, e.opRange, ast::spelling(e.op), l.str(), r.str());
        if ((l.isOptional() || r.isOptional()) && e.op != BinaryOp::Eq && e.op != BinaryOp::Ne) {
            d.note("an optional value may be 'none': use coalesce(x, default)");
        }
        return e.op >= BinaryOp::Lt ? Type::boolean() : Type::error();
    };
    auto is = [](const Type& t, TypeKind k) {
        return t.is(k);
    };
    switch (e.op) {
    case BinaryOp::Eq:
    case BinaryOp::Ne: {
        if (l.kind() == TypeKind::None || r.kind() == TypeKind::None) {
            const Type& other = l.kind() == TypeKind::None ? r : l;
            if (other.isOptional() || other.kind() == TypeKind::None) {
                return Type::boolean();
            }
            return invalid();
        }
        Type a = l.nonOptional(), b = r.nonOptional();
        if (a == b && a.kind() != TypeKind::List) {
            return Type::boolean();
        }
        if (a.isNumeric() && b.isNumeric()) {
            return Type::boolean();
        }
        return invalid();
    }
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
        if ((l.isNumeric() && r.isNumeric()) || (orderable(l) && l == r)) {
            return Type::boolean();
        }
        return invalid();
    case BinaryOp::Add:
        if (is(l, TypeKind::Int) && is(r, TypeKind::Int)) {
            return Type::integer();
        }
        if (l.isNumeric() && r.isNumeric()) {
            return Type::floating();
        }
        if (is(l, TypeKind::String) && is(r, TypeKind::String)) {
            return Type::string();
        }
        if ((is(l, TypeKind::Timestamp) && is(r, TypeKind::Duration)) ||
            (is(l, TypeKind::Duration) && is(r, TypeKind::Timestamp))) {
            return Type::timestamp();
        }
        if (is(l, TypeKind::Duration) && is(r, TypeKind::Duration)) {
            return Type::duration();
        }
        return invalid();
    case BinaryOp::Sub:
        if (is(l, TypeKind::Int) && is(r, TypeKind::Int)) {
            return Type::integer();
        }
        if (l.isNumeric() && r.isNumeric()) {
            return Type::floating();
        }
        if (is(l, TypeKind::Timestamp) && is(r, TypeKind::Timestamp)) {
            return Type::duration();
        }
        if (is(l, TypeKind::Timestamp) && is(r, TypeKind::Duration)) {
            return Type::timestamp();
        }
        if (is(l, TypeKind::Duration) && is(r, TypeKind::Duration)) {
            return Type::duration();
        }
        return invalid();
    case BinaryOp::Mul:
        if (is(l, TypeKind::Int) && is(r, TypeKind::Int)) {
            return Type::integer();
        }
        if (l.isNumeric() && r.isNumeric()) {
            return Type::floating();
        }
        if ((is(l, TypeKind::Duration) && is(r, TypeKind::Int)) ||
            (is(l, TypeKind::Int) && is(r, TypeKind::Duration))) {
            return Type::duration();
        }
        return invalid();
    case BinaryOp::Div:
        if (is(l, TypeKind::Int) && is(r, TypeKind::Int)) {
            return Type::integer();
        }
        if (l.isNumeric() && r.isNumeric()) {
            return Type::floating();
        }
        if (is(l, TypeKind::Duration) && is(r, TypeKind::Int)) {
            return Type::duration();
        }
        return invalid();
    case BinaryOp::Mod:
        if (is(l, TypeKind::Int) && is(r, TypeKind::Int)) {
            return Type::integer();
        }
        return invalid();
    default:
        return invalid();
    }
}

Type Analyzer::checkMatches(const ast::MatchesExpr& e, Ctx& ctx) {
    Type subject = check(*e.subject, ctx);
    if (subject.isError()) {
        for (const auto& f : e.record.fields) {
            if (f.value) {
                check(*f.value, ctx);
            }
        }
        return Type::boolean();
    }
    if (subject.kind() != TypeKind::Row || subject.row() == nullptr) {
        diags_.report(DiagCode::E0308, e.subject->range, "matches",
                      "expected a row, found " + subject.str());
        return Type::boolean();
    }
    checkRecord(e.record, *subject.row(), ctx, false, "row", subject.row()->name);
    return Type::boolean();
}

Type Analyzer::checkPunned(const ast::Ident& name, Ctx& ctx) {
    if (ctx.scope != nullptr) {
        if (const Var* v = ctx.scope->find(name.name)) {
            return v->type;
        }
    }
    std::vector<std::string> candidates;
    if (ctx.scope != nullptr) {
        ctx.scope->names(candidates);
    }
    auto& d = diags_.report(DiagCode::E0201, name.range, "name", name.name);
    if (auto m = closestMatch(name.name, candidates)) {
        d.note("did you mean '" + *m + "'?");
    } else {
        d.note("'" + name.name + "' alone stands for '" + name.name + ": " + name.name +
               "'; give the value with '" + name.name + ": value'");
    }
    return Type::error();
}

void Analyzer::checkRecord(const ast::RecordLit& rec, const RowType& row, Ctx& ctx, bool complete,
                           const std::string& what, const std::string& target) {
    std::map<std::string, SourceRange> seen;
    std::set<std::string> meant;
    for (const ast::FieldInit& f : rec.fields) {
        auto [it, inserted] = seen.emplace(f.name.name, f.name.range);
        if (!inserted) {
            diags_.report(DiagCode::E0208, f.name.range, f.name.name)
                .note(it->second, "first given here");
        }
        const Column* col = row.find(f.name.name);
        if (col == nullptr) {
            std::vector<std::string> candidates;
            for (const Column& c : row.columns) {
                candidates.push_back(c.name);
            }
            auto& d = diags_.report(DiagCode::E0203, f.name.range, what, target, f.name.name);
            if (auto m = closestMatch(f.name.name, candidates)) {
                d.note("did you mean '" + *m + "'?");
                meant.insert(*m);  // a misspelt field is not also reported missing
            }
            if (f.value) {
                check(*f.value, ctx);
            }
            continue;
        }
        if (f.value) {
            expect(*f.value, ctx, col->type);
        } else {
            Type t = checkPunned(f.name, ctx);
            if (!assignable(t, col->type)) {
                diags_.report(DiagCode::E0301, f.name.range, col->type.str(), t.str());
            }
        }
    }
    if (complete) {
        for (const Column& c : row.columns) {
            if (c.defaultValue == nullptr && seen.count(c.name) == 0 && meant.count(c.name) == 0 &&
                !c.type.isOptional()) {
                diags_.report(DiagCode::E0207, rec.range, "field", c.name, what, target)
                    .note(c.range, "'" + c.name + "' is declared here without a default");
            }
        }
    }
}

void Analyzer::checkParamsRecord(const ast::RecordLit& rec, const std::vector<Column>& params,
                                 Ctx& ctx, const std::string& target) {
    RowType row;
    row.name = target;
    row.columns = params;
    checkRecord(rec, row, ctx, true, "command", target);
}

bool Analyzer::isConstant(const ast::Expr& e) const {
    switch (e.kind) {
    case ast::ExprKind::Int:
    case ast::ExprKind::Float:
    case ast::ExprKind::String:
    case ast::ExprKind::Bool:
    case ast::ExprKind::None:
    case ast::ExprKind::Duration:
    case ast::ExprKind::Timestamp:
        return true;
    case ast::ExprKind::Name:
    case ast::ExprKind::Member:
        return result_.exprRefs[e.id].kind == RefKind::EnumValue;
    case ast::ExprKind::Unary:
        return isConstant(*static_cast<const ast::UnaryExpr&>(e).operand);
    case ast::ExprKind::Binary: {
        const auto& b = static_cast<const ast::BinaryExpr&>(e);
        return isConstant(*b.lhs) && isConstant(*b.rhs);
    }
    default:
        return false;
    }
}

namespace {

std::optional<std::int64_t> constInt(const ast::Expr& e) {
    if (const auto* i = ast::dynCast<ast::IntLit>(&e)) {
        return i->value;
    }
    const auto* u = ast::dynCast<ast::UnaryExpr>(&e);
    if (u != nullptr && u->op == ast::UnaryOp::Neg) {
        auto v = constInt(*u->operand);
        if (v && *v != std::numeric_limits<std::int64_t>::min()) {
            return -*v;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> Analyzer::constDuration(const ast::Expr& e) const {
    if (const auto* d = ast::dynCast<ast::DurationLit>(&e)) {
        return d->micros;
    }
    if (const auto* u = ast::dynCast<ast::UnaryExpr>(&e)) {
        auto v = u->op == ast::UnaryOp::Neg ? constDuration(*u->operand) : std::nullopt;
        if (v && *v != std::numeric_limits<std::int64_t>::min()) {
            return -*v;
        }
        return std::nullopt;
    }
    const auto* b = ast::dynCast<ast::BinaryExpr>(&e);
    if (b == nullptr) {
        return std::nullopt;
    }
    std::int64_t out = 0;
    auto l = constDuration(*b->lhs);
    auto r = constDuration(*b->rhs);
    switch (b->op) {
    case ast::BinaryOp::Add:
        if (l && r && !__builtin_add_overflow(*l, *r, &out)) {
            return out;
        }
        return std::nullopt;
    case ast::BinaryOp::Sub:
        if (l && r && !__builtin_sub_overflow(*l, *r, &out)) {
            return out;
        }
        return std::nullopt;
    case ast::BinaryOp::Mul: {
        auto n = l ? constInt(*b->rhs) : constInt(*b->lhs);
        auto d = l ? l : r;
        if (d && n && !__builtin_mul_overflow(*d, *n, &out)) {
            return out;
        }
        return std::nullopt;
    }
    case ast::BinaryOp::Div: {
        auto n = constInt(*b->rhs);
        if (l && n && *n != 0 && !(*l == std::numeric_limits<std::int64_t>::min() && *n == -1)) {
            return *l / *n;
        }
        return std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

bool Analyzer::sameExpr(const ast::Expr& a, const ast::Expr& b) {
    if (a.kind != b.kind) {
        return false;
    }
    switch (a.kind) {
    case ast::ExprKind::Int:
        return static_cast<const ast::IntLit&>(a).value == static_cast<const ast::IntLit&>(b).value;
    case ast::ExprKind::Float:
        return static_cast<const ast::FloatLit&>(a).value ==
               static_cast<const ast::FloatLit&>(b).value;
    case ast::ExprKind::String:
        return static_cast<const ast::StringLit&>(a).value ==
               static_cast<const ast::StringLit&>(b).value;
    case ast::ExprKind::Bool:
        return static_cast<const ast::BoolLit&>(a).value ==
               static_cast<const ast::BoolLit&>(b).value;
    case ast::ExprKind::None:
    case ast::ExprKind::Window:
        return true;
    case ast::ExprKind::Duration:
        return static_cast<const ast::DurationLit&>(a).micros ==
               static_cast<const ast::DurationLit&>(b).micros;
    case ast::ExprKind::Timestamp:
        return static_cast<const ast::TimestampLit&>(a).micros ==
               static_cast<const ast::TimestampLit&>(b).micros;
    case ast::ExprKind::Name:
        return static_cast<const ast::NameExpr&>(a).name ==
               static_cast<const ast::NameExpr&>(b).name;
    case ast::ExprKind::Member: {
        const auto& x = static_cast<const ast::MemberExpr&>(a);
        const auto& y = static_cast<const ast::MemberExpr&>(b);
        return x.member.name == y.member.name && sameExpr(*x.base, *y.base);
    }
    case ast::ExprKind::Index: {
        const auto& x = static_cast<const ast::IndexExpr&>(a);
        const auto& y = static_cast<const ast::IndexExpr&>(b);
        if (x.keys.size() != y.keys.size() || !sameExpr(*x.base, *y.base)) {
            return false;
        }
        for (std::size_t i = 0; i < x.keys.size(); ++i) {
            if (!sameExpr(*x.keys[i], *y.keys[i])) {
                return false;
            }
        }
        return true;
    }
    case ast::ExprKind::Call: {
        const auto& x = static_cast<const ast::CallExpr&>(a);
        const auto& y = static_cast<const ast::CallExpr&>(b);
        if (x.args.size() != y.args.size() || !sameExpr(*x.callee, *y.callee)) {
            return false;
        }
        for (std::size_t i = 0; i < x.args.size(); ++i) {
            if (!sameExpr(*x.args[i], *y.args[i])) {
                return false;
            }
        }
        return true;
    }
    case ast::ExprKind::Unary: {
        const auto& x = static_cast<const ast::UnaryExpr&>(a);
        const auto& y = static_cast<const ast::UnaryExpr&>(b);
        return x.op == y.op && sameExpr(*x.operand, *y.operand);
    }
    case ast::ExprKind::Binary: {
        const auto& x = static_cast<const ast::BinaryExpr&>(a);
        const auto& y = static_cast<const ast::BinaryExpr&>(b);
        return x.op == y.op && sameExpr(*x.lhs, *y.lhs) && sameExpr(*x.rhs, *y.rhs);
    }
    case ast::ExprKind::Exists:
        return sameExpr(*static_cast<const ast::ExistsExpr&>(a).operand,
                        *static_cast<const ast::ExistsExpr&>(b).operand);
    case ast::ExprKind::Matches:
        return false;
    }
    return false;
}

}  // namespace flow::sema
