// runtime/src/engine/host.cpp - `EXE test|run|dump|trace`: the command line of a compiled
// program (DESIGN.md "Command line"), shared by generated executables and flowc.
#include "flow/rt/host.h"

#include "flow/rt/engine.h"
#include "flow/rt/json_edge.h"
#include "test_runner.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

namespace flow::rt {

namespace {

struct RunOptions {
    std::string dataDir;
    std::vector<std::string> inputs;
    std::string onBadInput = "skip";
    std::string onError = "skip";
    std::string fsync = "batch";
    std::string store = "memory";
    bool salvage = false;
};

EngineOptions engineOptions(const RunOptions& o) {
    EngineOptions e;
    e.dataDir = o.dataDir;
    parseFsyncPolicy(o.fsync, e.fsync);
    e.store = o.store;
    e.onError = o.onError == "stop" ? OnError::Stop : OnError::Skip;
    e.salvage = o.salvage;
    e.recordInputs = false;  // nothing here reads them back from emitted()
    return e;
}

void printErrors(const Engine& engine, std::size_t from) {
    for (std::size_t i = from; i < engine.errors().size(); ++i) {
        std::cerr << "error: " << engine.errors()[i].message << "\n";
    }
}

int cmdTest(const plan::Program& p, const FlowKernelFn* kernels, const std::string& filter) {
    TestSummary s = runTests(p, kernels, filter, std::cout);
    return s.failed == 0 ? 0 : 1;
}

std::int32_t findTable(const plan::Program& p, const std::string& name) {
    for (const plan::Table& t : p.tables) {
        std::string shortName = t.name.substr(t.name.find('.') + 1);
        if (t.name == name || shortName == name) {
            return t.id;
        }
    }
    return -1;
}

/// Rows of the tables `ids` (every table if empty) as JSON lines sorted by key.
void printTables(const plan::Program& p, Engine& engine, std::vector<std::int32_t> ids) {
    if (ids.empty()) {
        for (const plan::Table& t : p.tables) {
            ids.push_back(t.id);
        }
    }
    for (std::int32_t id : ids) {
        const plan::Table& t = p.tables[static_cast<std::size_t>(id)];
        for (const auto& [key, row] : engine.rows(id)) {
            nlohmann::ordered_json j;
            j["table"] = t.name;
            // The table's key names (a grouped table keeps rows by its group key, whose
            // fields are the same but unnamed).
            const plan::Layout& keyLayout = p.layouts[static_cast<std::size_t>(t.keyLayout)];
            const bool sameShape = keyLayout.size == key.layout()->size &&
                                   keyLayout.fields.size() == key.layout()->fields.size();
            j["key"] = rowToJson(p, sameShape ? keyLayout : *key.layout(), key.data());
            j["row"] = rowToJson(p, *row.layout(), row.data());
            std::cout << j.dump() << "\n";
        }
    }
}

/// Appends the input lines (validated at the JSON edge), then processes until idle.
int cmdRun(const plan::Program& p, const FlowKernelFn* kernels, const RunOptions& o) {
    Engine engine(p, kernels, engineOptions(o));
    Status st = engine.open();
    if (!st) {
        std::cerr << "error: " << st.toString() << "\n";
        return 1;
    }
    printErrors(engine, 0);
    std::size_t reported = engine.errors().size();
    JsonEdge edge(
        p, [&engine](std::int32_t kernel, void** args) { return engine.callKernel(kernel, args); });
    std::uint64_t good = 0, bad = 0, duplicates = 0, commands = 0, refused = 0;
    for (const std::string& path : o.inputs) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::cerr << "error: cannot open input '" << path << "'\n";
            return 1;
        }
        std::string line;
        std::uint64_t lineNo = 0;
        while (std::getline(in, line)) {
            ++lineNo;
            if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) {
                continue;
            }
            auto ev = edge.parse(line);
            if (!ev) {
                ++bad;
                std::cerr << path << ":" << lineNo << ": bad input: " << ev.status().message()
                          << "\n";
                if (o.onBadInput == "fail") {
                    std::cerr
                        << "error: stopping at the first bad input line (--on-bad-input=fail)\n";
                    return 1;
                }
                continue;
            }
            // An input line's id is its content and position, unless it gives one: running the
            // same input again appends nothing twice.
            EventId id =
                ev->id ? *ev->id : requestId(path + ":" + std::to_string(lineNo) + ":" + line);
            if (ev->command >= 0) {
                // A command sees every earlier line's effects, then runs at its time.
                st = engine.runUntilIdle();
                printErrors(engine, reported);
                reported = engine.errors().size();
                if (!st) {
                    std::cerr << "error: " << st.toString() << "\n";
                    return 1;
                }
                if (ev->time && *ev->time > engine.clock()) {
                    engine.setClock(*ev->time);
                }
                CommandResult r = engine.command(ev->command, ev->row, id);
                engine.clearEmitted();
                ++commands;
                if (r.duplicate) {
                    ++duplicates;
                } else if (!r.accepted) {
                    ++refused;
                    std::cerr << path << ":" << lineNo << ": command "
                              << p.commands[static_cast<std::size_t>(ev->command)].name
                              << (r.failed ? " failed: " : " rejected: ") << r.reason << "\n";
                }
                // A failed command's error is its reason, printed above: not again.
                reported = engine.errors().size();
                continue;
            }
            // As in a test (LANGUAGE.md §5): a line's time moves the clock forward, and a
            // line without one is stamped with the clock.
            if (ev->time && *ev->time > engine.clock()) {
                engine.setClock(*ev->time);
            }
            auto appended = engine.ingest(ev->event, ev->version, std::move(ev->row), ev->time, id);
            if (!appended) {
                std::cerr << "error: " << appended.status().toString() << "\n";
                return 1;
            }
            *appended ? ++good : ++duplicates;
            // Each line is processed to the end before the next is appended: an event it
            // causes must not queue behind later input in its log, or a run would compute
            // something else than a test block with the same events (waves follow log
            // order).
            st = engine.runUntilIdle();
            engine.clearEmitted();  // kept for tests and commands only
            printErrors(engine, reported);
            reported = engine.errors().size();
            if (!st) {
                std::cerr << "error: " << st.toString() << "\n";
                return 1;
            }
        }
    }
    st = engine.runUntilIdle();
    printErrors(engine, reported);
    if (st && !o.dataDir.empty()) {
        st = engine.checkpoint();
    }
    if (!st) {
        std::cerr << "error: " << st.toString() << "\n";
        return 1;
    }
    if (o.dataDir.empty()) {
        printTables(p, engine, {});  // nothing was kept: show what the input built
    }
    std::cerr << "ingested " << good << " events (" << bad << " bad lines) and " << commands
              << " commands (" << refused << " rejected or failed); " << duplicates
              << " lines already in the logs; " << engine.eventsProcessed() << " events processed; "
              << engine.eventsFailed() << " failed; " << engine.lateEvents() << " late events\n";
    return bad > 0 && o.onBadInput == "fail" ? 1 : 0;
}

