// ir/ir_verifier.cpp - structural checks of the Flow IR (always on in debug builds).
#include "ir/ir_verifier.h"

namespace flow::ir {

namespace {

class Verifier {
public:
    explicit Verifier(const Program& p) : p_(p) {}

    std::vector<std::string> run() {
        for (std::size_t i = 0; i < p_.layouts.size(); ++i) {
            check(p_.layouts[i].id == static_cast<std::int32_t>(i),
                  "layout " + std::to_string(i) + " has a wrong id");
        }
        for (const Event& e : p_.events) {
            check(!e.versions.empty(), e.name + ": no version");
            for (const EventVersion& v : e.versions) {
                layoutRef(v.layout, e.name);
                kernelRef(v.defaults, e.name + " defaults", true);
                kernelRef(v.upcast, e.name + " upcast", false);
            }
            serviceRef(e.service, e.name);
        }
        for (const Table& t : p_.tables) {
            layoutRef(t.keyLayout, t.name);
            layoutRef(t.rowLayout, t.name);
            check(t.keyInRow.size() == layoutSize(t.keyLayout),
                  t.name + ": key columns do not match the key layout");
        }
        for (const Command& c : p_.commands) {
            layoutRef(c.params, c.name);
            kernelRef(c.kernel, c.name, true);
        }
        for (const Service& s : p_.services) {
            for (const Handler& h : s.handlers) {
                tableRef(h.table, s.name);
                eventRef(h.event, s.name);
                kernelRef(h.key, s.name + " handler key", false);
                kernelRef(h.kernel, s.name + " handler", true);
            }
            for (const Reaction& r : s.reactions) {
                eventRef(r.event, s.name);
                kernelRef(r.kernel, s.name + " reaction", true);
            }
            for (const Derived& d : s.derived) {
                check(!d.sources.empty(), s.name + ": derived without sources");
                check(d.joins.size() + 1 == d.sources.size(),
                      s.name + ": joins and sources do not match");
                kernelRef(d.project, s.name + " derived project", true);
                kernelRef(d.where, s.name + " derived where", false);
            }
        }
        for (const Kernel& k : p_.kernels) {
            kernel(k);
        }
        return problems_;
    }

private:
    void check(bool ok, const std::string& what) {
        if (!ok) {
            problems_.push_back(what);
        }
    }
    std::size_t layoutSize(std::int32_t id) const {
        return id >= 0 && static_cast<std::size_t>(id) < p_.layouts.size()
                   ? p_.layouts[static_cast<std::size_t>(id)].fields.size()
                   : 0;
    }
    void layoutRef(std::int32_t id, const std::string& where) {
        check(id >= 0 && static_cast<std::size_t>(id) < p_.layouts.size(),
              where + ": bad layout " + std::to_string(id));
    }
    void kernelRef(std::int32_t id, const std::string& where, bool required) {
        if (id < 0 && !required) {
            return;
        }
        check(id >= 0 && static_cast<std::size_t>(id) < p_.kernels.size(),
              where + ": bad kernel " + std::to_string(id));
    }
    void tableRef(std::int32_t id, const std::string& where) {
        check(id >= 0 && static_cast<std::size_t>(id) < p_.tables.size(),
              where + ": bad table " + std::to_string(id));
    }
    void eventRef(std::int32_t id, const std::string& where) {
        check(id >= 0 && static_cast<std::size_t>(id) < p_.events.size(),
              where + ": bad event " + std::to_string(id));
    }
    void serviceRef(std::int32_t id, const std::string& where) {
        check(id >= 0 && static_cast<std::size_t>(id) < p_.services.size(),
              where + ": bad service " + std::to_string(id));
    }

