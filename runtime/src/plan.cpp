// runtime/src/plan.cpp - parsePlan: the compiler's plan JSON, checked before anything
// runs on it.
//
// Reading is strict: every field of plan.h must be present with its JSON type, every
// enum must be one of its names, and then every id must refer to something that exists
// and every layout must follow the ABI (abi.h), so the engine can index and copy without
// checking again. The first problem found is the error, with the path to it
// ("plan: services[1].handlers[0].kernel: kernel 912 does not exist (the plan has 118)").
#include "flow/rt/plan.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

namespace flow::rt::plan {

int Layout::find(std::string_view field) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == field) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

namespace {

using Json = nlohmann::json;

constexpr std::array<const char*, 7> kScalars = {"bool",      "int",      "float", "string",
                                                 "timestamp", "duration", "enum"};
constexpr std::array<const char*, 10> kKernelKinds = {
    "defaults",  "handler", "key",       "reaction", "command",
    "predicate", "project", "queryExpr", "upcast",   "testExpect"};
constexpr std::array<const char*, 2> kSourceKinds = {"event", "table"};
constexpr std::array<const char*, 2> kJoinKinds = {"inner", "left"};
constexpr std::array<const char*, 7> kAggKinds = {"count", "sum",   "min", "max",
                                                  "avg",   "first", "last"};
constexpr std::array<const char*, 4> kWindowKinds = {"none", "tumbling", "hopping", "session"};
constexpr std::array<const char*, 5> kStepKinds = {"given", "when", "expectEmitted", "expect",
                                                   "advance"};
constexpr std::array<const char*, 3> kOutcomes = {"unchecked", "accepted", "rejected"};

std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

std::string member(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
}

/// Reads the JSON into plan structs; the first problem is kept, with its path.
class Reader {
public:
    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

    void fail(const std::string& path, const std::string& what) {
        if (error_.empty()) {
            error_ = (path.empty() ? std::string("plan") : "plan: " + path) + ": " + what;
        }
    }

    /// The member `key` of object `obj`, or null (and an error) if it is missing.
    const Json* field(const Json& obj, const std::string& path, const char* key) {
        if (!ok()) {
            return nullptr;
        }
        if (!obj.is_object()) {
            fail(path, "expected an object");
            return nullptr;
        }
        auto it = obj.find(key);
        if (it == obj.end()) {
            fail(member(path, key), "missing");
            return nullptr;
        }
        return &*it;
    }

    template <typename T>
    void integerValue(const Json& j, const std::string& path, T& out) {
        if (!j.is_number_integer()) {
            fail(path, "expected an integer");
            return;
        }
        bool fits = false;
        if (j.is_number_unsigned()) {
            auto v = j.get<std::uint64_t>();
            fits = v <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
            out = static_cast<T>(v);
        } else {
            auto v = j.get<std::int64_t>();
            fits = v >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                   (v < 0 || static_cast<std::uint64_t>(v) <=
                                 static_cast<std::uint64_t>(std::numeric_limits<T>::max()));
            out = static_cast<T>(v);
        }
        if (!fits) {
            fail(path, "integer out of range");
        }
    }

    template <typename T>
    void integer(const Json& obj, const std::string& path, const char* key, T& out) {
        if (const Json* j = field(obj, path, key)) {
            integerValue(*j, member(path, key), out);
        }
    }

    void boolean(const Json& obj, const std::string& path, const char* key, bool& out) {
        const Json* j = field(obj, path, key);
        if (j == nullptr) {
            return;
        }
        if (!j->is_boolean()) {
            fail(member(path, key), "expected true or false");
            return;
        }
        out = j->get<bool>();
    }

    void string(const Json& obj, const std::string& path, const char* key, std::string& out) {
        const Json* j = field(obj, path, key);
        if (j == nullptr) {
            return;
        }
        if (!j->is_string()) {
            fail(member(path, key), "expected a string");
            return;
        }
        out = j->get<std::string>();
    }

    template <typename E, std::size_t N>
    void enumeration(const Json& obj, const std::string& path, const char* key,
                     const std::array<const char*, N>& names, E& out) {
        std::string name;
        string(obj, path, key, name);
        if (!ok()) {
            return;
        }
        for (std::size_t i = 0; i < N; ++i) {
            if (name == names[i]) {
                out = static_cast<E>(i);
                return;
            }
        }
        fail(member(path, key), "unknown value '" + name + "'");
    }

