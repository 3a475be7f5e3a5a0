// sema/sema.cpp - the analyser's phases; declarations, signatures and type names.
#include "sema/sema.h"

#include "sema/analyzer.h"
#include "support/text.h"

#include <algorithm>

namespace flow::sema {

// ---- Info helpers ------------------------------------------------------------------

std::string EnumInfo::qualifiedName() const {
    return service->name + "." + name;
}

int EnumInfo::indexOf(const std::string& value) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] == value) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

int EventInfo::keyIndex() const {
    if (stream != nullptr) {
        for (std::size_t i = 0; i < streamRow.columns.size(); ++i) {
            if (streamRow.columns[i].isKey) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }
    return versions.back()->keyIndex;
}

const Column* EventInfo::key() const {
    int k = keyIndex();
    return k < 0 ? nullptr : &row().columns[static_cast<std::size_t>(k)];
}

const EventVersion* EventInfo::version(int v) const {
    for (const auto& ver : versions) {
        if (ver->version == v) {
            return ver.get();
        }
    }
    return nullptr;
}

std::string EventInfo::qualifiedName() const {
    return service->name + "." + name;
}

SourceRange EventInfo::declRange() const {
    if (stream != nullptr) {
        return stream->name.range;
    }
    return versions.front()->decl->name.range;
}

std::string TableInfo::qualifiedName() const {
    return service->name + "." + name;
}
std::string CommandInfo::qualifiedName() const {
    return service->name + "." + name;
}
std::string QueryInfo::qualifiedName() const {
    return service->name + "." + name;
}

const Symbol* ServiceInfo::find(const std::string& member) const {
    auto it = members.find(member);
    return it == members.end() ? nullptr : &it->second;
}

const Var* Scope::find(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->name == name) {
            return &*it;
        }
    }
    return parent_ != nullptr ? parent_->find(name) : nullptr;
}

void Scope::names(std::vector<std::string>& out) const {
    for (const Var& v : vars_) {
        out.push_back(v.name);
    }
    if (parent_ != nullptr) {
        parent_->names(out);
    }
}

const char* kindNoun(SymbolKind k) {
    switch (k) {
    case SymbolKind::Enum:
        return "enum";
    case SymbolKind::Event:
        return "event";
    case SymbolKind::Table:
        return "table";
    case SymbolKind::Command:
        return "command";
    case SymbolKind::Query:
        return "query";
    }
    return "declaration";
}

const char* describeKind(SymbolKind k) {
    switch (k) {
    case SymbolKind::Enum:
        return "an enum";
    case SymbolKind::Event:
        return "an event";
    case SymbolKind::Table:
        return "a table";
    case SymbolKind::Command:
        return "a command";
    case SymbolKind::Query:
        return "a query";
    }
    return "a declaration";
}

// ---- The analyser ------------------------------------------------------------------

Analyzer::Analyzer(const ast::Program& program, DiagnosticEngine& diags, SemaResult& result)
    : program_(program), diags_(diags), result_(result) {}

void Analyzer::run() {
    result_.exprTypes.assign(program_.exprCount, Type::error());
    result_.exprRefs.assign(program_.exprCount, Ref{});
    declareBuiltins();
    declareServices();
    resolveSignatures();
    checkDerived();
    for (ServiceInfo* s : result_.services) {
        for (TableInfo* t : s->tables) {
            if (!t->isView()) {
                checkFoldHandlers(*t);
            }
        }
        for (ReactionInfo* r : s->reactions) {
            checkReaction(*r);
        }
        for (CommandInfo* c : s->commands) {
            checkCommand(*c);
        }
        for (QueryInfo* q : s->queries) {
            checkQueryDecl(*q);
        }
        for (const auto& m : s->decl->members) {
            if (const auto* u = ast::dynCast<ast::UpcastDecl>(m.get())) {
                checkUpcast(*s, *u);
            }
        }
    }
    for (const TestInfo& t : result_.tests) {
        checkTest(t);
    }
}

void Analyzer::declareBuiltins() {
    for (const auto& file : program_.files) {
        if (!file->isStdlib) {
            continue;
        }
        for (const auto& d : file->decls) {
            const auto* b = ast::dynCast<ast::BuiltinDecl>(d.get());
            if (b == nullptr) {
                continue;
            }
            auto* info = result_.make<BuiltinInfo>();
            info->name = b->name.name;
            info->decl = b;
            for (const ast::Param& p : b->params) {
                info->params.push_back(resolveType(p.type, nullptr, true));
            }
            info->result = resolveType(b->result, nullptr, true);
            builtins_[info->name].push_back(info);
            result_.builtins.push_back(info);
        }
    }
}

