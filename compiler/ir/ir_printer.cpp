// ir/ir_printer.cpp - `--emit=ir`: a deterministic text dump of the Flow IR.
#include "ir/ir_printer.h"

#include <cstdio>

namespace flow::ir {

namespace {

const char* opName(Op op) {
    switch (op) {
    case Op::Const:
        return "const";
    case Op::None:
        return "none";
    case Op::Arg:
        return "arg";
    case Op::Env:
        return "env";
    case Op::Lookup:
        return "lookup";
    case Op::Query:
        return "query";
    case Op::RowField:
        return "rowfield";
    case Op::RowPresent:
        return "present";
    case Op::RowEq:
        return "roweq";
    case Op::IsNone:
        return "isnone";
    case Op::Wrap:
        return "wrap";
    case Op::Unwrap:
        return "unwrap";
    case Op::Not:
        return "not";
    case Op::Neg:
        return "neg";
    case Op::Add:
        return "add";
    case Op::Sub:
        return "sub";
    case Op::Mul:
        return "mul";
    case Op::Div:
        return "div";
    case Op::Mod:
        return "mod";
    case Op::Eq:
        return "eq";
    case Op::Ne:
        return "ne";
    case Op::Lt:
        return "lt";
    case Op::Le:
        return "le";
    case Op::Gt:
        return "gt";
    case Op::Ge:
        return "ge";
    case Op::And:
        return "and";
    case Op::Or:
        return "or";
    case Op::ToFloat:
        return "tofloat";
    case Op::Coalesce:
        return "coalesce";
    case Op::Matches:
        return "matches";
    case Op::Call:
        return "call";
    }
    return "?";
}

const char* envName(std::int32_t f) {
    static const char* names[] = {"id", "time", "seq", "causation", "correlation", "version"};
    return f >= 0 && f < 6 ? names[f] : "?";
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

class Printer {
public:
    explicit Printer(const Program& p) : p_(p) {}

    std::string run() {
        line(0, "program " + quote(p_.source));
        for (const Enum& e : p_.enums) {
            std::string vals;
            for (const std::string& v : e.values) {
                vals += (vals.empty() ? "" : ", ") + v;
            }
            line(0, "enum #" + std::to_string(e.id) + " " + e.name + " { " + vals + " }");
        }
        for (const Layout& l : p_.layouts) {
            std::string fs;
            for (const Field& f : l.fields) {
                fs += (fs.empty() ? "" : ", ") + f.name + ": " + typeName(p_, f.type) + " @" +
                      std::to_string(f.offset);
            }
            line(0, "layout #" + std::to_string(l.id) + " " + l.name + " size " +
                        std::to_string(l.size) + " { " + fs + " }");
        }
        for (const Event& e : p_.events) {
            std::string vs;
            for (const EventVersion& v : e.versions) {
                vs += " v" + std::to_string(v.version) + "(layout #" + std::to_string(v.layout) +
                      ", defaults k" + std::to_string(v.defaults) +
                      (v.upcast >= 0 ? ", upcast k" + std::to_string(v.upcast) : "") + ")";
            }
            line(0, std::string(e.stream ? "stream #" : "event #") + std::to_string(e.id) + " " +
                        e.name + " owner " + p_.services[static_cast<std::size_t>(e.service)].name +
                        " key field " + std::to_string(e.keyField) + vs);
        }
        for (const Table& t : p_.tables) {
            std::string keys;
            for (std::int32_t k : t.keyInRow) {
                keys += (keys.empty() ? "" : ",") + std::to_string(k);
            }
            line(0, std::string(t.view ? "view #" : "table #") + std::to_string(t.id) + " " +
                        t.name + " key layout #" + std::to_string(t.keyLayout) + " row layout #" +
                        std::to_string(t.rowLayout) + " key in row [" + keys + "]" +
                        (t.windowed ? " windowed" : "") +
                        (t.defaults >= 0 ? " defaults k" + std::to_string(t.defaults) : ""));
        }
        for (const Command& c : p_.commands) {
            line(0, "command #" + std::to_string(c.id) + " " + c.name + " params #" +
                        std::to_string(c.params) + " kernel k" + std::to_string(c.kernel));
        }
        for (const Query& q : p_.queries) {
            std::string body =
                q.kernel >= 0
                    ? "kernel k" + std::to_string(q.kernel) + " result #" + std::to_string(q.result)
                    : "scan table #" + std::to_string(q.table) + opt(" where", q.where) +
                          opt(" order", q.orderBy) + (q.descending ? " desc" : "") +
                          opt(" limit", q.limit) + opt(" select", q.project) + " rows #" +
                          std::to_string(q.rowLayout);
            line(0, "query #" + std::to_string(q.id) + " " + q.name + " params #" +
                        std::to_string(q.params) + " " + body + " : " + typeName(p_, q.resultType));
        }
        for (const Service& s : p_.services) {
            service(s);
        }
        for (const Kernel& k : p_.kernels) {
            kernel(k);
        }
        for (const Test& t : p_.tests) {
            test(t);
        }
        return out_;
    }

private:
    static std::string opt(const char* what, std::int32_t k) {
        return k >= 0 ? std::string(what) + " k" + std::to_string(k) : "";
    }
    void line(int indent, const std::string& s) {
        out_.append(static_cast<std::size_t>(indent) * 2, ' ');
        out_ += s;
        out_ += '\n';
    }
    std::string eventName(std::int32_t id) const {
        return p_.events[static_cast<std::size_t>(id)].name;
    }
    std::string tableName(std::int32_t id) const {
        return p_.tables[static_cast<std::size_t>(id)].name;
    }

    void service(const Service& s) {
        line(0, "service " + s.name + " module " + s.module);
        std::string consumes;
        for (std::int32_t e : s.consumes) {
            consumes += (consumes.empty() ? "" : ", ") + eventName(e);
        }
        line(1, "consumes " + (consumes.empty() ? std::string("nothing") : consumes));
        for (const Handler& h : s.handlers) {
            line(1, "fold " + tableName(h.table) + " on " + eventName(h.event) +
                        opt(" key", h.key) + " k" + std::to_string(h.kernel));
        }
        for (const Reaction& r : s.reactions) {
            line(1, "react on " + eventName(r.event) + " k" + std::to_string(r.kernel));
        }
        for (const Derived& d : s.derived) {
            std::string srcs;
            for (const Source& src : d.sources) {
                srcs += (srcs.empty() ? "" : ", ") +
                        (src.kind == SourceKind::Event ? eventName(src.id) : tableName(src.id)) +
                        " " + src.alias;
            }
            line(1, std::string(d.stream ? "stream " : "view ") +
                        (d.stream ? eventName(d.target) : tableName(d.target)) + " from " + srcs);
            for (const Join& j : d.joins) {
                line(2,
                     std::string(j.kind == JoinKind::Left ? "left join " : "join ") +
                         j.source.alias + " key #" + std::to_string(j.keyLayout) +
                         opt(" left", j.leftKey) + opt(" right", j.rightKey) +
                         (j.withinMicros >= 0 ? " within " + std::to_string(j.withinMicros) + "us"
                                              : ""));
            }
            if (d.where >= 0) {
                line(2, "where k" + std::to_string(d.where));
            }
            if (d.window != WindowKind::None) {
                const char* kinds[] = {"none", "tumbling", "hopping", "session"};
                line(2, std::string("window ") + kinds[static_cast<int>(d.window)] + " size " +
                            std::to_string(d.sizeMicros) + "us every " +
                            std::to_string(d.everyMicros) + "us grace " +
                            std::to_string(d.graceMicros) + "us");
            }
            if (d.groupKey >= 0) {
                std::string aggs;
                for (const Aggregate& a : d.aggregates) {
                    aggs +=
                        (aggs.empty() ? "" : ", ") + std::string(aggKindName(a.kind)) + "(" +
                        (a.argField >= 0 ? "arg " + std::to_string(a.argField) : std::string()) +
                        ") : " + typeName(p_, a.type);
                }
                line(2, "group by k" + std::to_string(d.groupKey) + " args k" +
                            std::to_string(d.aggArgs) + " [" + aggs + "]");
            }
            line(2, "project k" + std::to_string(d.project));
        }
        for (std::int32_t c : s.commands) {
            line(1, "command " + p_.commands[static_cast<std::size_t>(c)].name);
        }
        for (std::int32_t q : s.queries) {
            line(1, "query " + p_.queries[static_cast<std::size_t>(q)].name);
        }
    }

    std::string expr(const Expr& e) {
        std::string s = "(";
        s += opName(e.op);
        switch (e.op) {
        case Op::Const:
            if (e.type.is(Scalar::Bool)) {
                s += e.constant.b ? " true" : " false";
            } else if (e.type.is(Scalar::Float)) {
                char buf[40];
                std::snprintf(buf, sizeof buf, " %.17g", e.constant.f);
                s += buf;
            } else if (e.type.is(Scalar::String)) {
                s += " " + quote(e.constant.s);
            } else {
                s += " " + std::to_string(e.constant.i);
            }
            break;
        case Op::Arg:
            s += " " + std::to_string(e.arg) + (e.field >= 0 ? "." + std::to_string(e.field) : "");
            break;
        case Op::Env:
            s += " " + std::to_string(e.arg) + "." + envName(e.field);
            break;
        case Op::Lookup:
            s += " " + tableName(e.table);
            break;
        case Op::Query:
            s += " " + p_.queries[static_cast<std::size_t>(e.query)].name;
            break;
        case Op::RowField:
            s += " ." + std::to_string(e.field) + (e.orDefault ? " default" : "");
            break;
        case Op::Matches: {
            s += " [";
            for (std::size_t i = 0; i < e.fields.size(); ++i) {
                s += (i ? " " : "") + std::to_string(e.fields[i]);
            }
            s += "]";
            break;
        }
        case Op::Call:
            s += " " + e.callee;
            break;
        default:
            break;
        }
        for (const auto& a : e.args) {
            s += " " + expr(*a);
        }
        s += " : " + typeName(p_, e.type) + ")";
        return s;
    }

    void stmts(int indent, const std::vector<StmtPtr>& body) {
        for (const auto& st : body) {
            switch (st->op) {
            case StmtOp::Set:
                line(indent, "set " + std::to_string(st->arg) + "." + std::to_string(st->field) +
                                 " = " + expr(*st->value));
                break;
            case StmtOp::If:
                line(indent, "if " + expr(*st->value));
                stmts(indent + 1, st->then);
                if (!st->otherwise.empty()) {
                    line(indent, "else");
                    stmts(indent + 1, st->otherwise);
                }
                break;
            case StmtOp::Require:
                line(indent, "require " + expr(*st->cond) + " else " + expr(*st->value));
                break;
            case StmtOp::Emit: {
                line(indent, "emit " + eventName(st->event));
                for (const auto& v : st->values) {
                    line(indent + 1, expr(*v));
                }
                break;
            }
            case StmtOp::Delete:
                line(indent, "delete");
                break;
            case StmtOp::Return:
                line(indent, "return " + expr(*st->value));
                break;
            }
        }
    }

    void kernel(const Kernel& k) {
        std::string args;
        for (const KernelArg& a : k.args) {
            args += (args.empty() ? "" : ", ") + a.name + ": " +
                    (a.envelope ? std::string("envelope") : "#" + std::to_string(a.layout)) +
                    (a.writable ? " out" : "") + (a.optional ? "?" : "");
        }
        line(0, "kernel k" + std::to_string(k.id) + " " + k.name + " " + kernelKindName(k.kind) +
                    "(" + args + ")  // " + k.origin);
        stmts(1, k.body);
    }

    void test(const Test& t) {
        line(0, "test " + quote(t.name) + " " + t.file + ":" + std::to_string(t.line));
        for (const TestStep& s : t.steps) {
            switch (s.kind) {
            case StepKind::Given:
                line(1, "given " + eventName(s.event) + " version " + std::to_string(s.version) +
                            " row k" + std::to_string(s.row) +
                            (s.hasAt ? " at " + std::to_string(s.atMicros) : ""));
                break;
            case StepKind::When: {
                const char* outcomes[] = {"", " expect accepted", " expect rejected"};
                line(1, "when " + p_.commands[static_cast<std::size_t>(s.command)].name + " row k" +
                            std::to_string(s.row) + outcomes[static_cast<int>(s.outcome)] +
                            (s.hasReason ? " " + quote(s.reason) : ""));
                break;
            }
            case StepKind::ExpectEmitted:
                line(1, "expect emitted " + eventName(s.event) + opt(" match", s.match) +
                            (s.count >= 0 ? " count " + std::to_string(s.count) : ""));
                break;
            case StepKind::Expect:
                line(1, "expect k" + std::to_string(s.expect));
                break;
            case StepKind::Advance:
                line(1, "advance " + std::to_string(s.advanceMicros) + "us");
                break;
            }
        }
    }

    const Program& p_;
    std::string out_;
};

}  // namespace

std::string typeName(const Program& p, const Type& t) {
    std::string s;
    if (t.isRow()) {
        s = "row #" + std::to_string(t.layout);
    } else if (t.scalar == Scalar::Enum && t.enumId >= 0 &&
               static_cast<std::size_t>(t.enumId) < p.enums.size()) {
        s = p.enums[static_cast<std::size_t>(t.enumId)].name;
    } else {
        s = scalarName(t.scalar);
    }
    return t.optional ? s + "?" : s;
}

std::string printProgram(const Program& p) {
    return Printer(p).run();
}

}  // namespace flow::ir