    /// Calls `each(element, path)` for every element of the array `obj[key]`.
    template <typename F>
    void array(const Json& obj, const std::string& path, const char* key, F each) {
        const Json* j = field(obj, path, key);
        if (j == nullptr) {
            return;
        }
        std::string p = member(path, key);
        if (!j->is_array()) {
            fail(p, "expected an array");
            return;
        }
        for (std::size_t i = 0; i < j->size() && ok(); ++i) {
            each((*j)[i], index(p, i));
        }
    }

    void ids(const Json& obj, const std::string& path, const char* key,
             std::vector<std::int32_t>& out) {
        array(obj, path, key, [&](const Json& e, const std::string& p) {
            std::int32_t v = -1;
            integerValue(e, p, v);
            out.push_back(v);
        });
    }

    void strings(const Json& obj, const std::string& path, const char* key,
                 std::vector<std::string>& out) {
        array(obj, path, key, [&](const Json& e, const std::string& p) {
            if (!e.is_string()) {
                fail(p, "expected a string");
                return;
            }
            out.push_back(e.get<std::string>());
        });
    }

    // ---- The structs, in plan.h's order -------------------------------------------------

    void type(const Json& obj, const std::string& path, const char* key, Type& t) {
        const Json* j = field(obj, path, key);
        if (j == nullptr) {
            return;
        }
        std::string p = member(path, key);
        boolean(*j, p, "row", t.row);
        enumeration(*j, p, "scalar", kScalars, t.scalar);
        boolean(*j, p, "optional", t.optional);
        integer(*j, p, "enumId", t.enumId);
        integer(*j, p, "layout", t.layout);
    }

    void layout(const Json& j, const std::string& p, Layout& l) {
        integer(j, p, "id", l.id);
        string(j, p, "name", l.name);
        array(j, p, "fields", [&](const Json& e, const std::string& fp) {
            Field f;
            string(e, fp, "name", f.name);
            type(e, fp, "type", f.type);
            integer(e, fp, "offset", f.offset);
            if (e.is_object() && e.contains("hasDefault")) {
                boolean(e, fp, "hasDefault", f.hasDefault);
            }
            l.fields.push_back(std::move(f));
        });
        integer(j, p, "size", l.size);
    }

    void enumDecl(const Json& j, const std::string& p, Enum& e) {
        string(j, p, "name", e.name);
        strings(j, p, "values", e.values);
    }

    void kernel(const Json& j, const std::string& p, Kernel& k) {
        integer(j, p, "id", k.id);
        string(j, p, "name", k.name);
        enumeration(j, p, "kind", kKernelKinds, k.kind);
        array(j, p, "args", [&](const Json& e, const std::string& ap) {
            KernelArg a;
            string(e, ap, "name", a.name);
            integer(e, ap, "layout", a.layout);
            boolean(e, ap, "envelope", a.envelope);
            boolean(e, ap, "writable", a.writable);
            boolean(e, ap, "optional", a.optional);
            k.args.push_back(std::move(a));
        });
        boolean(j, p, "pure", k.pure);
        boolean(j, p, "ids", k.ids);
        string(j, p, "origin", k.origin);
        if (ok() && j.contains("copies")) {
            array(j, p, "copies", [&](const Json& e, const std::string& cp) {
                if (!e.is_array() || e.size() != 3) {
                    fail(cp, "expected [out, arg, field]");
                    return;
                }
                FieldCopy c;
                integerValue(e[0], index(cp, 0), c.out);
                integerValue(e[1], index(cp, 1), c.arg);
                integerValue(e[2], index(cp, 2), c.field);
                k.copies.push_back(c);
            });
        }
    }

    void site(const Json& j, const std::string& p, Site& s) {
        string(j, p, "service", s.service);
        string(j, p, "where", s.where);
        string(j, p, "file", s.file);
        integer(j, p, "line", s.line);
    }

