// runtime/tests/json_edge_test.cpp - event JSON lines: accepted input, hostile input, output lines.
#include "flow/rt/json_edge.h"
#include "row_test_util.h"

#include <catch2/catch.hpp>

using namespace flow::rt;
using namespace flow::rt::testing;
using plan::Scalar;

namespace {

plan::Event makeEvent(std::int32_t id, std::string name, std::vector<plan::EventVersion> versions,
                      bool stream = false) {
    plan::Event e;
    e.id = id;
    e.name = std::move(name);
    e.versions = std::move(versions);
    e.stream = stream;
    return e;
}

plan::EventVersion version(std::int32_t v, std::int32_t layout) {
    plan::EventVersion ev;
    ev.version = v;
    ev.layout = layout;
    return ev;
}

plan::Program stockProgram() {
    plan::Program p = programWithEnums();
    p.layouts.push_back(makeLayout(0, "Stock.StockAdjusted.v1",
                                   {{"product", Scalar::String}, {"delta", Scalar::Int}}));
    p.layouts.push_back(makeLayout(1, "Stock.StockAdjusted.v2",
                                   {{"product", Scalar::String},
                                    {"delta", Scalar::Int},
                                    {"reason", Scalar::String, true},
                                    {"at", Scalar::Timestamp, true}}));
    p.layouts.push_back(makeLayout(2, "Stock.Restocked.v1", {}));
    p.layouts.push_back(makeLayout(3, "Orders.OrderPlaced.v1",
                                   {{"order_id", Scalar::String},
                                    {"state", Scalar::Enum, false, 0},
                                    {"total", Scalar::Float},
                                    {"within", Scalar::Duration}}));
    p.layouts.push_back(makeLayout(4, "Stock.BigAdjustments",
                                   {{"product", Scalar::String}, {"delta", Scalar::Int}}));
    p.events.push_back(makeEvent(0, "Stock.StockAdjusted", {version(1, 0), version(2, 1)}));
    p.events.push_back(makeEvent(1, "Stock.Restocked", {version(1, 2)}));
    p.events.push_back(makeEvent(2, "Orders.OrderPlaced", {version(1, 3)}));
    p.events.push_back(makeEvent(3, "Stock.BigAdjustments", {version(1, 4)}, true));
    return p;
}

std::string field(const InputEvent& e, const plan::Program& p, std::size_t i) {
    const plan::Layout& l = *e.row.layout();
    FlowStr s{};
    std::memcpy(&s, static_cast<const std::uint8_t*>(e.row.data()) + valueAt(l.fields[i]),
                sizeof s);
    (void)p;
    return s.len > 0 ? std::string(s.ptr, static_cast<std::size_t>(s.len)) : std::string();
}

std::int64_t intField(const InputEvent& e, std::size_t i) {
    std::int64_t v = 0;
    std::memcpy(
        &v, static_cast<const std::uint8_t*>(e.row.data()) + valueAt(e.row.layout()->fields[i]), 8);
    return v;
}

bool presentField(const InputEvent& e, std::size_t i) {
    const plan::Field& f = e.row.layout()->fields[i];
    return !f.type.optional || static_cast<const std::uint8_t*>(e.row.data())[f.offset] != 0;
}

std::string nested(int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
}

}  // namespace

