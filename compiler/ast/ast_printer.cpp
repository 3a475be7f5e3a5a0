// ast/ast_printer.cpp - `--emit=ast`: a deterministic dump of the AST with source positions.
#include "ast/ast_printer.h"

#include "ast/visitor.h"
#include "support/text.h"

#include <filesystem>

namespace flow::ast {

// ---- Walking ---------------------------------------------------------------------------

void forEachExpr(const Expr& e, const std::function<void(const Expr&, int)>& fn, int depth) {
    fn(e, depth);
    switch (e.kind) {
    case ExprKind::Member:
        forEachExpr(*static_cast<const MemberExpr&>(e).base, fn, depth + 1);
        break;
    case ExprKind::Index: {
        const auto& x = static_cast<const IndexExpr&>(e);
        forEachExpr(*x.base, fn, depth + 1);
        for (const auto& k : x.keys) {
            forEachExpr(*k, fn, depth + 1);
        }
        break;
    }
    case ExprKind::Call: {
        const auto& x = static_cast<const CallExpr&>(e);
        forEachExpr(*x.callee, fn, depth + 1);
        for (const auto& a : x.args) {
            forEachExpr(*a, fn, depth + 1);
        }
        break;
    }
    case ExprKind::Unary:
        forEachExpr(*static_cast<const UnaryExpr&>(e).operand, fn, depth + 1);
        break;
    case ExprKind::Binary:
        forEachExpr(*static_cast<const BinaryExpr&>(e).lhs, fn, depth + 1);
        forEachExpr(*static_cast<const BinaryExpr&>(e).rhs, fn, depth + 1);
        break;
    case ExprKind::Exists:
        forEachExpr(*static_cast<const ExistsExpr&>(e).operand, fn, depth + 1);
        break;
    case ExprKind::Matches: {
        const auto& x = static_cast<const MatchesExpr&>(e);
        forEachExpr(*x.subject, fn, depth + 1);
        for (const auto& f : x.record.fields) {
            if (f.value) {
                forEachExpr(*f.value, fn, depth + 1);
            }
        }
        break;
    }
    default:
        break;
    }
}

namespace {

void walkRecord(const RecordLit& r, const std::function<void(const Expr&, int)>& fn) {
    for (const auto& f : r.fields) {
        if (f.value) {
            forEachExpr(*f.value, fn);
        }
    }
}

}  // namespace

void forEachExpr(const Block& b, const std::function<void(const Expr&, int)>& fn) {
    for (const auto& s : b.stmts) {
        switch (s->kind) {
        case StmtKind::If: {
            const auto& i = static_cast<const IfStmt&>(*s);
            forEachExpr(*i.cond, fn);
            forEachExpr(i.then, fn);
            if (i.otherwise) {
                forEachExpr(*i.otherwise, fn);
            }
            break;
        }
        case StmtKind::Require: {
            const auto& r = static_cast<const RequireStmt&>(*s);
            forEachExpr(*r.cond, fn);
            forEachExpr(*r.message, fn);
            break;
        }
        case StmtKind::Emit:
            walkRecord(static_cast<const EmitStmt&>(*s).fields, fn);
            break;
        case StmtKind::Assign:
            forEachExpr(*static_cast<const AssignStmt&>(*s).value, fn);
            break;
        case StmtKind::Delete:
            break;
        }
    }
}

void forEachExpr(const Query& q, const std::function<void(const Expr&, int)>& fn) {
    for (const auto& j : q.joins) {
        forEachExpr(*j.on, fn);
        if (j.within) {
            forEachExpr(*j.within, fn);
        }
    }
    if (q.where) {
        forEachExpr(*q.where, fn);
    }
    if (q.window) {
        for (const ExprPtr* p : {&q.window->size, &q.window->every, &q.window->grace}) {
            if (*p) {
                forEachExpr(**p, fn);
            }
        }
    }
    for (const auto& g : q.groupBy) {
        forEachExpr(*g, fn);
    }
    if (q.select) {
        for (const auto& i : q.select->items) {
            if (i.value) {
                forEachExpr(*i.value, fn);
            }
        }
    }
    if (q.orderBy) {
        forEachExpr(*q.orderBy, fn);
    }
    if (q.limit) {
        forEachExpr(*q.limit, fn);
    }
}

void forEachExpr(const Decl& d, const std::function<void(const Expr&, int)>& fn) {
    switch (d.kind) {
    case DeclKind::Service:
        for (const auto& m : static_cast<const ServiceDecl&>(d).members) {
            forEachExpr(*m, fn);
        }
        break;
    case DeclKind::Event:
        for (const auto& f : static_cast<const EventDecl&>(d).fields) {
            if (f.defaultValue) {
                forEachExpr(*f.defaultValue, fn);
            }
        }
        break;
    case DeclKind::Upcast:
        forEachExpr(static_cast<const UpcastDecl&>(d).body, fn);
        break;
    case DeclKind::FoldTable:
    case DeclKind::ViewTable: {
        const auto& t = static_cast<const TableDecl&>(d);
        for (const auto& f : t.fields) {
            if (f.defaultValue) {
                forEachExpr(*f.defaultValue, fn);
            }
        }
        for (const auto& h : t.handlers) {
            for (const auto& b : h.by) {
                forEachExpr(*b, fn);
            }
            forEachExpr(h.body, fn);
        }
        if (t.query) {
            forEachExpr(*t.query, fn);
        }
        break;
    }
    case DeclKind::Stream:
        forEachExpr(*static_cast<const StreamDecl&>(d).query, fn);
        break;
    case DeclKind::Command:
        forEachExpr(static_cast<const CommandDecl&>(d).body, fn);
        break;
    case DeclKind::Query: {
        const auto& q = static_cast<const QueryDecl&>(d);
        if (q.expr) {
            forEachExpr(*q.expr, fn);
        } else if (q.query) {
            forEachExpr(*q.query, fn);
        }
        break;
    }
    case DeclKind::Reaction:
        forEachExpr(static_cast<const ReactionDecl&>(d).handler.body, fn);
        break;
    case DeclKind::Test:
        for (const auto& s : static_cast<const TestDecl&>(d).steps) {
            if (s.record) {
                walkRecord(*s.record, fn);
            }
            if (s.value) {
                forEachExpr(*s.value, fn);
            }
        }
        break;
    default:
        break;
    }
}

// ---- Expressions as text -------------------------------------------------------------------

namespace {

int exprPrecedence(const Expr& e) {
    switch (e.kind) {
    case ExprKind::Binary:
        return precedence(static_cast<const BinaryExpr&>(e).op);
    case ExprKind::Unary:
    case ExprKind::Exists:
        return 8;
    case ExprKind::Int:
        // A negative literal prints with its sign and binds like a unary minus.
        return static_cast<const IntLit&>(e).value < 0 ? 8 : 10;
    case ExprKind::Float:
        return static_cast<const FloatLit&>(e).value < 0 ? 8 : 10;
    default:
        return 10;  // postfix and primary
    }
}

void print(std::string& out, const Expr& e, bool paren);

void printChild(std::string& out, const Expr& child, int minPrec, bool paren) {
    bool need = paren ? (child.kind == ExprKind::Binary || child.kind == ExprKind::Unary ||
                         child.kind == ExprKind::Exists)
                      : exprPrecedence(child) < minPrec;
    if (need) {
        out += '(';
    }
    print(out, child, paren);
    if (need) {
        out += ')';
    }
}

void print(std::string& out, const Expr& e, bool paren) {
    switch (e.kind) {
    case ExprKind::Int:
        out += std::to_string(static_cast<const IntLit&>(e).value);
        return;
    case ExprKind::Float:
        out += static_cast<const FloatLit&>(e).text;
        return;
    case ExprKind::String:
        out += quoteString(static_cast<const StringLit&>(e).value);
        return;
    case ExprKind::Bool:
        out += static_cast<const BoolLit&>(e).value ? "true" : "false";
        return;
    case ExprKind::None:
        out += "none";
        return;
    case ExprKind::Duration:
        out += static_cast<const DurationLit&>(e).text;
        return;
    case ExprKind::Timestamp:
        out += static_cast<const TimestampLit&>(e).text;
        return;
    case ExprKind::Name:
        out += static_cast<const NameExpr&>(e).name;
        return;
    case ExprKind::Window:
        out += "window";
        return;
    case ExprKind::Member: {
        const auto& m = static_cast<const MemberExpr&>(e);
        printChild(out, *m.base, 10, paren);
        out += '.';
        out += m.member.name;
        return;
    }
    case ExprKind::Index: {
        const auto& x = static_cast<const IndexExpr&>(e);
        printChild(out, *x.base, 10, paren);
        out += '[';
        for (std::size_t i = 0; i < x.keys.size(); ++i) {
            if (i > 0) {
                out += ", ";
            }
            print(out, *x.keys[i], paren);
        }
        out += ']';
        return;
    }
    case ExprKind::Call: {
        const auto& x = static_cast<const CallExpr&>(e);
        printChild(out, *x.callee, 10, paren);
        out += '(';
        for (std::size_t i = 0; i < x.args.size(); ++i) {
            if (i > 0) {
                out += ", ";
            }
            print(out, *x.args[i], paren);
        }
        out += ')';
        return;
    }
    case ExprKind::Unary: {
        const auto& u = static_cast<const UnaryExpr&>(e);
        out += spelling(u.op);
        // `- -x` must not print as `--x`; `-(-7)` must not print as `--7`.
        bool needsSpace = u.op == UnaryOp::Neg &&
                          (u.operand->kind == ExprKind::Unary || exprPrecedence(*u.operand) == 8);
        if (needsSpace && !paren) {
            out += '(';
            print(out, *u.operand, paren);
            out += ')';
            return;
        }
        printChild(out, *u.operand, 8, paren);
        return;
    }
    case ExprKind::Exists:
        out += "exists ";
        printChild(out, *static_cast<const ExistsExpr&>(e).operand, 9, paren);
        return;
    case ExprKind::Binary: {
        const auto& b = static_cast<const BinaryExpr&>(e);
        int p = precedence(b.op);
        // Left-associative: the right operand needs parentheses at equal precedence.
        printChild(out, *b.lhs, p, paren);
        out += ' ';
        out += spelling(b.op);
        out += ' ';
        printChild(out, *b.rhs, p + 1, paren);
        return;
    }
    case ExprKind::Matches: {
        const auto& m = static_cast<const MatchesExpr&>(e);
        printChild(out, *m.subject, 10, paren);
        out += " matches ";
        out += recordToString(m.record, paren);
        return;
    }
    }
}

}  // namespace

std::string exprToString(const Expr& e, bool parenthesize) {
    std::string out;
    print(out, e, parenthesize);
    return out;
}

std::string recordToString(const RecordLit& r, bool parenthesize) {
    if (r.fields.empty()) {
        return "{}";
    }
    std::string out = "{ ";
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
        if (i > 0) {
            out += ", ";
        }
        out += r.fields[i].name.name;
        if (r.fields[i].value) {
            out += ": ";
            print(out, *r.fields[i].value, parenthesize);
        }
    }
    out += " }";
    return out;
}

