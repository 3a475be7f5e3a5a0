// driver/graph.cpp - `flowc graph`: services, owned events, subscriptions, derived tables/streams.
#include "driver/graph.h"

#include <nlohmann/json.hpp>

#include <map>

namespace flow::driver {

namespace {

using sema::EventInfo;
using sema::ServiceInfo;
using sema::TableInfo;

enum class NodeKind { Event, Stream, Table, View, Command };

struct Node {
    std::string id;  // n0, n1, ...: stable, since services are in source order
    std::string service;
    std::string name;
    NodeKind kind;
};

struct Edge {
    std::string from;
    std::string to;
    std::string label;  // "on", "from", "join", "emits"
};

/// The estate as nodes (per service) and edges, built once for every format.
class Estate {
public:
    explicit Estate(const sema::SemaResult& r) : r_(r) {
        for (const ServiceInfo* s : r.services) {
            for (const EventInfo* e : s->events) {
                add(s->name, e->name, e->isStream() ? NodeKind::Stream : NodeKind::Event, e);
            }
            for (const TableInfo* t : s->tables) {
                add(s->name, t->name, t->isView() ? NodeKind::View : NodeKind::Table, t);
            }
            for (const sema::CommandInfo* c : s->commands) {
                add(s->name, c->name, NodeKind::Command, c);
            }
        }
        for (const ServiceInfo* s : r.services) {
            for (const TableInfo* t : s->tables) {
                if (t->isView()) {
                    query(*s, *t->decl->query, t);
                } else {
                    for (const ast::Handler& h : t->decl->handlers) {
                        link(*s, h.event, t, "on");
                    }
                }
            }
            for (const EventInfo* e : s->events) {
                if (e->isStream()) {
                    query(*s, *e->stream->query, e);
                }
            }
            for (const sema::CommandInfo* c : s->commands) {
                for (const EventInfo* e : c->emits) {
                    edges_.push_back({ids_[c], ids_[e], "emits"});
                }
            }
            for (const sema::ReactionInfo* rc : s->reactions) {
                if (rc->trigger == nullptr) {
                    continue;
                }
                for (const EventInfo* e : rc->emits) {
                    edges_.push_back({ids_[rc->trigger], ids_[e], "on → emits"});
                }
            }
        }
    }

    const std::vector<Node>& nodes() const { return nodes_; }
    const std::vector<Edge>& edges() const { return edges_; }
    const sema::SemaResult& result() const { return r_; }

private:
    void add(const std::string& service, const std::string& name, NodeKind kind, const void* info) {
        std::string id = "n" + std::to_string(nodes_.size());
        ids_[info] = id;
        nodes_.push_back({id, service, name, kind});
    }

    const void* find(const ServiceInfo& s, const ast::QualifiedName& name) const {
        const sema::Symbol* sym = nullptr;
        if (name.parts.size() == 1) {
            sym = s.find(name.parts[0].name);
        } else if (name.parts.size() == 2) {
            auto it = r_.serviceByName.find(name.parts[0].name);
            if (it != r_.serviceByName.end()) {
                sym = it->second->find(name.parts[1].name);
            }
        }
        return sym != nullptr ? sym->info : nullptr;
    }

    void link(const ServiceInfo& s, const ast::QualifiedName& from, const void* to,
              const char* label) {
        const void* src = find(s, from);
        auto a = ids_.find(src);
        auto b = ids_.find(to);
        if (a != ids_.end() && b != ids_.end()) {
            edges_.push_back({a->second, b->second, label});
        }
    }

    void query(const ServiceInfo& s, const ast::Query& q, const void* target) {
        link(s, q.from.name, target, "from");
        for (const ast::JoinClause& j : q.joins) {
            link(s, j.source.name, target, j.left ? "left join" : "join");
        }
    }