TEST_CASE("JsonEdge: accepted lines", "[json_edge]") {
    plan::Program p = stockProgram();
    JsonEdge reader(p);

    auto r = reader.parse(R"({"event":"Stock.StockAdjusted","time":"2024-01-01T00:00:00Z",)"
                          R"("data":{"product":"apple","delta":5}})");
    REQUIRE(r.status().message() == "");
    CHECK(r->event == 0);
    CHECK(r->version == 1);  // the latest
    CHECK(r->row.layout() == &p.layouts[1]);
    CHECK(field(*r, p, 0) == "apple");
    CHECK(intField(*r, 1) == 5);
    CHECK_FALSE(presentField(*r, 2));  // optional, left out: none
    CHECK_FALSE(presentField(*r, 3));
    REQUIRE(r->time.has_value());
    CHECK(*r->time == 1704067200000000);
    CHECK_FALSE(r->id.has_value());

    // An older version, read with its own layout; time as microseconds; an id.
    r = reader.parse(
        R"({"version":1,"event":"Stock.StockAdjusted","time":-5,)"
        R"("id":"0123456789abcdef0123456789abcdef","data":{"delta":-2,"product":""}})");
    REQUIRE(r.status().message() == "");
    CHECK(r->version == 0);
    CHECK(r->row.layout() == &p.layouts[0]);
    CHECK(intField(*r, 1) == -2);
    CHECK(*r->time == -5);
    REQUIRE(r->id.has_value());
    CHECK(r->id->toHex() == "0123456789abcdef0123456789abcdef");

    // No fields, no data; no time.
    r = reader.parse(R"(  {"event":"Stock.Restocked"}  )");
    REQUIRE(r.status().message() == "");
    CHECK(r->event == 1);
    CHECK_FALSE(r->time.has_value());

    r = reader.parse(R"({"event":"Orders.OrderPlaced","data":{"order_id":"o1","state":"Shipped",)"
                     R"("total":12.5,"within":"1h30m"}})");
    REQUIRE(r.status().message() == "");
    CHECK(intField(*r, 1) == 2);
    CHECK(intField(*r, 3) == 5400000000);

    // Nesting up to the limit is fine (the value is then the wrong type).
    std::string line = R"({"event":"Stock.Restocked","data":{"x":)" + nested(62) + "}}";
    CHECK(reader.parse(line).status().message() == "event 'Stock.Restocked': unknown field 'x'");
}

TEST_CASE("JsonEdge: defaults come from the program's Defaults kernels", "[json_edge]") {
    plan::Program p = stockProgram();
    p.events[0].versions[1].defaults = 0;      // Stock.StockAdjusted v2
    p.events[2].versions[0].defaults = 1;      // Orders.OrderPlaced: a kernel that fails
    p.layouts[1].fields[1].hasDefault = true;  // delta and reason are declared `= value`
    p.layouts[1].fields[2].hasDefault = true;
    std::vector<std::int32_t> ran;
    std::string arena;
    JsonEdge reader(p, [&](std::int32_t kernel, void** args) -> std::int32_t {
        ran.push_back(kernel);
        if (kernel != 0) {
            return FLOW_ERROR;
        }
        RawRow d(p.layouts[1]);
        arena = "manual";  // the kernel's arena: reused by the next call
        d.setInt(1, 0).setAbsent(3);
        std::memcpy(args[0], d.data(), p.layouts[1].size);
        FlowStr reason{arena.data(), 6};
        auto* row = static_cast<std::uint8_t*>(args[0]);
        row[p.layouts[1].fields[2].offset] = 1;
        std::memcpy(row + valueAt(p.layouts[1].fields[2]), &reason, sizeof reason);
        FlowStr product{nullptr, 0};
        std::memcpy(row + valueAt(p.layouts[1].fields[0]), &product, sizeof product);
        return FLOW_OK;
    });
    CHECK(ran == std::vector<std::int32_t>{0, 1});  // once each, when the edge is made
    arena.assign(6, '#');

    auto r = reader.parse(R"({"event":"Stock.StockAdjusted","data":{"product":"pear"}})");
    REQUIRE(r.status().message() == "");
    CHECK(field(*r, p, 0) == "pear");
    CHECK(intField(*r, 1) == 0);
    CHECK(field(*r, p, 2) == "manual");
    CHECK_FALSE(presentField(*r, 3));
    r = reader.parse(
        R"({"event":"Stock.StockAdjusted","data":{"product":"","reason":null,"delta":2}})");
    REQUIRE(r.status().message() == "");
    CHECK(field(*r, p, 0) == "");
    // A field without a declared default cannot be left out, even with a Defaults kernel.
    CHECK(
        reader.parse(R"({"event":"Stock.StockAdjusted","data":{"delta":2}})").status().message() ==
        "event 'Stock.StockAdjusted': missing field 'product'");
    CHECK_FALSE(presentField(*r, 2));
    CHECK(ran.size() == 2);

    // Version 1 has no Defaults kernel: every non-optional field is required.
    CHECK(reader.parse(R"({"event":"Stock.StockAdjusted","version":1,"data":{"product":"pear"}})")
              .status()
              .message() == "event 'Stock.StockAdjusted': missing field 'delta'");
    CHECK(reader.parse(R"({"event":"Orders.OrderPlaced","data":{}})").status().message() ==
          "event 'Orders.OrderPlaced': computing the defaults of version 1 failed");
}