std::string typeToString(const TypeRef& t) {
    return t.name.str() + (t.optional ? "?" : "");
}

// ---- The dump ----------------------------------------------------------------------------

namespace {

class Dumper {
public:
    explicit Dumper(const SourceManager& sources) : sources_(sources) {}

    std::string run(const Program& p) {
        for (const auto& f : p.files) {
            if (f->isStdlib) {
                continue;
            }
            line(0, "File " + name(f->id) + " module " + f->moduleName);
            for (const Import& i : f->imports) {
                line(1, "Import " + quoteString(i.path) + at(i.range));
            }
            for (const auto& d : f->decls) {
                decl(1, *d);
            }
        }
        return out_;
    }

private:
    std::string name(FileId id) const {
        return std::filesystem::path(sources_.file(id).path()).filename().string();
    }
    std::string at(SourceRange r) const {
        if (!r.valid()) {
            return "";
        }
        LineColumn lc = sources_.lineColumn(r.begin);
        return " @" + name(r.begin.file) + ":" + std::to_string(lc.line) + ":" +
               std::to_string(lc.column);
    }
    void line(int indent, const std::string& text) {
        out_.append(static_cast<std::size_t>(indent) * 2, ' ');
        out_ += text;
        out_ += '\n';
    }
    std::string expr(const Expr& e) { return exprToString(e, true); }