void Analyzer::declareServices() {
    for (const auto& file : program_.files) {
        if (file->isStdlib) {
            continue;
        }
        for (const auto& d : file->decls) {
            if (const auto* t = ast::dynCast<ast::TestDecl>(d.get())) {
                result_.tests.push_back({t, nullptr});
                continue;
            }
            const auto* sd = ast::dynCast<ast::ServiceDecl>(d.get());
            if (sd == nullptr) {
                continue;
            }
            auto found = result_.serviceByName.find(sd->name.name);
            if (found != result_.serviceByName.end()) {
                diags_.report(DiagCode::E0202, sd->name.range, "service", sd->name.name)
                    .note(found->second->decl->name.range, "previously declared here");
                continue;
            }
            auto* s = result_.make<ServiceInfo>();
            s->name = sd->name.name;
            s->decl = sd;
            s->file = file.get();
            result_.services.push_back(s);
            result_.serviceByName[s->name] = s;
            for (const auto& m : sd->members) {
                declareMember(*s, *m);
            }
        }
    }
}

void Analyzer::addSymbol(ServiceInfo& s, const std::string& name, SymbolKind kind, void* info,
                         SourceRange range) {
    auto [it, inserted] = s.members.emplace(name, Symbol{kind, info, range});
    if (!inserted) {
        diags_.report(DiagCode::E0202, range, kindNoun(kind), name)
            .note(it->second.range, "previously declared here");
    }
}

void Analyzer::declareMember(ServiceInfo& s, const ast::Decl& d) {
    switch (d.kind) {
    case ast::DeclKind::Enum: {
        const auto& ed = static_cast<const ast::EnumDecl&>(d);
        auto* e = result_.make<EnumInfo>();
        e->service = &s;
        e->decl = &ed;
        e->name = ed.name.name;
        std::map<std::string, SourceRange> seen;
        for (const ast::Ident& v : ed.values) {
            auto [it, inserted] = seen.emplace(v.name, v.range);
            if (!inserted) {
                diags_.report(DiagCode::E0202, v.range, "enum value", v.name)
                    .note(it->second, "previously declared here");
                continue;
            }
            e->values.push_back(v.name);
        }
        s.enums.push_back(e);
        addSymbol(s, e->name, SymbolKind::Enum, e, ed.name.range);
        break;
    }
    case ast::DeclKind::Event: {
        const auto& ed = static_cast<const ast::EventDecl&>(d);
        const Symbol* existing = s.find(ed.name.name);
        if (existing != nullptr && existing->kind == SymbolKind::Event &&
            !static_cast<EventInfo*>(existing->info)->isStream()) {
            auto* e = static_cast<EventInfo*>(existing->info);
            for (const auto& v : e->versions) {
                if (v->version == ed.version) {
                    diags_
                        .report(DiagCode::E0202,
                                ed.versionWritten ? ed.versionRange : ed.name.range, "event",
                                ed.name.name + " v" + std::to_string(ed.version))
                        .note(v->decl->name.range, "previously declared here");
                    return;
                }
            }
            auto v = std::make_unique<EventVersion>();
            v->version = ed.version;
            v->decl = &ed;
            e->versions.push_back(std::move(v));
            std::sort(e->versions.begin(), e->versions.end(),
                      [](const auto& a, const auto& b) { return a->version < b->version; });
            return;
        }
        auto* e = result_.make<EventInfo>();
        e->service = &s;
        e->name = ed.name.name;
        auto v = std::make_unique<EventVersion>();
        v->version = ed.version;
        v->decl = &ed;
        e->versions.push_back(std::move(v));
        s.events.push_back(e);
        addSymbol(s, e->name, SymbolKind::Event, e, ed.name.range);
        break;
    }
    case ast::DeclKind::Stream: {
        const auto& sd = static_cast<const ast::StreamDecl&>(d);
        auto* e = result_.make<EventInfo>();
        e->service = &s;
        e->name = sd.name.name;
        e->stream = &sd;
        e->streamRow.kind = RowType::Kind::Event;
        e->streamRow.name = s.name + "." + e->name;
        s.events.push_back(e);
        addSymbol(s, e->name, SymbolKind::Event, e, sd.name.range);
        derived_.emplace_back(e, false);
        derivedIsTable_[e] = false;
        break;
    }
    case ast::DeclKind::FoldTable:
    case ast::DeclKind::ViewTable: {
        const auto& td = static_cast<const ast::TableDecl&>(d);
        auto* t = result_.make<TableInfo>();
        t->service = &s;
        t->decl = &td;
        t->name = td.name.name;
        t->row.kind = RowType::Kind::Table;
        t->row.name = s.name + "." + t->name;
        s.tables.push_back(t);
        addSymbol(s, t->name, SymbolKind::Table, t, td.name.range);
        if (td.isView()) {
            derived_.emplace_back(t, true);
            derivedIsTable_[t] = true;
        }
        break;
    }
    case ast::DeclKind::Command: {
        const auto& cd = static_cast<const ast::CommandDecl&>(d);
        auto* c = result_.make<CommandInfo>();
        c->service = &s;
        c->decl = &cd;
        c->name = cd.name.name;
        s.commands.push_back(c);
        addSymbol(s, c->name, SymbolKind::Command, c, cd.name.range);
        break;
    }
    case ast::DeclKind::Query: {
        const auto& qd = static_cast<const ast::QueryDecl&>(d);
        auto* q = result_.make<QueryInfo>();
        q->service = &s;
        q->decl = &qd;
        q->name = qd.name.name;
        q->resultRow.name = s.name + "." + q->name;
        s.queries.push_back(q);
        addSymbol(s, q->name, SymbolKind::Query, q, qd.name.range);
        break;
    }
    case ast::DeclKind::Reaction: {
        auto* r = result_.make<ReactionInfo>();
        r->service = &s;
        r->decl = static_cast<const ast::ReactionDecl*>(&d);
        s.reactions.push_back(r);
        break;
    }
    case ast::DeclKind::Test:
        result_.tests.push_back({static_cast<const ast::TestDecl*>(&d), &s});
        break;
    default:
        break;
    }
}

