// runtime/src/engine/test_runner.cpp - runs a program's test blocks (LANGUAGE.md §5).
#include "test_runner.h"

#include "flow/rt/engine.h"

#include <cstring>

namespace flow::rt {

namespace {

struct Failure {
    std::uint32_t line = 0;
    std::string text;
    std::string why;
};

std::string eventLine(const plan::Program& p, const EventRecord& e) {
    std::string out = p.events[static_cast<std::size_t>(e.type)].name + " ";
    out += rowToJson(p, *e.row.layout(), e.row.data()).dump();
    out += " at " + formatTimestamp(e.envelope.time);
    return out;
}

class TestRun {
public:
    TestRun(const plan::Program& p, const FlowKernelFn* kernels, const plan::Test& t)
        : p_(p), t_(t), engine_(p, kernels, EngineOptions{}) {}

    std::optional<Failure> run() {
        Status st = engine_.open();
        if (!st) {
            return Failure{t_.line, "", "cannot start: " + st.toString()};
        }
        for (std::size_t i = 0; i < t_.steps.size(); ++i) {
            if (auto f = step(i, t_.steps[i])) {
                return f;
            }
            if (!engine_.errors().empty()) {
                return Failure{t_.steps[i].line, t_.steps[i].text,
                               "runtime error: " + engine_.errors().front().message};
            }
        }
        return std::nullopt;
    }

    const Engine& engine() const { return engine_; }

private:
    /// A `given` event's or a `when` command's row, from its kernel.
    OwnedRow build(std::int32_t kernel, std::int32_t layout) {
        OwnedRow row(&p_.layouts[static_cast<std::size_t>(layout)]);
        void* args[] = {row.data()};
        callKernel(kernel, args);
        row.adoptStrings();
        return row;
    }

    std::int32_t callKernel(std::int32_t kernel, void** args) {
        return engine_.callKernel(kernel, args);
    }

    EventId stepId(std::size_t index) const {
        return requestId("test:" + t_.file + ":" + t_.name + ":" + std::to_string(index));
    }

    std::optional<Failure> step(std::size_t index, const plan::TestStep& s) {
        auto fail = [&](std::string why) {
            return Failure{s.line, s.text, std::move(why)};
        };
        switch (s.kind) {
        case plan::StepKind::Given: {
            const plan::Event& ev = p_.events[static_cast<std::size_t>(s.event)];
            OwnedRow row = build(s.row, ev.versions[static_cast<std::size_t>(s.version)].layout);
            std::optional<std::int64_t> time;
            // -1 is the plan's "no `at`" (so `at` cannot name exactly 1969-12-31T23:59:59.999999Z);
            // every other time, before 1970 included, is a time.
            if (s.hasAt) {
                time = s.atMicros;
                if (s.atMicros > engine_.clock()) {
                    engine_.setClock(s.atMicros);
                }
            }
            auto r = engine_.ingest(s.event, s.version, row, time, stepId(index));
            if (!r) {
                return fail("cannot append the event: " + r.status().toString());
            }
            break;
        }
        case plan::StepKind::When: {
            const plan::Command& c = p_.commands[static_cast<std::size_t>(s.command)];
            OwnedRow params = build(s.row, c.params);
            CommandResult res = engine_.command(s.command, params, stepId(index));
            if (res.failed) {
                return fail("the command failed: " + res.reason);
            }
            if (s.outcome == plan::Outcome::Accepted && !res.accepted) {
                return fail("expected the command to be accepted, but it was rejected: \"" +
                            res.reason + "\"");
            }
            if (s.outcome == plan::Outcome::Rejected) {
                if (res.accepted) {
                    return fail("expected the command to be rejected, but it was accepted");
                }
                if (s.hasReason && res.reason != s.reason) {
                    return fail("expected the rejection \"" + s.reason + "\", got \"" + res.reason +
                                "\"");
                }
            }
            break;
        }
        case plan::StepKind::ExpectEmitted: {
            std::int64_t n = 0;
            for (const EventRecord& e : engine_.emitted()) {
                if (e.type != s.event) {
                    continue;
                }
                if (s.match >= 0) {
                    void* args[] = {const_cast<void*>(e.row.data())};
                    if (callKernel(s.match, args) != FLOW_OK) {
                        continue;
                    }
                }
                ++n;
            }
            bool ok = s.count >= 0 ? n == s.count : n > 0;
            if (!ok) {
                return fail(s.count >= 0
                                ? "expected " + std::to_string(s.count) + " matching event" +
                                      (s.count == 1 ? "" : "s") + ", found " + std::to_string(n)
                                : "expected a matching event, found none");
            }
            return std::nullopt;
        }
        case plan::StepKind::Expect: {
            void* args[] = {nullptr};
            std::int32_t rc = callKernel(s.expect, args);
            if (rc == FLOW_ERROR) {
                return fail("runtime error while evaluating the expectation");
            }
            if (rc != FLOW_OK) {
                return fail("the expectation does not hold");
            }
            return std::nullopt;
        }
        case plan::StepKind::Advance:
            (void)engine_.advanceTime(s.advanceMicros);
            break;
        }
        Status st = engine_.runUntilIdle();
        if (!st) {
            return fail(st.toString());
        }
        return std::nullopt;
    }

    const plan::Program& p_;
    const plan::Test& t_;
    Engine engine_;
};

}  // namespace

TestSummary runTests(const plan::Program& program, const FlowKernelFn* kernels,
                     const std::string& filter, std::ostream& out) {
    TestSummary sum;
    for (const plan::Test& t : program.tests) {
        if (!filter.empty() && t.name.find(filter) == std::string::npos) {
            continue;
        }
        TestRun run(program, kernels, t);
        std::optional<Failure> f = run.run();
        std::string where = t.file + ":" + std::to_string(t.line);
        if (!f) {
            ++sum.passed;
            out << "PASS  " << t.name << "  (" << where << ")\n";
            continue;
        }
        ++sum.failed;
        out << "FAIL  " << t.name << "  (" << where << ")\n";
        out << "      " << t.file << ":" << f->line << ": " << f->text << "\n";
        out << "      " << f->why << "\n";
        const auto& events = run.engine().emitted();
        out << "      events emitted so far (" << events.size() << "):\n";
        for (const EventRecord& e : events) {
            out << "        " << eventLine(program, e) << "\n";
        }
    }
    out << sum.passed << " passed, " << sum.failed << " failed\n";
    return sum;
}

}  // namespace flow::rt