    void event(const Json& j, const std::string& p, Event& e) {
        integer(j, p, "id", e.id);
        integer(j, p, "service", e.service);
        string(j, p, "name", e.name);
        boolean(j, p, "stream", e.stream);
        array(j, p, "versions", [&](const Json& v, const std::string& vp) {
            EventVersion ev;
            integer(v, vp, "version", ev.version);
            integer(v, vp, "layout", ev.layout);
            integer(v, vp, "upcast", ev.upcast);
            integer(v, vp, "defaults", ev.defaults);
            e.versions.push_back(ev);
        });
        integer(j, p, "keyField", e.keyField);
        integer(j, p, "keyLayout", e.keyLayout);
    }

    void table(const Json& j, const std::string& p, Table& t) {
        integer(j, p, "id", t.id);
        integer(j, p, "service", t.service);
        string(j, p, "name", t.name);
        boolean(j, p, "view", t.view);
        boolean(j, p, "windowed", t.windowed);
        integer(j, p, "keyLayout", t.keyLayout);
        integer(j, p, "rowLayout", t.rowLayout);
        ids(j, p, "keyInRow", t.keyInRow);
        integer(j, p, "defaults", t.defaults);
    }

    void command(const Json& j, const std::string& p, Command& c) {
        integer(j, p, "id", c.id);
        integer(j, p, "service", c.service);
        string(j, p, "name", c.name);
        integer(j, p, "params", c.params);
        integer(j, p, "kernel", c.kernel);
    }

    void query(const Json& j, const std::string& p, Query& q) {
        integer(j, p, "id", q.id);
        integer(j, p, "service", q.service);
        string(j, p, "name", q.name);
        integer(j, p, "params", q.params);
        integer(j, p, "kernel", q.kernel);
        integer(j, p, "result", q.result);
        type(j, p, "resultType", q.resultType);
        integer(j, p, "table", q.table);
        integer(j, p, "where", q.where);
        integer(j, p, "orderBy", q.orderBy);
        boolean(j, p, "descending", q.descending);
        integer(j, p, "limit", q.limit);
        integer(j, p, "project", q.project);
        integer(j, p, "rowLayout", q.rowLayout);
    }

    void source(const Json& obj, const std::string& path, const char* key, Source& s) {
        const Json* j = field(obj, path, key);
        if (j != nullptr) {
            sourceFields(*j, member(path, key), s);
        }
    }

    void sourceFields(const Json& j, const std::string& p, Source& s) {
        enumeration(j, p, "kind", kSourceKinds, s.kind);
        integer(j, p, "id", s.id);
        string(j, p, "alias", s.alias);
    }

    void derived(const Json& j, const std::string& p, Derived& d) {
        boolean(j, p, "stream", d.stream);
        integer(j, p, "target", d.target);
        integer(j, p, "service", d.service);
        array(j, p, "sources", [&](const Json& e, const std::string& sp) {
            Source s;
            sourceFields(e, sp, s);
            d.sources.push_back(std::move(s));
        });
        array(j, p, "joins", [&](const Json& e, const std::string& jp) {
            Join jn;
            enumeration(e, jp, "kind", kJoinKinds, jn.kind);
            source(e, jp, "source", jn.source);
            integer(e, jp, "withinMicros", jn.withinMicros);
            integer(e, jp, "keyLayout", jn.keyLayout);
            integer(e, jp, "leftKey", jn.leftKey);
            integer(e, jp, "rightKey", jn.rightKey);
            d.joins.push_back(std::move(jn));
        });
        integer(j, p, "where", d.where);
        enumeration(j, p, "window", kWindowKinds, d.window);
        integer(j, p, "sizeMicros", d.sizeMicros);
        integer(j, p, "everyMicros", d.everyMicros);
        integer(j, p, "graceMicros", d.graceMicros);
        integer(j, p, "groupKey", d.groupKey);
        integer(j, p, "aggArgs", d.aggArgs);
        integer(j, p, "aggArgsLayout", d.aggArgsLayout);
        array(j, p, "aggregates", [&](const Json& e, const std::string& ap) {
            Aggregate a;
            enumeration(e, ap, "kind", kAggKinds, a.kind);
            type(e, ap, "type", a.type);
            integer(e, ap, "argField", a.argField);
            d.aggregates.push_back(a);
        });
        integer(j, p, "project", d.project);
        integer(j, p, "aggLayout", d.aggLayout);
        integer(j, p, "site", d.site);
    }

