// sema/sema_printer.cpp - `--emit=sema`: resolved declarations and the type of every expression.
#include "ast/ast_printer.h"
#include "ast/visitor.h"
#include "sema/analyzer.h"
#include "sema/sema.h"

#include <filesystem>

namespace flow::sema {

namespace {

class SemaDumper {
public:
    SemaDumper(const SemaResult& r, const SourceManager& sources) : r_(r), sources_(sources) {}

    std::string run(const ast::Program& program) {
        for (const ServiceInfo* s : r_.services) {
            service(*s);
        }
        if (!r_.derivedOrder.empty()) {
            line(0, "derived order:");
            for (const void* item : r_.derivedOrder) {
                line(1, derivedName(item));
            }
        }
        for (const TestInfo& t : r_.tests) {
            line(0, "test \"" + t.decl->name + "\"" + (t.service ? " in " + t.service->name : "") +
                        at(t.decl->range));
            exprs(1, *t.decl);
        }
        (void)program;
        return out_;
    }

private:
    std::string at(SourceRange r) const {
        if (!r.valid()) {
            return "";
        }
        LineColumn lc = sources_.lineColumn(r.begin);
        std::string file =
            std::filesystem::path(sources_.file(r.begin.file).path()).filename().string();
        return " @" + file + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
    }
    void line(int indent, const std::string& text) {
        out_.append(static_cast<std::size_t>(indent) * 2, ' ');
        out_ += text;
        out_ += '\n';
    }
    std::string derivedName(const void* item) const {
        for (const ServiceInfo* s : r_.services) {
            for (const TableInfo* t : s->tables) {
                if (t == item) {
                    return "table " + t->qualifiedName();
                }
            }
            for (const EventInfo* e : s->events) {
                if (e == item) {
                    return "stream " + e->qualifiedName();
                }
            }
        }
        return "?";
    }
    static std::string columns(const RowType& row) {
        std::string s;
        for (const Column& c : row.columns) {
            s += (s.empty() ? "" : ", ") + c.name + ": " + c.type.spelling() +
                 (c.isKey ? " key" : "") +
                 (c.defaultValue ? " = " + ast::exprToString(*c.defaultValue, false) : "");
        }
        return "{ " + s + " }";
    }
    static std::string params(const std::vector<Column>& ps) {
        std::string s;
        for (const Column& c : ps) {
            s += (s.empty() ? "" : ", ") + c.name + ": " + c.type.spelling();
        }
        return s;
    }
    static std::string names(const std::vector<const EventInfo*>& es) {
        std::string s;
        for (const EventInfo* e : es) {
            s += (s.empty() ? "" : ", ") + e->qualifiedName();
        }
        return s.empty() ? "nothing" : s;
    }

    /// What a name that is not a value stands for: "(table)", "(service)", ...
    static std::string entity(const Ref& ref) {
        switch (ref.kind) {
        case RefKind::Builtin:
            return "(function)";
        case RefKind::Aggregate:
            return "(aggregate)";
        case RefKind::Window:
            return ref.index < 0 ? "(window)" : "";
        case RefKind::Entity:
            if (ref.index == kServiceEntity) {
                return "(service)";
            }
            return std::string("(") + kindNoun(static_cast<SymbolKind>(ref.index)) + ")";
        default:
            return "";
        }
    }

    /// Every expression of a declaration with its type, indented by nesting.
    void exprs(int indent, const ast::Decl& d) {
        ast::forEachExpr(d, [&](const ast::Expr& e, int depth) {
            // A call has the type of its result; its callee is the "(function)".
            std::string what = e.kind == ast::ExprKind::Call ? "" : entity(r_.refOf(e));
            line(indent + depth, ast::exprToString(e, false) + " : " +
                                     (what.empty() ? r_.typeOf(e).spelling() : what) + at(e.range));
        });
    }

    void service(const ServiceInfo& s) {
        line(0,
             "service " + s.name + " (module " + s.file->moduleName + ")" + at(s.decl->name.range));
        for (const EnumInfo* e : s.enums) {
            std::string values;
            for (const std::string& v : e->values) {
                values += (values.empty() ? "" : ", ") + v;
            }
            line(1, "enum " + e->qualifiedName() + " { " + values + " }");
        }
        for (const EventInfo* e : s.events) {
            if (e->isStream()) {
                line(1, "stream " + e->qualifiedName() + " key " +
                            (e->key() ? e->key()->name : "?") + " " + columns(e->streamRow));
                exprs(2, *e->stream);
                continue;
            }
            for (const auto& v : e->versions) {
                line(1,
                     "event " + e->qualifiedName() + " v" + std::to_string(v->version) + " key " +
                         (v->keyIndex >= 0
                              ? v->row.columns[static_cast<std::size_t>(v->keyIndex)].name
                              : "?") +
                         " " + columns(v->row) +
                         (v->upcastFrom
                              ? " (upcast from v" + std::to_string(v->upcastFrom->fromVersion) + ")"
                              : ""));
            }
        }
        for (const TableInfo* t : s.tables) {
            std::string keys;
            for (std::size_t i = 0; i < t->keyTypes.size(); ++i) {
                keys += (i ? ", " : "") + (t->keyNames[i].empty() ? "_" : t->keyNames[i]) + ": " +
                        t->keyTypes[i].spelling();
            }
            line(1, std::string("table ") + t->qualifiedName() +
                        (t->isView() ? " (view" : " (fold") + (t->windowed ? ", windowed)" : ")") +
                        " key (" + keys + ") " + columns(t->row));
            exprs(2, *t->decl);
        }
        for (const CommandInfo* c : s.commands) {
            line(1, "command " + c->qualifiedName() + "(" + params(c->params) + ") emits " +
                        names(c->emits));
            exprs(2, *c->decl);
        }
        for (const QueryInfo* q : s.queries) {
            line(1, "query " + q->qualifiedName() + "(" + params(q->params) + ") -> " +
                        q->result.spelling() +
                        (q->result.kind() == TypeKind::List ? " " + columns(q->resultRow) : ""));
            exprs(2, *q->decl);
        }
        for (const ReactionInfo* r : s.reactions) {
            line(1, "reaction on " + (r->trigger ? r->trigger->qualifiedName() : std::string("?")) +
                        " emits " + names(r->emits) + at(r->decl->range));
            exprs(2, *r->decl);
        }
        std::string subs;
        for (const auto& [name, e] : s.subscriptions) {
            subs += (subs.empty() ? "" : ", ") + name;
        }
        line(1, "consumes " + (subs.empty() ? std::string("nothing") : subs));
    }

    const SemaResult& r_;
    const SourceManager& sources_;
    std::string out_;
};

}  // namespace

std::string printSema(const ast::Program& program, const SemaResult& result,
                      const SourceManager& sources) {
    return SemaDumper(result, sources).run(program);
}

}  // namespace flow::sema