TEST_CASE("JsonEdge: hostile lines are errors with a reason", "[json_edge]") {
    plan::Program p = stockProgram();
    JsonEdge reader(p);
    const std::string ok = R"("event":"Stock.StockAdjusted")";
    const std::string data = R"("data":{"product":"apple","delta":5})";
    struct Case {
        std::string line;
        std::string message;
    };
    const Case cases[] = {
        // Not JSON, or not one object.
        {"", "malformed JSON at column 1: syntax error while parsing value - unexpected end of "
             "input; expected '[', '{', or a literal"},
        {"{" + ok, "malformed JSON at column 31: syntax error while parsing object - unexpected "
                   "end of input; expected '}'"},
        {"{" + ok + "} x", "malformed JSON at column 33: syntax error while parsing value - "
                           "invalid literal; last read: '\"Stock.StockAdjusted\"} x'; "
                           "expected end of input"},
        {R"({"event":'Stock.Restocked'})", "malformed JSON at column 10: syntax error while "
                                           "parsing value - invalid literal; last read: "
                                           "'\"event\":''"},
        {R"({"event":"Orders.OrderPlaced","data":{"total":NaN}})",
         "malformed JSON at column 47: syntax error while parsing value - invalid literal; last "
         "read: '\"total\":N'"},
        {"{\"event\":\"a\xFF\"}", "malformed JSON at column 12: syntax error while parsing value "
                                  "- invalid string: ill-formed UTF-8 byte; last read: '\"a\\xFF'"},
        {"{\"event\":\"a\x01\"}",
         "malformed JSON at column 12: syntax error while parsing value - invalid string: "
         "control character U+0001 (SOH) must be escaped to \\u0001; last read: '\"a<U+0001>'"},
        {"{" + ok + "} // note", "malformed JSON at column 33: syntax error while parsing value - "
                                 "invalid literal; last read: '\"Stock.StockAdjusted\"} /'; "
                                 "expected end of input"},
        {"[1,2]", "expected a JSON object, found an array"},
        {"null", "expected a JSON object, found null"},
        {"{" + ok + "," + ok + "}", "duplicate key 'event'"},
        {"{" + ok + R"(,"data":{"delta":1,"delta":2}})", "duplicate key 'delta'"},
        {"{\"event\":\"Stock.Restocked\",\"data\":{\"x\":" + nested(63) + "}}",
         "JSON nesting deeper than 64 levels"},
        {std::string(kMaxEventLineBytes + 1, ' '), "line is longer than 1 MiB (1048577 bytes)"},

        // The envelope.
        {"{" + data + "}", "missing key 'event'"},
        {R"({"event":5})", "key 'event': expected a string, found an int"},
        {R"({"event":"Stock.StockAdjustd"})",
         "unknown event 'Stock.StockAdjustd'; did you mean 'Stock.StockAdjusted'?"},
        {R"({"event":"StockAdjusted"})",
         "unknown event 'StockAdjusted'; did you mean 'Stock.StockAdjusted'?"},
        {R"({"event":"Nope.Nothing"})", "unknown event 'Nope.Nothing'"},
        {R"({"event":"Stock.Big\nAdjustments"})", "unknown event 'Stock.Big\\x0AAdjustments'"},
        {R"({"event":")" + std::string(200, '[') + "\"}",
         "unknown event '" + std::string(64, '[') + "...'"},
        {R"({"event":"Stock.BigAdjustments","data":{}})",
         "event 'Stock.BigAdjustments' is a stream: streams are derived by the program, not "
         "input"},
        {"{" + ok + R"(,"version":3})",
         "event 'Stock.StockAdjusted' has no version 3 (it has 1, 2)"},
        {"{" + ok + R"(,"version":-1})",
         "event 'Stock.StockAdjusted' has no version -1 (it has 1, 2)"},
        {"{" + ok + R"(,"version":"2"})", "key 'version': expected an int, found a string"},
        {"{" + ok + R"(,"version":2.0})", "key 'version': expected an int, found a float"},
        {"{" + ok + R"(,"time":"yesterday"})", "key 'time': invalid timestamp 'yesterday'"},
        {"{" + ok + R"(,"time":"2024-01-01T00:00:00"})",
         "key 'time': invalid timestamp '2024-01-01T00:00:00'"},
        {"{" + ok + R"(,"time":1.5})",
         "key 'time': expected an RFC 3339 timestamp or integer microseconds, found a float"},
        {"{" + ok + R"(,"time":18446744073709551615})",
         "key 'time': expected an RFC 3339 timestamp or integer microseconds, found an int"},
        {"{" + ok + R"(,"time":null})",
         "key 'time': expected an RFC 3339 timestamp or integer microseconds, found null"},
        {"{" + ok + R"(,"id":7})", "key 'id': expected 32 lowercase hex digits, found an int"},
        {"{" + ok + R"(,"id":"0123456789ABCDEF0123456789ABCDEF"})",
         "key 'id': expected 32 lowercase hex digits, found '0123456789ABCDEF0123456789ABCDEF'"},
        {"{" + ok + R"(,"id":"00000000000000000000000000000000"})",
         "key 'id': the zero id is reserved"},
        {"{" + ok + R"(,"seq":1})",
         "unknown key 'seq'; an input line has event (or command), time, data, version and id"},
        {"{" + ok + R"(,"data":[]})", "key 'data': expected an object, found an array"},

        // The payload.
        {"{" + ok + R"(,"data":{"product":"apple","delta":"5"}})",
         "event 'Stock.StockAdjusted': field 'delta': expected an int, found a string"},
        {"{" + ok + R"(,"data":{"product":"apple"}})",
         "event 'Stock.StockAdjusted': missing field 'delta'"},
        {"{" + ok + R"(,"data":{"product":"apple","delta":1,"delt":2}})",
         "event 'Stock.StockAdjusted': unknown field 'delt'; did you mean 'delta'?"},
        {"{" + ok + R"(,"data":{"product":"apple","delta":1,"at":"soon"}})",
         "event 'Stock.StockAdjusted': field 'at': invalid timestamp 'soon'"},
        {"{" + ok + R"(,"version":1,"data":{"product":"apple","delta":1,"reason":"x"}})",
         "event 'Stock.StockAdjusted': unknown field 'reason'"},
        {R"({"event":"Orders.OrderPlaced","data":{"order_id":"o1","state":"Lost","total":1,)"
         R"("within":"0s"}})",
         "event 'Orders.OrderPlaced': field 'state': 'Lost' is not a value of enum "
         "'Orders.OrderState'"},
        {R"({"event":"Orders.OrderPlaced","data":{"order_id":"o1","state":"Placed","total":1,)"
         R"("within":"1.5"}})",
         "event 'Orders.OrderPlaced': field 'within': invalid duration '1.5'"},
    };
    for (const Case& c : cases) {
        INFO(c.line.substr(0, 200));
        auto r = reader.parse(c.line);
        CHECK_FALSE(r.isOk());
        CHECK(r.status().code() == StatusCode::InvalidArgument);
        CHECK(r.status().message() == c.message);
    }
}