    void service(const Json& j, const std::string& p, Service& s) {
        integer(j, p, "id", s.id);
        string(j, p, "name", s.name);
        string(j, p, "module", s.module);
        ids(j, p, "events", s.events);
        ids(j, p, "tables", s.tables);
        array(j, p, "handlers", [&](const Json& e, const std::string& hp) {
            Handler h;
            integer(e, hp, "table", h.table);
            integer(e, hp, "event", h.event);
            integer(e, hp, "key", h.key);
            integer(e, hp, "kernel", h.kernel);
            s.handlers.push_back(h);
        });
        array(j, p, "reactions", [&](const Json& e, const std::string& rp) {
            Reaction r;
            integer(e, rp, "event", r.event);
            integer(e, rp, "kernel", r.kernel);
            s.reactions.push_back(r);
        });
        array(j, p, "derived", [&](const Json& e, const std::string& dp) {
            Derived d;
            derived(e, dp, d);
            s.derived.push_back(std::move(d));
        });
        ids(j, p, "commands", s.commands);
        ids(j, p, "queries", s.queries);
        ids(j, p, "consumes", s.consumes);
    }

    void test(const Json& j, const std::string& p, Test& t) {
        string(j, p, "name", t.name);
        string(j, p, "file", t.file);
        integer(j, p, "line", t.line);
        array(j, p, "steps", [&](const Json& e, const std::string& sp) {
            TestStep s;
            enumeration(e, sp, "kind", kStepKinds, s.kind);
            integer(e, sp, "line", s.line);
            string(e, sp, "text", s.text);
            integer(e, sp, "event", s.event);
            integer(e, sp, "version", s.version);
            integer(e, sp, "command", s.command);
            integer(e, sp, "row", s.row);
            boolean(e, sp, "hasAt", s.hasAt);
            integer(e, sp, "atMicros", s.atMicros);
            enumeration(e, sp, "outcome", kOutcomes, s.outcome);
            boolean(e, sp, "hasReason", s.hasReason);
            string(e, sp, "reason", s.reason);
            integer(e, sp, "match", s.match);
            integer(e, sp, "count", s.count);
            integer(e, sp, "expect", s.expect);
            integer(e, sp, "advanceMicros", s.advanceMicros);
            t.steps.push_back(std::move(s));
        });
    }

    void program(const Json& j, Program& out) {
        if (!j.is_object()) {
            fail("", "expected a JSON object");
            return;
        }
        std::string format;
        string(j, "", "format", format);
        if (ok() && format != "flow-plan") {
            fail("format", "expected 'flow-plan', found '" + format + "'");
        }
        int version = 0;
        integer(j, "", "version", version);
        if (ok() && version != kPlanVersion) {
            fail("version", "this runtime reads version " + std::to_string(kPlanVersion) +
                                ", the plan is version " + std::to_string(version) +
                                " (rebuild the program with a matching flowc)");
        }
        string(j, "", "source", out.source);
        list(j, "layouts", out.layouts, &Reader::layout);
        list(j, "enums", out.enums, &Reader::enumDecl);
        list(j, "events", out.events, &Reader::event);
        list(j, "tables", out.tables, &Reader::table);
        list(j, "commands", out.commands, &Reader::command);
        list(j, "queries", out.queries, &Reader::query);
        list(j, "services", out.services, &Reader::service);
        list(j, "kernels", out.kernels, &Reader::kernel);
        list(j, "sites", out.sites, &Reader::site);
        list(j, "tests", out.tests, &Reader::test);
    }

private:
    template <typename T>
    void list(const Json& j, const char* key, std::vector<T>& out,
              void (Reader::*read)(const Json&, const std::string&, T&)) {
        array(j, "", key, [&](const Json& e, const std::string& p) {
            T item;
            (this->*read)(e, p, item);
            out.push_back(std::move(item));
        });
    }

    std::string error_;
};

// ---- Cross references and layouts -------------------------------------------------------

std::uint32_t roundUp(std::uint32_t n, std::uint32_t a) {
    return (n + a - 1) / a * a;
}

/// Checks what the reader cannot: ids in range, layouts as the ABI lays them out.
class Validator {
public:
    explicit Validator(const Program& p) : p_(p) {}