const EnumInfo* Analyzer::findEnum(const ast::QualifiedName& name, ServiceInfo* service) {
    const Symbol* sym = nullptr;
    if (name.parts.size() == 1 && service != nullptr) {
        sym = service->find(name.parts[0].name);
    } else if (name.parts.size() == 2) {
        auto it = result_.serviceByName.find(name.parts[0].name);
        if (it != result_.serviceByName.end()) {
            sym = it->second->find(name.parts[1].name);
        }
    }
    if (sym != nullptr && sym->kind == SymbolKind::Enum) {
        return static_cast<const EnumInfo*>(sym->info);
    }
    return nullptr;
}

Type Analyzer::resolveType(const ast::TypeRef& ref, ServiceInfo* service, bool allowVar) {
    Type t = Type::error();
    const std::string& first = ref.name.parts[0].name;
    if (ref.name.parts.size() == 1) {
        if (first == "bool") {
            t = Type::boolean();
        } else if (first == "int") {
            t = Type::integer();
        } else if (first == "float") {
            t = Type::floating();
        } else if (first == "string") {
            t = Type::string();
        } else if (first == "timestamp") {
            t = Type::timestamp();
        } else if (first == "duration") {
            t = Type::duration();
        } else if (allowVar && first.size() == 1 && first[0] >= 'A' && first[0] <= 'Z') {
            t = Type::var(first[0]);
        }
    }
    if (t.isError()) {
        if (const EnumInfo* e = findEnum(ref.name, service)) {
            t = Type::enumOf(e);
        } else {
            std::vector<std::string> candidates = {"bool",   "int",       "float",
                                                   "string", "timestamp", "duration"};
            if (service != nullptr) {
                for (const EnumInfo* en : service->enums) {
                    candidates.push_back(en->name);
                }
            }
            auto& d = diags_.report(DiagCode::E0309, ref.name.range, ref.name.str());
            if (auto m = closestMatch(ref.name.str(), candidates)) {
                d.note("did you mean '" + *m + "'?");
            }
            return Type::error();
        }
    }
    return ref.optional ? t.optional() : t;
}

std::vector<Column> Analyzer::resolveParams(const std::vector<ast::Param>& params,
                                            ServiceInfo* service) {
    std::vector<Column> out;
    std::map<std::string, SourceRange> seen;
    for (const ast::Param& p : params) {
        auto [it, inserted] = seen.emplace(p.name.name, p.name.range);
        if (!inserted) {
            diags_.report(DiagCode::E0202, p.name.range, "parameter", p.name.name)
                .note(it->second, "previously declared here");
        }
        Column c;
        c.name = p.name.name;
        c.type = resolveType(p.type, service);
        c.range = p.name.range;
        out.push_back(std::move(c));
    }
    return out;
}

void Analyzer::checkDefaults(const RowType& row, ServiceInfo* service) {
    for (const Column& c : row.columns) {
        if (c.defaultValue == nullptr) {
            continue;
        }
        Ctx ctx;
        ctx.service = service;
        ctx.site = Site::Constant;
        ctx.siteName = "a default value";
        // A default that did not check (reported) is not also called non-constant.
        Type t = expect(*c.defaultValue, ctx, c.type);
        if (!t.isError() && !isConstant(*c.defaultValue)) {
            diags_.report(DiagCode::E0307, c.defaultValue->range, "a default value");
        }
    }
}