TEST_CASE("eventToJson: the output line", "[json_edge]") {
    plan::Program p = stockProgram();
    RawRow row(p.layouts[1]);
    row.setString(0, "apple").setInt(1, -3).setAbsent(2).setInt(3, 1704067200500000);
    Envelope env;
    env.id = EventId{0x0123456789abcdefull, 0xfedcba9876543210ull};
    env.correlation = env.id;
    env.time = 1704067200000000;
    env.seq = 7;
    env.version = 2;
    CHECK(eventToJson(p, 0, 1, env, row.data()) ==
          R"({"event":"Stock.StockAdjusted","time":"2024-01-01T00:00:00Z",)"
          R"("data":{"product":"apple","delta":-3,"reason":null,"at":"2024-01-01T00:00:00.500Z"},)"
          R"("id":"0123456789abcdeffedcba9876543210","seq":7,"causation":null,)"
          R"("correlation":"0123456789abcdeffedcba9876543210","version":2})");

    // The output reads back as input (without the envelope keys input does not take).
    auto j = nlohmann::json::parse(eventToJson(p, 0, 1, env, row.data()));
    for (const char* k : {"seq", "causation", "correlation"}) {
        j.erase(k);
    }
    JsonEdge reader(p);
    auto r = reader.parse(j.dump());
    REQUIRE(r.status().message() == "");
    CHECK(rowsEqual(p.layouts[1], r->row.data(), row.data()));
    CHECK(*r->id == env.id);
    CHECK(*r->time == env.time);
}