    void field(int indent, const FieldDecl& f) {
        line(indent, std::string("Field ") + (f.isKey ? "key " : "") + f.name.name + ": " +
                         typeToString(f.type) +
                         (f.defaultValue ? " = " + expr(*f.defaultValue) : "") + at(f.range));
    }

    std::string params(const std::vector<Param>& ps) {
        std::string s;
        for (const Param& p : ps) {
            s += (s.empty() ? "" : ", ") + p.name.name + ": " + typeToString(p.type);
        }
        return s;
    }

    void block(int indent, const Block& b) {
        for (const auto& s : b.stmts) {
            stmt(indent, *s);
        }
    }

    void stmt(int indent, const Stmt& s) {
        switch (s.kind) {
        case StmtKind::If: {
            const auto& i = static_cast<const IfStmt&>(s);
            line(indent, "If " + expr(*i.cond) + at(s.range));
            block(indent + 1, i.then);
            if (i.otherwise) {
                line(indent, "Else");
                block(indent + 1, *i.otherwise);
            }
            return;
        }
        case StmtKind::Require: {
            const auto& r = static_cast<const RequireStmt&>(s);
            line(indent, "Require " + expr(*r.cond) + " else " + expr(*r.message) + at(s.range));
            return;
        }
        case StmtKind::Emit: {
            const auto& e = static_cast<const EmitStmt&>(s);
            line(indent,
                 "Emit " + e.event.str() + " " + recordToString(e.fields, true) + at(s.range));
            return;
        }
        case StmtKind::Assign: {
            const auto& a = static_cast<const AssignStmt&>(s);
            line(indent, "Assign " + a.target.name + " " + spelling(a.op) + " " + expr(*a.value) +
                             at(s.range));
            return;
        }
        case StmtKind::Delete:
            line(indent, "Delete" + at(s.range));
            return;
        }
    }