    std::string run() {
        for (std::size_t i = 0; i < p_.layouts.size() && ok(); ++i) {
            layout(p_.layouts[i], index("layouts", i), i);
        }
        for (std::size_t i = 0; i < p_.kernels.size() && ok(); ++i) {
            kernel(p_.kernels[i], index("kernels", i), i);
        }
        for (std::size_t i = 0; i < p_.events.size() && ok(); ++i) {
            event(p_.events[i], index("events", i), i);
        }
        for (std::size_t i = 0; i < p_.tables.size() && ok(); ++i) {
            table(p_.tables[i], index("tables", i), i);
        }
        for (std::size_t i = 0; i < p_.commands.size() && ok(); ++i) {
            const Command& c = p_.commands[i];
            std::string p = index("commands", i);
            selfId(c.id, p, i);
            ref(c.service, p_.services.size(), "service", member(p, "service"), false);
            ref(c.params, p_.layouts.size(), "layout", member(p, "params"), false);
            ref(c.kernel, p_.kernels.size(), "kernel", member(p, "kernel"), false);
        }
        for (std::size_t i = 0; i < p_.queries.size() && ok(); ++i) {
            query(p_.queries[i], index("queries", i), i);
        }
        for (std::size_t i = 0; i < p_.services.size() && ok(); ++i) {
            service(p_.services[i], index("services", i), i);
        }
        for (std::size_t i = 0; i < p_.tests.size() && ok(); ++i) {
            test(p_.tests[i], index("tests", i));
        }
        return error_;
    }

private:
    bool ok() const { return error_.empty(); }

    void fail(const std::string& path, const std::string& what) {
        if (error_.empty()) {
            error_ = "plan: " + path + ": " + what;
        }
    }

    void selfId(std::int32_t id, const std::string& path, std::size_t i) {
        if (id < 0 || static_cast<std::size_t>(id) != i) {
            fail(member(path, "id"), "expected " + std::to_string(i) + ", found " +
                                         std::to_string(id) + " (ids are positions)");
        }
    }

    /// `id` names one of `count` things of `what`; -1 ("none") is allowed if `optional`.
    void ref(std::int32_t id, std::size_t count, const char* what, const std::string& path,
             bool optional) {
        if (optional && id == -1) {
            return;
        }
        if (id < 0 || static_cast<std::size_t>(id) >= count) {
            fail(path, std::string(what) + " " + std::to_string(id) +
                           " does not exist (the plan has " + std::to_string(count) + ")");
        }
    }

    void kernelRef(std::int32_t id, const std::string& path, bool optional) {
        ref(id, p_.kernels.size(), "kernel", path, optional);
    }
    void layoutRef(std::int32_t id, const std::string& path, bool optional) {
        ref(id, p_.layouts.size(), "layout", path, optional);
    }

    void type(const Type& t, const std::string& path) {
        if (t.row) {
            layoutRef(t.layout, member(path, "layout"), false);
        } else if (t.scalar == Scalar::Enum) {
            ref(t.enumId, p_.enums.size(), "enum", member(path, "enumId"), false);
        }
    }

    void layout(const Layout& l, const std::string& path, std::size_t i) {
        selfId(l.id, path, i);
        std::uint32_t offset = 0;
        for (std::size_t f = 0; f < l.fields.size() && ok(); ++f) {
            const Field& field = l.fields[f];
            std::string fp = index(member(path, "fields"), f);
            if (field.type.row) {
                fail(member(fp, "type"), "a row field must have a scalar type");
                return;
            }
            type(field.type, member(fp, "type"));
            std::uint32_t align = field.type.scalar == Scalar::Bool ? 1 : 8;
            std::uint32_t size = field.type.scalar == Scalar::Bool     ? 1
                                 : field.type.scalar == Scalar::String ? 16
                                                                       : 8;
            if (field.type.optional) {
                size += roundUp(1, align);
            }
            offset = roundUp(offset, align);
            if (field.offset != offset) {
                fail(member(fp, "offset"), "expected " + std::to_string(offset) + ", found " +
                                               std::to_string(field.offset) +
                                               " (the ABI's layout, abi.h)");
                return;
            }
            offset += size;
        }
        std::uint32_t size = roundUp(offset == 0 ? 8 : offset, 8);
        if (ok() && l.size != size) {
            fail(member(path, "size"), "expected " + std::to_string(size) + ", found " +
                                           std::to_string(l.size) + " (the ABI's layout, abi.h)");
        }
    }