    const sema::SemaResult& r_;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
    std::map<const void*, std::string> ids_;
};

std::string mermaidShape(const Node& n) {
    switch (n.kind) {
    case NodeKind::Event:
        return n.id + "([\"" + n.name + "\"])";
    case NodeKind::Stream:
        return n.id + "[/\"" + n.name + "\"/]";
    case NodeKind::Table:
        return n.id + "[(\"" + n.name + "\")]";
    case NodeKind::View:
        return n.id + "[(\"" + n.name + " (view)\")]";
    case NodeKind::Command:
        return n.id + "{{\"" + n.name + "\"}}";
    }
    return n.id;
}

std::string renderMermaid(const Estate& g) {
    std::string out = "flowchart LR\n";
    std::string current;
    for (const Node& n : g.nodes()) {
        if (n.service != current) {
            if (!current.empty()) {
                out += "  end\n";
            }
            current = n.service;
            out += "  subgraph " + n.service + "\n";
        }
        out += "    " + mermaidShape(n) + "\n";
    }
    if (!current.empty()) {
        out += "  end\n";
    }
    for (const Edge& e : g.edges()) {
        out += "  " + e.from + " -->|" + e.label + "| " + e.to + "\n";
    }
    return out;
}

std::string renderDot(const Estate& g) {
    std::string out = "digraph flow {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
    std::string current;
    int cluster = 0;
    for (const Node& n : g.nodes()) {
        if (n.service != current) {
            if (!current.empty()) {
                out += "  }\n";
            }
            current = n.service;
            out += "  subgraph cluster_" + std::to_string(cluster++) + " {\n    label=\"" +
                   n.service + "\";\n";
        }
        std::string shape = n.kind == NodeKind::Event     ? "ellipse"
                            : n.kind == NodeKind::Stream  ? "parallelogram"
                            : n.kind == NodeKind::Command ? "hexagon"
                                                          : "cylinder";
        std::string label = n.kind == NodeKind::View ? n.name + " (view)" : n.name;
        out += "    " + n.id + " [label=\"" + label + "\", shape=" + shape + "];\n";
    }
    if (!current.empty()) {
        out += "  }\n";
    }
    for (const Edge& e : g.edges()) {
        out += "  " + e.from + " -> " + e.to + " [label=\"" + e.label + "\"];\n";
    }
    out += "}\n";
    return out;
}

std::string renderJson(const Estate& g) {
    using nlohmann::ordered_json;
    ordered_json services = ordered_json::array();
    for (const ServiceInfo* s : g.result().services) {
        ordered_json svc;
        svc["name"] = s->name;
        svc["module"] = s->file->moduleName;
        ordered_json events = ordered_json::array(), streams = ordered_json::array();
        for (const EventInfo* e : s->events) {
            ordered_json ev;
            ev["name"] = e->name;
            ev["key"] = e->key() ? e->key()->name : "";
            if (e->isStream()) {
                streams.push_back(ev);
            } else {
                ev["versions"] = ordered_json::array();
                for (const auto& v : e->versions) {
                    ev["versions"].push_back(v->version);
                }
                events.push_back(ev);
            }
        }
        ordered_json tables = ordered_json::array();
        for (const TableInfo* t : s->tables) {
            ordered_json tb;
            tb["name"] = t->name;
            tb["kind"] = t->isView() ? "view" : "fold";
            tb["key"] = t->keyNames;
            tables.push_back(tb);
        }
        ordered_json commands = ordered_json::array();
        for (const sema::CommandInfo* c : s->commands) {
            ordered_json cmd;
            cmd["name"] = c->name;
            cmd["emits"] = ordered_json::array();
            for (const EventInfo* e : c->emits) {
                cmd["emits"].push_back(e->qualifiedName());
            }
            commands.push_back(cmd);
        }
        ordered_json queries = ordered_json::array();
        for (const sema::QueryInfo* q : s->queries) {
            queries.push_back(q->name);
        }
        ordered_json subs = ordered_json::array();
        for (const auto& [name, e] : s->subscriptions) {
            subs.push_back(name);
        }
        svc["events"] = events;
        svc["streams"] = streams;
        svc["tables"] = tables;
        svc["commands"] = commands;
        svc["queries"] = queries;
        svc["subscribes"] = subs;
        services.push_back(svc);
    }
    std::map<std::string, std::string> names;
    for (const Node& n : g.nodes()) {
        names[n.id] = n.service + "." + n.name;
    }
    ordered_json edges = ordered_json::array();
    for (const Edge& e : g.edges()) {
        edges.push_back({{"from", names[e.from]}, {"to", names[e.to]}, {"kind", e.label}});
    }
    ordered_json root;
    root["services"] = services;
    root["edges"] = edges;
    return root.dump(2) + "\n";
}

}  // namespace

std::string renderGraph(const sema::SemaResult& result, GraphFormat format) {
    Estate g(result);
    switch (format) {
    case GraphFormat::Dot:
        return renderDot(g);
    case GraphFormat::Mermaid:
        return renderMermaid(g);
    case GraphFormat::Json:
        return renderJson(g);
    }
    return {};
}

}  // namespace flow::driver