    void expr(const Kernel& k, const Expr& e) {
        const std::string where = k.name + ": " + std::to_string(static_cast<int>(e.op));
        switch (e.op) {
        case Op::Arg:
            check(e.arg >= 0 && static_cast<std::size_t>(e.arg) < k.args.size(),
                  k.name + ": argument out of range");
            if (e.arg >= 0 && static_cast<std::size_t>(e.arg) < k.args.size() && e.field >= 0) {
                const KernelArg& a = k.args[static_cast<std::size_t>(e.arg)];
                check(!a.envelope && static_cast<std::size_t>(e.field) < layoutSize(a.layout),
                      k.name + ": field " + std::to_string(e.field) + " of argument '" + a.name +
                          "' out of range");
                if (!a.envelope && static_cast<std::size_t>(e.field) < layoutSize(a.layout)) {
                    const Type& ft = p_.layouts[static_cast<std::size_t>(a.layout)]
                                         .fields[static_cast<std::size_t>(e.field)]
                                         .type;
                    check(ft == e.type, k.name + ": field " + std::to_string(e.field) + " of '" +
                                            a.name + "' read with a different type");
                }
            }
            break;
        case Op::Env:
            check(e.arg >= 0 && static_cast<std::size_t>(e.arg) < k.args.size() &&
                      k.args[static_cast<std::size_t>(e.arg)].envelope,
                  k.name + ": envelope read from an argument that is not an envelope");
            break;
        case Op::Lookup:
            tableRef(e.table, k.name);
            if (e.table >= 0 && static_cast<std::size_t>(e.table) < p_.tables.size()) {
                check(e.args.size() ==
                          layoutSize(p_.tables[static_cast<std::size_t>(e.table)].keyLayout),
                      k.name + ": lookup with the wrong number of key values");
            }
            break;
        case Op::RowField:
            check(e.args.size() == 1 && e.args[0]->type.isRow(),
                  k.name + ": rowfield of a non-row");
            if (e.args.size() == 1 && e.args[0]->type.isRow()) {
                check(e.field >= 0 &&
                          static_cast<std::size_t>(e.field) < layoutSize(e.args[0]->type.layout),
                      k.name + ": rowfield out of range");
            }
            break;
        case Op::Call:
            check(!e.callee.empty(), k.name + ": call without a callee");
            break;
        default:
            break;
        }
        (void)where;
        for (const auto& a : e.args) {
            check(a != nullptr, k.name + ": null operand");
            if (a) {
                expr(k, *a);
            }
        }
    }

    void stmts(const Kernel& k, const std::vector<StmtPtr>& body) {
        for (const auto& s : body) {
            switch (s->op) {
            case StmtOp::Set: {
                bool ok = s->arg >= 0 && static_cast<std::size_t>(s->arg) < k.args.size();
                check(ok, k.name + ": set of an argument out of range");
                if (ok) {
                    const KernelArg& a = k.args[static_cast<std::size_t>(s->arg)];
                    check(a.writable, k.name + ": set of read-only argument '" + a.name + "'");
                    check(s->field >= 0 &&
                              static_cast<std::size_t>(s->field) < layoutSize(a.layout),
                          k.name + ": set of a field out of range");
                    if (s->value && s->field >= 0 &&
                        static_cast<std::size_t>(s->field) < layoutSize(a.layout)) {
                        const Type& ft = p_.layouts[static_cast<std::size_t>(a.layout)]
                                             .fields[static_cast<std::size_t>(s->field)]
                                             .type;
                        check(ft == s->value->type,
                              k.name + ": set of field '" +
                                  p_.layouts[static_cast<std::size_t>(a.layout)]
                                      .fields[static_cast<std::size_t>(s->field)]
                                      .name +
                                  "' with a value of another type");
                    }
                }
                break;
            }
            case StmtOp::Emit:
                eventRef(s->event, k.name);
                if (s->event >= 0 && static_cast<std::size_t>(s->event) < p_.events.size()) {
                    check(s->values.size() ==
                              layoutSize(p_.events[static_cast<std::size_t>(s->event)]
                                             .versions.back()
                                             .layout),
                          k.name + ": emit with the wrong number of values");
                }
                break;
            default:
                break;
            }
            for (const ExprPtr* e : {&s->value, &s->cond}) {
                if (*e) {
                    expr(k, **e);
                }
            }
            for (const auto& v : s->values) {
                expr(k, *v);
            }
            stmts(k, s->then);
            stmts(k, s->otherwise);
        }
    }

    void kernel(const Kernel& k) {
        for (const KernelArg& a : k.args) {
            if (!a.envelope) {
                layoutRef(a.layout, k.name + " argument " + a.name);
            }
        }
        stmts(k, k.body);
    }

    const Program& p_;
    std::vector<std::string> problems_;
};

}  // namespace

std::vector<std::string> verify(const Program& p) {
    return Verifier(p).run();
}

}  // namespace flow::ir