TEST_CASE("JsonEdge: command lines carry a command's parameters", "[json_edge]") {
    plan::Program p = stockProgram();
    p.layouts.push_back(makeLayout(5, "Stock.AdjustStock.params",
                                   {{"product", Scalar::String}, {"delta", Scalar::Int}}));
    plan::Command c;
    c.id = 0;
    c.service = 0;
    c.name = "Stock.AdjustStock";
    c.params = 5;
    p.commands.push_back(c);
    JsonEdge reader(p);

    auto r = reader.parse(
        R"({"command":"Stock.AdjustStock","time":"2024-01-01T00:00:00Z","data":{"product":"fig","delta":-2}})");
    REQUIRE(r.status().message() == "");
    CHECK(r->command == 0);
    CHECK(r->event == -1);
    CHECK(field(*r, p, 0) == "fig");
    CHECK(intField(*r, 1) == -2);
    REQUIRE(r->time.has_value());
    CHECK(*r->time == 1704067200000000);
    // An unqualified name is found by its suffix.
    r = reader.parse(R"({"command":"AdjustStock","data":{"product":"fig","delta":1}})");
    REQUIRE(r.status().message() == "");
    CHECK(r->command == 0);

    struct Case {
        const char* line;
        const char* message;
    };
    const Case cases[] = {
        {R"({"command":"Stock.AdjustStok","data":{}})",
         "unknown command 'Stock.AdjustStok'; did you mean 'Stock.AdjustStock'?"},
        {R"({"command":7})", "key 'command': expected a string, found an int"},
        {R"({"command":"Stock.AdjustStock","data":{"product":"fig"}})",
         "command 'Stock.AdjustStock': missing field 'delta'"},
        {R"({"command":"Stock.AdjustStock","data":{"product":"fig","delta":"2"}})",
         "command 'Stock.AdjustStock': field 'delta': expected an int, found a string"},
        {R"({"command":"Stock.AdjustStock","event":"Stock.Restocked"})",
         "a line has 'event' or 'command', not both"},
        {R"({"command":"Stock.AdjustStock","version":1})", "a command has no 'version'"},
        {R"({"command":"Stock.AdjustStock","data":[]})",
         "key 'data': expected an object, found an array"},
    };
    for (const Case& k : cases) {
        INFO(k.line);
        CHECK(reader.parse(k.line).status().message() == k.message);
    }
}