    void kernel(const Kernel& k, const std::string& path, std::size_t i) {
        selfId(k.id, path, i);
        if (ok() && k.name.empty()) {
            fail(member(path, "name"), "empty");
        }
        for (std::size_t a = 0; a < k.args.size() && ok(); ++a) {
            const KernelArg& arg = k.args[a];
            std::string ap = index(member(path, "args"), a);
            if (arg.envelope) {
                if (arg.layout != -1 || arg.writable) {
                    fail(ap, "an envelope argument has no layout and is read-only");
                }
                continue;
            }
            layoutRef(arg.layout, member(ap, "layout"), false);
        }
        copies(k, member(path, "copies"));
    }

    /// A copy kernel's fields: in range, from a read-only row into its one writable row,
    /// each output field once, between fields of the same scalar type (the runtime copies
    /// their bytes).
    void copies(const Kernel& k, const std::string& path) {
        if (!ok() || k.copies.empty()) {
            return;
        }
        std::int32_t out = -1;
        for (std::size_t a = 0; a < k.args.size(); ++a) {
            if (k.args[a].writable) {
                if (out >= 0) {
                    fail(path, "a copy kernel has one writable argument");
                    return;
                }
                out = static_cast<std::int32_t>(a);
            }
        }
        if (out < 0) {
            fail(path, "a copy kernel has a writable argument");
            return;
        }
        const Layout& to =
            p_.layouts[static_cast<std::size_t>(k.args[static_cast<std::size_t>(out)].layout)];
        std::vector<bool> set(to.fields.size(), false);
        for (std::size_t i = 0; i < k.copies.size() && ok(); ++i) {
            const FieldCopy& c = k.copies[i];
            std::string cp = index(path, i);
            if (c.arg < 0 || static_cast<std::size_t>(c.arg) >= k.args.size() ||
                k.args[static_cast<std::size_t>(c.arg)].envelope ||
                k.args[static_cast<std::size_t>(c.arg)].writable) {
                fail(cp, "expected a read-only row argument");
                return;
            }
            const Layout& from = p_.layouts[static_cast<std::size_t>(
                k.args[static_cast<std::size_t>(c.arg)].layout)];
            if (c.out < 0 || static_cast<std::size_t>(c.out) >= to.fields.size() || c.field < 0 ||
                static_cast<std::size_t>(c.field) >= from.fields.size()) {
                fail(cp, "field out of range");
                return;
            }
            const Type& a = to.fields[static_cast<std::size_t>(c.out)].type;
            const Type& b = from.fields[static_cast<std::size_t>(c.field)].type;
            if (a.row || b.row || a.scalar != b.scalar || a.optional != b.optional ||
                a.enumId != b.enumId) {
                fail(cp, "the fields' types differ");
                return;
            }
            if (set[static_cast<std::size_t>(c.out)]) {
                fail(cp, "an output field copied twice");
                return;
            }
            set[static_cast<std::size_t>(c.out)] = true;
        }
    }

    void event(const Event& e, const std::string& path, std::size_t i) {
        selfId(e.id, path, i);
        ref(e.service, p_.services.size(), "service", member(path, "service"), false);
        if (ok() && e.versions.empty()) {
            fail(member(path, "versions"), "an event has at least one version");
        }
        for (std::size_t v = 0; v < e.versions.size() && ok(); ++v) {
            const EventVersion& ev = e.versions[v];
            std::string vp = index(member(path, "versions"), v);
            layoutRef(ev.layout, member(vp, "layout"), false);
            kernelRef(ev.upcast, member(vp, "upcast"), true);
            kernelRef(ev.defaults, member(vp, "defaults"), true);
            if (ok() && v > 0 && ev.version <= e.versions[v - 1].version) {
                fail(member(vp, "version"), "versions must ascend");
            }
        }
        if (!ok()) {
            return;
        }
        const Layout& last = p_.layouts[static_cast<std::size_t>(e.versions.back().layout)];
        ref(e.keyField, last.fields.size(), "field", member(path, "keyField"), true);
        layoutRef(e.keyLayout, member(path, "keyLayout"), true);
    }

