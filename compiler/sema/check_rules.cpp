// sema/check_rules.cpp - schema evolution, upcasts, and cycles among derived streams and tables.
#include "sema/analyzer.h"

#include <algorithm>

namespace flow::sema {

std::string Analyzer::sourceText(const ast::Expr& e) const {
    std::string_view text = diags_.sources().file(e.range.begin.file).text();
    std::size_t begin = e.range.begin.offset;
    std::size_t end = std::min<std::size_t>(e.range.end, text.size());
    return begin < end ? std::string(text.substr(begin, end - begin)) : std::string();
}

// ---- Upcasts and evolution ---------------------------------------------------------------

namespace {

void assignedFields(const ast::Block& b, std::set<std::string>& out) {
    for (const auto& s : b.stmts) {
        if (const auto* a = ast::dynCast<ast::AssignStmt>(s.get())) {
            out.insert(a->target.name);
        } else if (const auto* i = ast::dynCast<ast::IfStmt>(s.get())) {
            assignedFields(i->then, out);
            if (i->otherwise) {
                assignedFields(*i->otherwise, out);
            }
        }
    }
}

}  // namespace

void Analyzer::linkUpcasts(ServiceInfo& s) {
    for (const auto& m : s.decl->members) {
        const auto* u = ast::dynCast<ast::UpcastDecl>(m.get());
        if (u == nullptr) {
            continue;
        }
        const Symbol* sym = s.find(u->event.name);
        if (sym == nullptr || sym->kind != SymbolKind::Event ||
            static_cast<EventInfo*>(sym->info)->isStream()) {
            std::vector<std::string> candidates;
            for (const EventInfo* e : s.events) {
                candidates.push_back(e->name);
            }
            unknownName("event", u->event.name, u->event.range, candidates);
            continue;
        }
        auto* e = static_cast<EventInfo*>(sym->info);
        const EventVersion* from = e->version(u->fromVersion);
        EventVersion* to = const_cast<EventVersion*>(e->version(u->toVersion));
        if (from == nullptr || to == nullptr) {
            int missing = from == nullptr ? u->fromVersion : u->toVersion;
            diags_.report(DiagCode::E0602, from == nullptr ? u->fromRange : u->toRange,
                          "event '" + e->qualifiedName() + "' has no version v" +
                              std::to_string(missing));
            continue;
        }
        if (u->fromVersion >= u->toVersion) {
            diags_.report(DiagCode::E0602, u->toRange,
                          "an upcast goes from an older version to a newer one");
            continue;
        }
        bool consecutive = true;
        for (const auto& v : e->versions) {
            if (v->version > u->fromVersion && v->version < u->toVersion) {
                consecutive = false;
            }
        }
        if (!consecutive) {
            diags_.report(DiagCode::E0602, u->range,
                          "an upcast goes between consecutive versions; declare one for each step");
            continue;
        }
        if (to->upcastFrom != nullptr) {
            diags_
                .report(DiagCode::E0202, u->range, "upcast",
                        u->event.name + " v" + std::to_string(u->fromVersion) + " -> v" +
                            std::to_string(u->toVersion))
                .note(to->upcastFrom->range, "previously declared here");
            continue;
        }
        to->upcastFrom = u;
        upcasts_[u] = {from, to};
    }
}

void Analyzer::checkEvolution(EventInfo& e) {
    for (std::size_t i = 1; i < e.versions.size(); ++i) {
        const EventVersion& a = *e.versions[i - 1];
        const EventVersion& b = *e.versions[i];
        std::set<std::string> assigned;
        const ast::UpcastDecl* up = b.upcastFrom;
        if (up != nullptr) {
            assignedFields(up->body, assigned);
        }
        auto report = [&](SourceRange where, const std::string& why) -> Diagnostic& {
            return diags_
                .report(DiagCode::E0601, where, e.qualifiedName(), a.version, b.version, why)
                .note(a.decl->name.range, "v" + std::to_string(a.version) + " is declared here");
        };
        // A changed key is one error; its fields are not also reported as removed,
        // added or retyped.
        std::set<std::string> oldKey, newKey;
        if (a.keyIndex >= 0 && b.keyIndex >= 0) {
            const Column& ka = a.row.columns[static_cast<std::size_t>(a.keyIndex)];
            const Column& kb = b.row.columns[static_cast<std::size_t>(b.keyIndex)];
            if (ka.name != kb.name || !(ka.type == kb.type)) {
                report(kb.range, "the key changes from '" + ka.name + ": " + ka.type.spelling() +
                                     "' to '" + kb.name + ": " + kb.type.spelling() + "'")
                    .note("events are partitioned by their key: a new key is a new event type");
                oldKey.insert(ka.name);
                newKey.insert(kb.name);
            }
        }
        for (const Column& ca : a.row.columns) {
            if (oldKey.count(ca.name) != 0) {
                continue;
            }
            const Column* cb = b.row.find(ca.name);
            if (cb == nullptr) {
                if (up == nullptr) {
                    report(b.decl->name.range, "field '" + ca.name + "' is removed")
                        .note("declare 'upcast " + e.name + " v" + std::to_string(a.version) +
                              " -> v" + std::to_string(b.version) +
                              " { ... }' to say how old events are read");
                }
                continue;
            }
            if (!(cb->type == ca.type) && assigned.count(ca.name) == 0 &&
                !(cb->type.isOptional() && cb->type.nonOptional() == ca.type)) {
                report(cb->range, "field '" + ca.name + "' changes type from '" +
                                      ca.type.spelling() + "' to '" + cb->type.spelling() + "'")
                    .note("an upcast that sets '" + ca.name + "' says how old values convert");
            }
        }
        for (const Column& cb : b.row.columns) {
            if (newKey.count(cb.name) == 0 && a.row.find(cb.name) == nullptr &&
                cb.defaultValue == nullptr && !cb.type.isOptional() &&
                assigned.count(cb.name) == 0) {
                report(cb.range, "field '" + cb.name + "' is added without a default")
                    .note("give it a default ('" + cb.name + ": " + cb.type.spelling() +
                          " = ...;') or set it in an upcast");
            }
        }
    }
}

void Analyzer::checkUpcast(ServiceInfo& s, const ast::UpcastDecl& u) {
    auto it = upcasts_.find(&u);
    if (it == upcasts_.end()) {
        return;
    }
    const EventVersion* from = it->second.first;
    const EventVersion* to = it->second.second;
    Scope scope;
    Var old;
    old.name = "old";
    old.type = Type::rowOf(&from->row);
    old.source = from;
    scope.add(old);
    for (std::size_t i = 0; i < to->row.columns.size(); ++i) {
        const Column& c = to->row.columns[i];
        Var v;
        v.name = c.name;
        v.type = c.type;
        v.kind = RefKind::Field;
        v.index = static_cast<int>(i);
        v.assignable = true;
        v.source = to;
        scope.add(std::move(v));
    }
    Ctx ctx;
    ctx.service = &s;
    ctx.site = Site::Upcast;
    ctx.siteName = "an upcast";
    ctx.upcastTarget = s.name + "." + u.event.name + " v" + std::to_string(to->version);
    ctx.scope = &scope;
    checkBlock(u.body, ctx);
}

// ---- Cycles among derived streams and tables -----------------------------------------------

std::vector<const void*> Analyzer::derivedSources(const void* item, bool isTable) {
    const ast::Query* q = nullptr;
    ServiceInfo* service = nullptr;
    if (isTable) {
        const auto* t = static_cast<const TableInfo*>(item);
        q = t->decl->query.get();
        service = t->service;
    } else {
        const auto* e = static_cast<const EventInfo*>(item);
        q = e->stream->query.get();
        service = e->service;
    }
    std::vector<const void*> out;
    auto add = [&](const ast::QualifiedName& name) {
        const Symbol* sym = nullptr;
        if (name.parts.size() == 1) {
            sym = service->find(name.parts[0].name);
        } else if (name.parts.size() == 2) {
            auto it = result_.serviceByName.find(name.parts[0].name);
            if (it != result_.serviceByName.end()) {
                sym = it->second->find(name.parts[1].name);
            }
        }
        if (sym != nullptr && derivedIsTable_.count(sym->info) != 0) {
            out.push_back(sym->info);
        }
    };
    add(q->from.name);
    for (const ast::JoinClause& j : q->joins) {
        add(j.source.name);
    }
    return out;
}

void Analyzer::orderDerived() {
    // A depth-first search with an explicit stack: a chain of many thousand derived
    // streams must not overflow the C++ stack.
    enum class Mark : std::uint8_t { None, Active, Done };
    std::map<const void*, Mark> marks;
    auto describe = [&](const void* item) {
        if (derivedIsTable_.at(item)) {
            return static_cast<const TableInfo*>(item)->qualifiedName();
        }
        return static_cast<const EventInfo*>(item)->qualifiedName();
    };
    auto nameRange = [&](const void* item) {
        if (derivedIsTable_.at(item)) {
            return static_cast<const TableInfo*>(item)->decl->name.range;
        }
        return static_cast<const EventInfo*>(item)->stream->name.range;
    };
    struct Frame {
        const void* item;
        std::vector<const void*> sources;
        std::size_t next = 0;
    };
    std::vector<Frame> stack;
    // `stack[from..]` read each other in a ring, and the top reads `stack[from]`.
    auto reportCycle = [&](std::size_t from) {
        // Data flows from a source to its reader: print the ring in that order, starting
        // and ending with the item the error is reported at.
        std::vector<const void*> ring;
        ring.push_back(stack[from].item);
        for (std::size_t i = stack.size(); i-- > from + 1;) {
            ring.push_back(stack[i].item);
        }
        std::string chain;
        for (const void* item : ring) {
            chain += describe(item) + " -> ";
            badDerived_.insert(item);
        }
        chain += describe(ring.front());
        auto& d = diags_.report(DiagCode::E0504, nameRange(ring.front()), chain);
        for (std::size_t i = 1; i < ring.size(); ++i) {
            d.note(nameRange(ring[i]), "'" + describe(ring[i]) + "' is part of the cycle");
        }
    };
    auto push = [&](const void* item) {
        marks[item] = Mark::Active;
        stack.push_back({item, derivedSources(item, derivedIsTable_.at(item))});
    };
    for (const auto& [root, rootIsTable] : derived_) {
        if (marks[root] != Mark::None) {
            continue;
        }
        push(root);
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.next == top.sources.size()) {
                const void* done = top.item;
                marks[done] = Mark::Done;
                result_.derivedOrder.push_back(done);
                stack.pop_back();
                if (!stack.empty() && badDerived_.count(done) != 0) {
                    badDerived_.insert(stack.back().item);
                }
                continue;
            }
            const void* dep = top.sources[top.next++];
            Mark m = marks[dep];
            if (m == Mark::None) {
                push(dep);  // invalidates `top`
                continue;
            }
            if (m == Mark::Active) {
                std::size_t from = 0;
                while (stack[from].item != dep) {
                    ++from;
                }
                reportCycle(from);
            }
            if (badDerived_.count(dep) != 0) {
                badDerived_.insert(stack.back().item);
            }
        }
    }
}

}  // namespace flow::sema
