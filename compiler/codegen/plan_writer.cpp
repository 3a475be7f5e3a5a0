// codegen/plan_writer.cpp - the plan half of the IR as JSON (flow/rt/plan.h).
#include "codegen/plan_writer.h"

#include <nlohmann/json.hpp>

namespace flow::codegen {

namespace {

using Json = nlohmann::ordered_json;

const char* kindName(ir::KernelKind k) {
    switch (k) {
    case ir::KernelKind::Defaults:
        return "defaults";
    case ir::KernelKind::Handler:
        return "handler";
    case ir::KernelKind::Key:
        return "key";
    case ir::KernelKind::Reaction:
        return "reaction";
    case ir::KernelKind::Command:
        return "command";
    case ir::KernelKind::Predicate:
        return "predicate";
    case ir::KernelKind::Project:
        return "project";
    case ir::KernelKind::QueryExpr:
        return "queryExpr";
    case ir::KernelKind::Upcast:
        return "upcast";
    case ir::KernelKind::TestExpect:
        return "testExpect";
    }
    return "?";
}

const char* sourceKindName(ir::SourceKind k) {
    return k == ir::SourceKind::Event ? "event" : "table";
}

const char* joinKindName(ir::JoinKind k) {
    return k == ir::JoinKind::Inner ? "inner" : "left";
}

const char* windowKindName(ir::WindowKind k) {
    switch (k) {
    case ir::WindowKind::None:
        return "none";
    case ir::WindowKind::Tumbling:
        return "tumbling";
    case ir::WindowKind::Hopping:
        return "hopping";
    case ir::WindowKind::Session:
        return "session";
    }
    return "?";
}

const char* stepKindName(ir::StepKind k) {
    switch (k) {
    case ir::StepKind::Given:
        return "given";
    case ir::StepKind::When:
        return "when";
    case ir::StepKind::ExpectEmitted:
        return "expectEmitted";
    case ir::StepKind::Expect:
        return "expect";
    case ir::StepKind::Advance:
        return "advance";
    }
    return "?";
}

const char* outcomeName(ir::Outcome o) {
    switch (o) {
    case ir::Outcome::Unchecked:
        return "unchecked";
    case ir::Outcome::Accepted:
        return "accepted";
    case ir::Outcome::Rejected:
        return "rejected";
    }
    return "?";
}

Json ids(const std::vector<std::int32_t>& v) {
    Json j = Json::array();
    for (std::int32_t i : v) {
        j.push_back(i);
    }
    return j;
}

Json type(const ir::Type& t) {
    return Json{{"row", t.isRow()},
                {"scalar", ir::scalarName(t.scalar)},
                {"optional", t.optional},
                {"enumId", t.enumId},
                {"layout", t.layout}};
}

Json layout(const ir::Layout& l) {
    Json fields = Json::array();
    for (const ir::Field& f : l.fields) {
        Json field{{"name", f.name}, {"type", type(f.type)}, {"offset", f.offset}};
        if (f.hasDefault) {
            field["hasDefault"] = true;
        }
        fields.push_back(std::move(field));
    }
    return Json{{"id", l.id}, {"name", l.name}, {"fields", fields}, {"size", l.size}};
}

Json enumJson(const ir::Enum& e) {
    return Json{{"name", e.name}, {"values", e.values}};
}

Json kernel(const ir::Program& p, const ir::Kernel& k) {
    Json args = Json::array();
    for (const ir::KernelArg& a : k.args) {
        args.push_back(Json{{"name", a.name},
                            {"layout", a.layout},
                            {"envelope", a.envelope},
                            {"writable", a.writable},
                            {"optional", a.optional}});
    }
    Json j{{"id", k.id},        {"name", k.name},        {"kind", kindName(k.kind)},
           {"args", args},      {"pure", ir::isPure(k)}, {"ids", ir::readsEventIds(k)},
           {"origin", k.origin}};
    std::vector<ir::FieldCopy> copies = ir::fieldCopies(p, k);
    if (!copies.empty()) {
        Json list = Json::array();
        for (const ir::FieldCopy& c : copies) {
            list.push_back(Json::array({c.out, c.arg, c.field}));
        }
        j["copies"] = std::move(list);
    }
    return j;
}

Json site(const ir::Site& s) {
    return Json{{"service", s.service}, {"where", s.where}, {"file", s.file}, {"line", s.line}};
}

Json event(const ir::Event& e) {
    Json versions = Json::array();
    for (const ir::EventVersion& v : e.versions) {
        versions.push_back(Json{{"version", v.version},
                                {"layout", v.layout},
                                {"upcast", v.upcast},
                                {"defaults", v.defaults}});
    }
    return Json{{"id", e.id},
                {"service", e.service},
                {"name", e.name},
                {"stream", e.stream},
                {"versions", versions},
                {"keyField", e.keyField},
                {"keyLayout", e.keyLayout}};
}

Json table(const ir::Table& t) {
    return Json{{"id", t.id},
                {"service", t.service},
                {"name", t.name},
                {"view", t.view},
                {"windowed", t.windowed},
                {"keyLayout", t.keyLayout},
                {"rowLayout", t.rowLayout},
                {"keyInRow", ids(t.keyInRow)},
                {"defaults", t.defaults}};
}

Json command(const ir::Command& c) {
    return Json{{"id", c.id},
                {"service", c.service},
                {"name", c.name},
                {"params", c.params},
                {"kernel", c.kernel}};
}

Json query(const ir::Query& q) {
    return Json{{"id", q.id},
                {"service", q.service},
                {"name", q.name},
                {"params", q.params},
                {"kernel", q.kernel},
                {"result", q.result},
                {"resultType", type(q.resultType)},
                {"table", q.table},
                {"where", q.where},
                {"orderBy", q.orderBy},
                {"descending", q.descending},
                {"limit", q.limit},
                {"project", q.project},
                {"rowLayout", q.rowLayout}};
}

Json source(const ir::Source& s) {
    return Json{{"kind", sourceKindName(s.kind)}, {"id", s.id}, {"alias", s.alias}};
}

Json derived(const ir::Derived& d) {
    Json sources = Json::array();
    for (const ir::Source& s : d.sources) {
        sources.push_back(source(s));
    }
    Json joins = Json::array();
    for (const ir::Join& j : d.joins) {
        joins.push_back(Json{{"kind", joinKindName(j.kind)},
                             {"source", source(j.source)},
                             {"withinMicros", j.withinMicros},
                             {"keyLayout", j.keyLayout},
                             {"leftKey", j.leftKey},
                             {"rightKey", j.rightKey}});
    }
    Json aggregates = Json::array();
    for (const ir::Aggregate& a : d.aggregates) {
        aggregates.push_back(Json{
            {"kind", ir::aggKindName(a.kind)}, {"type", type(a.type)}, {"argField", a.argField}});
    }
    return Json{{"stream", d.stream},
                {"target", d.target},
                {"service", d.service},
                {"sources", sources},
                {"joins", joins},
                {"where", d.where},
                {"window", windowKindName(d.window)},
                {"sizeMicros", d.sizeMicros},
                {"everyMicros", d.everyMicros},
                {"graceMicros", d.graceMicros},
                {"groupKey", d.groupKey},
                {"aggArgs", d.aggArgs},
                {"aggArgsLayout", d.aggArgsLayout},
                {"aggregates", aggregates},
                {"project", d.project},
                {"aggLayout", d.aggLayout},
                {"site", d.site}};
}

Json service(const ir::Service& s) {
    Json handlers = Json::array();
    for (const ir::Handler& h : s.handlers) {
        handlers.push_back(
            Json{{"table", h.table}, {"event", h.event}, {"key", h.key}, {"kernel", h.kernel}});
    }
    Json reactions = Json::array();
    for (const ir::Reaction& r : s.reactions) {
        reactions.push_back(Json{{"event", r.event}, {"kernel", r.kernel}});
    }
    Json derivedList = Json::array();
    for (const ir::Derived& d : s.derived) {
        derivedList.push_back(derived(d));
    }
    return Json{{"id", s.id},
                {"name", s.name},
                {"module", s.module},
                {"events", ids(s.events)},
                {"tables", ids(s.tables)},
                {"handlers", handlers},
                {"reactions", reactions},
                {"derived", derivedList},
                {"commands", ids(s.commands)},
                {"queries", ids(s.queries)},
                {"consumes", ids(s.consumes)}};
}

Json test(const ir::Test& t) {
    Json steps = Json::array();
    for (const ir::TestStep& s : t.steps) {
        steps.push_back(Json{{"kind", stepKindName(s.kind)},
                             {"line", s.line},
                             {"text", s.text},
                             {"event", s.event},
                             {"version", s.version},
                             {"command", s.command},
                             {"row", s.row},
                             {"hasAt", s.hasAt},
                             {"atMicros", s.atMicros},
                             {"outcome", outcomeName(s.outcome)},
                             {"hasReason", s.hasReason},
                             {"reason", s.reason},
                             {"match", s.match},
                             {"count", s.count},
                             {"expect", s.expect},
                             {"advanceMicros", s.advanceMicros}});
    }
    return Json{{"name", t.name}, {"file", t.file}, {"line", t.line}, {"steps", steps}};
}

/// Compact JSON. Strings are UTF-8 (the lexer checks source files); were one not, its bad
/// bytes would become U+FFFD rather than stop the compiler.
std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/// `"key":[` then one element per line.
template <typename T, typename F>
void writeArray(std::string& out, const char* key, const std::vector<T>& items, F toJson,
                bool last) {
    out += dump(Json(key));
    out += ":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "\n" : ",\n";
        out += dump(toJson(items[i]));
    }
    out += items.empty() ? "]" : "\n]";
    out += last ? "\n" : ",\n";
}

}  // namespace

std::string writePlanJson(const ir::Program& program) {
    std::string out = "{\"format\":\"flow-plan\",\"version\":1,\"source\":";
    out += dump(Json(program.source));
    out += ",\n";
    writeArray(out, "layouts", program.layouts, layout, false);
    writeArray(out, "enums", program.enums, enumJson, false);
    writeArray(out, "events", program.events, event, false);
    writeArray(out, "tables", program.tables, table, false);
    writeArray(out, "commands", program.commands, command, false);
    writeArray(out, "queries", program.queries, query, false);
    writeArray(out, "services", program.services, service, false);
    writeArray(
        out, "kernels", program.kernels, [&](const ir::Kernel& k) { return kernel(program, k); },
        false);
    writeArray(out, "sites", program.sites, site, false);
    writeArray(out, "tests", program.tests, test, true);
    out += "}\n";
    return out;
}

}  // namespace flow::codegen