/// Every table (or the named ones) as JSON lines sorted by key.
int cmdDump(const plan::Program& p, const FlowKernelFn* kernels, const RunOptions& o,
            const std::vector<std::string>& names, bool events) {
    Engine engine(p, kernels, engineOptions(o));
    Status st = engine.open();
    if (st && events) {
        // Every stored event as an output line, log by log.
        std::vector<EventRecord> all;
        st = engine.allEvents(all);
        for (const EventRecord& e : all) {
            const plan::Event& def = p.events[static_cast<std::size_t>(e.type)];
            std::cout << eventToJson(p, e.type, static_cast<std::int32_t>(def.versions.size()) - 1,
                                     e.envelope, e.row.data())
                      << "\n";
        }
        if (st) {
            return 0;
        }
    }
    if (st) {
        st = engine.runUntilIdle();  // state after the last checkpoint is rebuilt by replay
    }
    if (!st) {
        std::cerr << "error: " << st.toString() << "\n";
        return 1;
    }
    std::vector<std::int32_t> ids;
    for (const std::string& n : names) {
        std::int32_t id = findTable(p, n);
        if (id < 0) {
            std::cerr << "error: no table '" << n << "'\n";
            return 1;
        }
        ids.push_back(id);
    }
    printTables(p, engine, ids);
    return 0;
}