void Analyzer::resolveEvent(EventInfo& e) {
    for (auto& v : e.versions) {
        const ast::EventDecl& d = *v->decl;
        v->row.kind = RowType::Kind::Event;
        v->row.name = e.qualifiedName();
        std::map<std::string, SourceRange> seen;
        std::vector<SourceRange> keys;
        for (const ast::FieldDecl& f : d.fields) {
            auto [it, inserted] = seen.emplace(f.name.name, f.name.range);
            if (!inserted) {
                diags_.report(DiagCode::E0202, f.name.range, "field", f.name.name)
                    .note(it->second, "previously declared here");
                continue;
            }
            Column c;
            c.name = f.name.name;
            c.type = resolveType(f.type, e.service);
            c.isKey = f.isKey;
            c.defaultValue = f.defaultValue.get();
            c.range = f.name.range;
            if (f.isKey) {
                keys.push_back(f.name.range);
                if (c.type.isOptional()) {
                    diags_.report(DiagCode::E0301, f.type.range, "a non-optional key type",
                                  c.type.str());
                }
                v->keyIndex = static_cast<int>(v->row.columns.size());
            }
            v->row.columns.push_back(std::move(c));
        }
        if (keys.size() != 1) {
            v->keyIndex = -1;
            auto& diag = diags_.report(
                DiagCode::E0401, d.name.range,
                e.name + (d.versionWritten ? " v" + std::to_string(d.version) : ""), keys.size());
            if (keys.empty()) {
                diag.note("mark the field that partitions the event with 'key'");
            }
            for (std::size_t i = 1; i < keys.size(); ++i) {
                diag.note(keys[i], "another key field declared here");
            }
        }
        checkDefaults(v->row, e.service);
    }
}

void Analyzer::resolveFoldTable(TableInfo& t) {
    const ast::TableDecl& d = *t.decl;
    std::map<std::string, SourceRange> seen;
    for (const ast::Param& k : d.keys) {
        seen.emplace(k.name.name, k.name.range);
        Column c;
        c.name = k.name.name;
        c.type = resolveType(k.type, t.service);
        c.isKey = true;
        c.range = k.name.range;
        if (c.type.isOptional()) {
            diags_.report(DiagCode::E0301, k.type.range, "a non-optional key type", c.type.str());
        }
        t.keyTypes.push_back(c.type);
        t.keyNames.push_back(c.name);
        t.row.columns.push_back(std::move(c));
    }
    for (const ast::FieldDecl& f : d.fields) {
        if (f.isKey) {
            diags_.report(DiagCode::E0408, f.keyRange,
                          "a table field: a table's key is declared after its name ('table T key "
                          "k: string { ... }')");
        }
        auto [it, inserted] = seen.emplace(f.name.name, f.name.range);
        if (!inserted) {
            diags_.report(DiagCode::E0202, f.name.range, "field", f.name.name)
                .note(it->second, "previously declared here");
            continue;
        }
        Column c;
        c.name = f.name.name;
        c.type = resolveType(f.type, t.service);
        c.defaultValue = f.defaultValue.get();
        c.range = f.name.range;
        t.row.columns.push_back(std::move(c));
    }
    checkDefaults(t.row, t.service);
}

void Analyzer::resolveSignatures() {
    for (ServiceInfo* s : result_.services) {
        for (EventInfo* e : s->events) {
            if (!e->isStream()) {
                resolveEvent(*e);
            }
        }
        for (TableInfo* t : s->tables) {
            if (!t->isView()) {
                resolveFoldTable(*t);
            }
        }
        for (CommandInfo* c : s->commands) {
            c->params = resolveParams(c->decl->params, s);
        }
        for (QueryInfo* q : s->queries) {
            q->params = resolveParams(q->decl->params, s);
        }
    }
    for (ServiceInfo* s : result_.services) {
        linkUpcasts(*s);
        for (EventInfo* e : s->events) {
            if (!e->isStream()) {
                checkEvolution(*e);
            }
        }
    }
}

bool sameExpr(const ast::Expr& a, const ast::Expr& b) {
    return Analyzer::sameExpr(a, b);
}

std::unique_ptr<SemaResult> analyze(const ast::Program& program, DiagnosticEngine& diags) {
    auto result = std::make_unique<SemaResult>();
    Analyzer analyzer(program, diags, *result);
    analyzer.run();
    return result;
}

}  // namespace flow::sema