    void handler(int indent, const Handler& h, const char* what) {
        std::string by;
        for (const auto& b : h.by) {
            by += (by.empty() ? " by " : ", ") + expr(*b);
        }
        line(indent, std::string(what) + " " + h.event.str() +
                         (h.alias ? " " + h.alias->name : "") + by + at(h.range));
        block(indent + 1, h.body);
    }

    void query(int indent, const Query& q) {
        line(indent, "From " + q.from.name.str() + (q.from.alias ? " " + q.from.alias->name : "") +
                         at(q.from.range));
        for (const JoinClause& j : q.joins) {
            line(indent, std::string(j.left ? "LeftJoin " : "Join ") + j.source.name.str() +
                             (j.source.alias ? " " + j.source.alias->name : "") + " on " +
                             expr(*j.on) + (j.within ? " within " + expr(*j.within) : "") +
                             at(j.range));
        }
        if (q.where) {
            line(indent, "Where " + expr(*q.where) + at(q.where->range));
        }
        if (q.window) {
            const WindowClause& w = *q.window;
            std::string kind = w.kind == WindowKind::Tumbling  ? "tumbling"
                               : w.kind == WindowKind::Hopping ? "hopping"
                                                               : "session gap";
            line(indent, "Window " + kind + " " + expr(*w.size) +
                             (w.every ? " every " + expr(*w.every) : "") +
                             (w.grace ? " grace " + expr(*w.grace) : "") + at(w.range));
        }
        if (!q.groupBy.empty()) {
            std::string g;
            for (const auto& e : q.groupBy) {
                g += (g.empty() ? "" : ", ") + expr(*e);
            }
            line(indent, "GroupBy " + g + at(q.groupByRange));
        }
        if (q.select) {
            line(indent, "Select" + at(q.select->range));
            for (const SelectItem& i : q.select->items) {
                line(indent + 1, std::string(i.isKey ? "key " : "") + i.name.name +
                                     (i.value ? ": " + expr(*i.value) : "") + at(i.range));
            }
        }
        if (q.orderBy) {
            line(indent, "OrderBy " + expr(*q.orderBy) + (q.descending ? " desc" : "") +
                             at(q.orderByRange));
        }
        if (q.limit) {
            line(indent, "Limit " + expr(*q.limit) + at(q.limit->range));
        }
    }