    void table(const Table& t, const std::string& path, std::size_t i) {
        selfId(t.id, path, i);
        ref(t.service, p_.services.size(), "service", member(path, "service"), false);
        layoutRef(t.keyLayout, member(path, "keyLayout"), false);
        layoutRef(t.rowLayout, member(path, "rowLayout"), false);
        kernelRef(t.defaults, member(path, "defaults"), true);
        if (!ok()) {
            return;
        }
        const Layout& key = p_.layouts[static_cast<std::size_t>(t.keyLayout)];
        const Layout& row = p_.layouts[static_cast<std::size_t>(t.rowLayout)];
        if (t.keyInRow.size() != key.fields.size()) {
            fail(member(path, "keyInRow"), "expected one entry per key field (" +
                                               std::to_string(key.fields.size()) + "), found " +
                                               std::to_string(t.keyInRow.size()));
            return;
        }
        for (std::size_t k = 0; k < t.keyInRow.size() && ok(); ++k) {
            ref(t.keyInRow[k], row.fields.size(), "field", index(member(path, "keyInRow"), k),
                true);
        }
    }

    void query(const Query& q, const std::string& path, std::size_t i) {
        selfId(q.id, path, i);
        ref(q.service, p_.services.size(), "service", member(path, "service"), false);
        layoutRef(q.params, member(path, "params"), false);
        kernelRef(q.kernel, member(path, "kernel"), true);
        layoutRef(q.result, member(path, "result"), true);
        type(q.resultType, member(path, "resultType"));
        ref(q.table, p_.tables.size(), "table", member(path, "table"), true);
        kernelRef(q.where, member(path, "where"), true);
        kernelRef(q.orderBy, member(path, "orderBy"), true);
        kernelRef(q.limit, member(path, "limit"), true);
        kernelRef(q.project, member(path, "project"), true);
        layoutRef(q.rowLayout, member(path, "rowLayout"), true);
        if (ok() && (q.kernel == -1) == (q.table == -1)) {
            fail(path, "a query has either a kernel or a table to scan");
        }
        if (ok() && q.kernel != -1 && q.result == -1) {
            fail(member(path, "result"), "a query with a kernel needs a result layout");
        }
    }

    void source(const Source& s, const std::string& path) {
        if (s.kind == SourceKind::Event) {
            ref(s.id, p_.events.size(), "event", member(path, "id"), false);
        } else {
            ref(s.id, p_.tables.size(), "table", member(path, "id"), false);
        }
    }

    void derived(const Derived& d, const std::string& path) {
        if (d.stream) {
            ref(d.target, p_.events.size(), "event", member(path, "target"), false);
        } else {
            ref(d.target, p_.tables.size(), "table", member(path, "target"), false);
        }
        ref(d.service, p_.services.size(), "service", member(path, "service"), false);
        if (ok() && d.sources.empty()) {
            fail(member(path, "sources"), "a derived stream or table reads at least one source");
        }
        for (std::size_t s = 0; s < d.sources.size() && ok(); ++s) {
            source(d.sources[s], index(member(path, "sources"), s));
        }
        if (ok() && d.joins.size() + 1 != d.sources.size()) {
            fail(member(path, "joins"), "expected one join per source after the first");
        }
        for (std::size_t j = 0; j < d.joins.size() && ok(); ++j) {
            const Join& join = d.joins[j];
            std::string jp = index(member(path, "joins"), j);
            source(join.source, member(jp, "source"));
            layoutRef(join.keyLayout, member(jp, "keyLayout"), true);
            kernelRef(join.leftKey, member(jp, "leftKey"), true);
            kernelRef(join.rightKey, member(jp, "rightKey"), true);
        }
        kernelRef(d.where, member(path, "where"), true);
        if (ok() && d.window != WindowKind::None) {
            if (d.sizeMicros <= 0) {
                fail(member(path, "sizeMicros"), "a window has a positive size");
            } else if (d.window == WindowKind::Hopping && d.everyMicros <= 0) {
                fail(member(path, "everyMicros"), "a hopping window has a positive step");
            } else if (d.graceMicros < 0) {
                fail(member(path, "graceMicros"), "a window's grace is not negative");
            }
        }
        kernelRef(d.groupKey, member(path, "groupKey"), true);
        kernelRef(d.aggArgs, member(path, "aggArgs"), true);
        layoutRef(d.aggArgsLayout, member(path, "aggArgsLayout"), true);
        for (std::size_t a = 0; a < d.aggregates.size() && ok(); ++a) {
            const Aggregate& agg = d.aggregates[a];
            std::string ap = index(member(path, "aggregates"), a);
            type(agg.type, member(ap, "type"));
            if (!ok() || agg.argField == -1) {
                continue;
            }
            if (d.aggArgsLayout == -1) {
                fail(member(ap, "argField"), "an aggregate argument without an argument layout");
                continue;
            }
            const Layout& args = p_.layouts[static_cast<std::size_t>(d.aggArgsLayout)];
            ref(agg.argField, args.fields.size(), "field", member(ap, "argField"), false);
        }
        kernelRef(d.project, member(path, "project"), false);
        layoutRef(d.aggLayout, member(path, "aggLayout"), true);
        ref(d.site, p_.sites.size(), "site", member(path, "site"), true);
    }