/// The key of an event as text: a string key as it is, any other as its JSON.
std::string keyText(const plan::Program& p, const EventRecord& e) {
    const plan::Event& def = p.events[static_cast<std::size_t>(e.type)];
    if (def.keyField < 0) {
        return "";
    }
    const plan::Layout& l = *e.row.layout();
    nlohmann::ordered_json row = rowToJson(p, l, e.row.data());
    const nlohmann::ordered_json& v = row[l.fields[static_cast<std::size_t>(def.keyField)].name];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

/// The services that read events of `type`, as "Orders, Stock".
std::string readers(const plan::Program& p, std::int32_t type) {
    std::string out;
    for (const plan::Service& s : p.services) {
        if (std::find(s.consumes.begin(), s.consumes.end(), type) != s.consumes.end()) {
            out += (out.empty() ? "" : ", ") + s.name;
        }
    }
    return out;
}

/// The narrative of requests: `what` is an event or request id (that request), or a key
/// value such as an order id (every request that emitted an event with that key). Each
/// request's events in event-time order, indented by causal depth, with what caused them
/// and which services read them.
int cmdTrace(const plan::Program& p, const FlowKernelFn* kernels, const RunOptions& o,
             const std::string& what) {
    Engine engine(p, kernels, engineOptions(o));
    Status st = engine.open();
    std::vector<EventRecord> all;
    if (st) {
        st = engine.allEvents(all);
    }
    if (!st) {
        std::cerr << "error: " << st.toString() << "\n";
        return 1;
    }
    std::vector<EventId> requests;  // in order of first appearance
    auto addRequest = [&requests](const EventId& c) {
        if (std::find(requests.begin(), requests.end(), c) == requests.end()) {
            requests.push_back(c);
        }
    };
    EventId id;
    bool isId = EventId::fromHex(what, id);
    for (const EventRecord& e : all) {
        if (isId ? (e.envelope.id == id || e.envelope.correlation == id) : keyText(p, e) == what) {
            addRequest(e.envelope.correlation);
        }
    }
    if (requests.empty()) {
        std::cerr << "error: no event has " << (isId ? "the id or request id " : "the key ") << what
                  << "\n";
        return 1;
    }
    std::map<EventId, const EventRecord*> byId;
    for (const EventRecord& e : all) {
        byId[e.envelope.id] = &e;
    }
    for (const EventId& request : requests) {
        std::vector<const EventRecord*> story;
        for (const EventRecord& e : all) {
            if (e.envelope.correlation == request) {
                story.push_back(&e);
            }
        }
        std::stable_sort(
            story.begin(), story.end(), [](const EventRecord* a, const EventRecord* b) {
                return std::tie(a->envelope.time, a->envelope.ingest, a->envelope.depth) <
                       std::tie(b->envelope.time, b->envelope.ingest, b->envelope.depth);
            });
        const EventRecord& first = *story.front();
        std::cout << "request " << request.toHex().substr(0, 8) << " ("
                  << (first.envelope.depth == 0 ? "input event" : "command") << " at "
                  << formatTimestamp(first.envelope.time) << "): " << story.size() << " event"
                  << (story.size() == 1 ? "" : "s") << "\n";
        for (const EventRecord* e : story) {
            const plan::Event& def = p.events[static_cast<std::size_t>(e->type)];
            std::string service = p.services[static_cast<std::size_t>(def.service)].name;
            std::string cause;
            auto it = byId.find(e->envelope.causation);
            if (it != byId.end() && it->second != e) {
                const plan::Event& c = p.events[static_cast<std::size_t>(it->second->type)];
                cause = "after " + c.name.substr(c.name.find('.') + 1) + " " +
                        e->envelope.causation.toHex().substr(0, 8);
            } else {
                cause = e->envelope.depth == 0 ? "input" : "the command";
            }
            std::string read = readers(p, e->type);
            std::cout << "  " << formatTimestamp(e->envelope.time) << "  "
                      << std::string(static_cast<std::size_t>(e->envelope.depth) * 2, ' ')
                      << service << " emitted " << def.name.substr(def.name.find('.') + 1) << " "
                      << rowToJson(p, *e->row.layout(), e->row.data()).dump() << "  ["
                      << e->envelope.id.toHex().substr(0, 8) << ", " << cause << "]"
                      << (read.empty() ? "" : "  -> " + read) << "\n";
        }
    }
    return 0;
}

}  // namespace