    void decl(int indent, const Decl& d) {
        switch (d.kind) {
        case DeclKind::Service: {
            const auto& s = static_cast<const ServiceDecl&>(d);
            line(indent, "Service " + s.name.name + at(d.range));
            for (const auto& m : s.members) {
                decl(indent + 1, *m);
            }
            return;
        }
        case DeclKind::Enum: {
            const auto& e = static_cast<const EnumDecl&>(d);
            std::string values;
            for (const Ident& v : e.values) {
                values += (values.empty() ? "" : ", ") + v.name;
            }
            line(indent, "Enum " + e.name.name + " { " + values + " }" + at(d.range));
            return;
        }
        case DeclKind::Event: {
            const auto& e = static_cast<const EventDecl&>(d);
            line(indent, "Event " + e.name.name + " v" + std::to_string(e.version) + at(d.range));
            for (const FieldDecl& f : e.fields) {
                field(indent + 1, f);
            }
            return;
        }
        case DeclKind::Upcast: {
            const auto& u = static_cast<const UpcastDecl&>(d);
            line(indent, "Upcast " + u.event.name + " v" + std::to_string(u.fromVersion) + " -> v" +
                             std::to_string(u.toVersion) + at(d.range));
            block(indent + 1, u.body);
            return;
        }
        case DeclKind::FoldTable: {
            const auto& t = static_cast<const TableDecl&>(d);
            line(indent, "Table " + t.name.name + " key " + params(t.keys) + at(d.range));
            for (const FieldDecl& f : t.fields) {
                field(indent + 1, f);
            }
            for (const Handler& h : t.handlers) {
                handler(indent + 1, h, "On");
            }
            return;
        }
        case DeclKind::ViewTable: {
            const auto& t = static_cast<const TableDecl&>(d);
            line(indent, "ViewTable " + t.name.name + at(d.range));
            query(indent + 1, *t.query);
            return;
        }
        case DeclKind::Stream: {
            const auto& s = static_cast<const StreamDecl&>(d);
            line(indent, "Stream " + s.name.name + at(d.range));
            query(indent + 1, *s.query);
            return;
        }
        case DeclKind::Command: {
            const auto& c = static_cast<const CommandDecl&>(d);
            line(indent, "Command " + c.name.name + "(" + params(c.params) + ")" + at(d.range));
            block(indent + 1, c.body);
            return;
        }
        case DeclKind::Query: {
            const auto& q = static_cast<const QueryDecl&>(d);
            line(indent, "Query " + q.name.name + "(" + params(q.params) + ")" +
                             (q.expr ? " = " + expr(*q.expr) : "") + at(d.range));
            if (q.query) {
                query(indent + 1, *q.query);
            }
            return;
        }
        case DeclKind::Reaction:
            handler(indent, static_cast<const ReactionDecl&>(d).handler, "Reaction on");
            return;
        case DeclKind::Test: {
            const auto& t = static_cast<const TestDecl&>(d);
            line(indent, "Test " + quoteString(t.name) + at(d.range));
            for (const TestStep& s : t.steps) {
                step(indent + 1, s);
            }
            return;
        }
        case DeclKind::Builtin:
            return;
        }
    }

    void step(int indent, const TestStep& s) {
        std::string rec = s.record ? " " + recordToString(*s.record, true) : "";
        switch (s.kind) {
        case StepKind::Given:
            line(indent, "Given " + s.target.str() +
                             (s.version ? " v" + std::to_string(*s.version) : "") + rec +
                             (s.value ? " at " + expr(*s.value) : "") + at(s.range));
            return;
        case StepKind::When: {
            std::string outcome = s.outcome == Outcome::Accepted   ? " expect accepted"
                                  : s.outcome == Outcome::Rejected ? " expect rejected"
                                                                   : "";
            if (s.reason) {
                outcome += " " + quoteString(*s.reason);
            }
            line(indent, "When " + s.target.str() + rec + outcome + at(s.range));
            return;
        }
        case StepKind::ExpectEmitted:
            line(indent, "ExpectEmitted " + s.target.str() + rec +
                             (s.value ? " count " + expr(*s.value) : "") + at(s.range));
            return;
        case StepKind::Expect:
            line(indent, "Expect " + expr(*s.value) + at(s.range));
            return;
        case StepKind::Advance:
            line(indent, "AdvanceTime " + expr(*s.value) + at(s.range));
            return;
        }
    }

    const SourceManager& sources_;
    std::string out_;
};

}  // namespace

std::string printAst(const Program& program, const SourceManager& sources) {
    return Dumper(sources).run(program);
}

}  // namespace flow::ast