    void service(const Service& s, const std::string& path, std::size_t i) {
        selfId(s.id, path, i);
        auto each = [&](const std::vector<std::int32_t>& v, const char* key, std::size_t count,
                        const char* what) {
            for (std::size_t k = 0; k < v.size() && ok(); ++k) {
                ref(v[k], count, what, index(member(path, key), k), false);
            }
        };
        each(s.events, "events", p_.events.size(), "event");
        each(s.tables, "tables", p_.tables.size(), "table");
        each(s.commands, "commands", p_.commands.size(), "command");
        each(s.queries, "queries", p_.queries.size(), "query");
        each(s.consumes, "consumes", p_.events.size(), "event");
        for (std::size_t h = 0; h < s.handlers.size() && ok(); ++h) {
            const Handler& hd = s.handlers[h];
            std::string hp = index(member(path, "handlers"), h);
            ref(hd.table, p_.tables.size(), "table", member(hp, "table"), false);
            ref(hd.event, p_.events.size(), "event", member(hp, "event"), false);
            kernelRef(hd.key, member(hp, "key"), true);
            kernelRef(hd.kernel, member(hp, "kernel"), false);
        }
        for (std::size_t r = 0; r < s.reactions.size() && ok(); ++r) {
            const Reaction& re = s.reactions[r];
            std::string rp = index(member(path, "reactions"), r);
            ref(re.event, p_.events.size(), "event", member(rp, "event"), false);
            kernelRef(re.kernel, member(rp, "kernel"), false);
        }
        for (std::size_t d = 0; d < s.derived.size() && ok(); ++d) {
            derived(s.derived[d], index(member(path, "derived"), d));
        }
    }

    void test(const Test& t, const std::string& path) {
        for (std::size_t i = 0; i < t.steps.size() && ok(); ++i) {
            const TestStep& s = t.steps[i];
            std::string sp = index(member(path, "steps"), i);
            ref(s.event, p_.events.size(), "event", member(sp, "event"), true);
            ref(s.command, p_.commands.size(), "command", member(sp, "command"), true);
            kernelRef(s.row, member(sp, "row"), true);
            kernelRef(s.match, member(sp, "match"), true);
            kernelRef(s.expect, member(sp, "expect"), true);
            if (ok() && s.version != -1) {
                if (s.event == -1) {
                    fail(member(sp, "version"), "a version without an event");
                } else {
                    ref(s.version, p_.events[static_cast<std::size_t>(s.event)].versions.size(),
                        "version", member(sp, "version"), false);
                }
            }
        }
    }

    const Program& p_;
    std::string error_;
};

}  // namespace

Result<Program> parsePlan(std::string_view json) {
    Json j;
    try {
        j = Json::parse(json.begin(), json.end());
    } catch (const Json::exception& e) {
        return Status::invalid(std::string("plan: not valid JSON: ") + e.what());
    }
    Program program;
    Reader reader;
    reader.program(j, program);
    if (!reader.ok()) {
        return Status::invalid(reader.error());
    }
    std::string problem = Validator(program).run();
    if (!problem.empty()) {
        return Status::invalid(problem);
    }
    return program;
}

}  // namespace flow::rt::plan