int runMain(const plan::CompiledProgram& compiled, int argc, char** argv) {
    auto parsed = plan::parsePlan(compiled.planJson);
    if (!parsed) {
        std::cerr << "error: the program's plan is invalid: " << parsed.status().toString() << "\n";
        return 2;
    }
    const plan::Program& p = *parsed;
    if (compiled.kernelCount != p.kernels.size()) {
        std::cerr << "error: the program has " << compiled.kernelCount << " kernels, its plan "
                  << p.kernels.size() << "\n";
        return 2;
    }
    CLI::App app{"a Flow program (" + p.source + ")"};
    app.require_subcommand(1, 1);
    RunOptions o;
    auto addData = [&o](CLI::App* sub, bool required) {
        auto* opt = sub->add_option("--data", o.dataDir, "Data directory (logs and state)");
        if (required) {
            opt->required();
        }
        sub->add_option("--fsync", o.fsync, "always, batch or never")
            ->check(CLI::IsMember({"always", "batch", "never"}));
        sub->add_option("--store", o.store, "memory or rocksdb")
            ->check(CLI::IsMember({"memory", "rocksdb"}));
        sub->add_flag("--salvage", o.salvage,
                      "Skip and report corrupt log records instead of stopping");
    };
    std::string filter;
    auto* test = app.add_subcommand("test", "Run the program's test blocks");
    test->add_option("--filter", filter, "Only tests whose name contains this");
    auto* run = app.add_subcommand(
        "run", "Process input events until idle, then exit (no --data: print tables)");
    addData(run, false);
    run->add_option("--input", o.inputs, "Events as JSON lines");
    run->add_option("--on-bad-input", o.onBadInput, "skip or fail")
        ->check(CLI::IsMember({"skip", "fail"}));
    run->add_option("--on-error", o.onError, "skip or stop")
        ->check(CLI::IsMember({"skip", "stop"}));
    std::vector<std::string> tablesToDump;
    auto* dump = app.add_subcommand("dump", "Print tables as JSON lines, sorted by key");
    addData(dump, true);
    dump->add_option("tables", tablesToDump, "Tables (all if none)");
    bool dumpEvents = false;
    dump->add_flag("--events", dumpEvents, "Print every stored event instead of tables");
    std::string traceId;
    auto* trace = app.add_subcommand("trace", "Print the causal narrative of one event or request");
    addData(trace, true);
    trace->add_option("id", traceId, "Event or request id, or a key (e.g. an order id)")
        ->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (*test) {
        return cmdTest(p, compiled.kernels, filter);
    }
    if (*run) {
        return cmdRun(p, compiled.kernels, o);
    }
    if (*dump) {
        return cmdDump(p, compiled.kernels, o, tablesToDump, dumpEvents);
    }
    return cmdTrace(p, compiled.kernels, o, traceId);
}

}  // namespace flow::rt
