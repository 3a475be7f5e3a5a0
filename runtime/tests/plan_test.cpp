// runtime/tests/plan_test.cpp - parsePlan's checks of a kernel's `copies`: the engine
// copies those fields' bytes instead of calling the kernel, so a plan that names fields
// out of range or of different types is refused before anything runs.
#include "flow/rt/plan.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using namespace flow::rt;
using Json = nlohmann::json;

namespace {

Json field(const char* name, const char* scalar, std::uint32_t offset, bool optional = false) {
    return Json{{"name", name},
                {"type",
                 {{"row", false},
                  {"scalar", scalar},
                  {"optional", optional},
                  {"enumId", -1},
                  {"layout", -1}}},
                {"offset", offset}};
}

Json arg(const char* name, int layout, bool envelope, bool writable) {
    return Json{{"name", name},
                {"layout", layout},
                {"envelope", envelope},
                {"writable", writable},
                {"optional", false}};
}

/// A plan with one copy kernel (event, envelope, key) whose `copies` are `copies`:
/// layout 0 is (string, int, int?), layout 1 (string, int).
std::string planWith(const Json& copies, bool twoOutputs = false) {
    Json layouts = Json::array();
    layouts.push_back(Json{
        {"id", 0},
        {"name", "E"},
        {"fields", {field("s", "string", 0), field("i", "int", 16), field("o", "int", 24, true)}},
        {"size", 40}});
    layouts.push_back(Json{{"id", 1},
                           {"name", "K"},
                           {"fields", {field("s", "string", 0), field("i", "int", 16)}},
                           {"size", 24}});
    Json args = {arg("e", 0, false, false), arg("e_env", -1, true, false),
                 arg("key", 1, false, true)};
    if (twoOutputs) {
        args.push_back(arg("other", 1, false, true));
    }
    Json kernel{{"id", 0},      {"name", "k0"}, {"kind", "key"},   {"args", args},
                {"pure", true}, {"ids", false}, {"origin", "test"}};
    if (!copies.is_null()) {
        kernel["copies"] = copies;
    }
    Json plan{{"format", "flow-plan"},    {"version", 1},
              {"source", "t.flow"},       {"layouts", layouts},
              {"enums", Json::array()},   {"events", Json::array()},
              {"tables", Json::array()},  {"commands", Json::array()},
              {"queries", Json::array()}, {"services", Json::array()},
              {"kernels", {kernel}},      {"sites", Json::array()},
              {"tests", Json::array()}};
    return plan.dump();
}

std::string problem(const Json& copies, bool twoOutputs = false) {
    auto parsed = plan::parsePlan(planWith(copies, twoOutputs));
    return parsed ? std::string() : parsed.status().toString();
}

}  // namespace

TEST_CASE("parsePlan: a kernel's copies are read, and may be absent", "[plan]") {
    auto none = plan::parsePlan(planWith(Json()));
    REQUIRE(none);
    CHECK(none->kernels[0].copies.empty());
    auto two = plan::parsePlan(planWith(Json::parse("[[1,0,1],[0,0,0]]")));
    REQUIRE(two);
    REQUIRE(two->kernels[0].copies.size() == 2);
    CHECK(two->kernels[0].copies[0].out == 1);
    CHECK(two->kernels[0].copies[0].arg == 0);
    CHECK(two->kernels[0].copies[0].field == 1);
    CHECK(two->kernels[0].copies[1].out == 0);
}

TEST_CASE("parsePlan: copies the engine could not run safely are refused", "[plan]") {
    CHECK_THAT(problem(Json::parse("[[0,0]]")),
               Catch::Contains("kernels[0].copies[0]: expected [out, arg, field]"));
    CHECK_THAT(problem(Json::parse("[[0,\"e\",0]]")), Catch::Contains("kernels[0].copies[0]"));
    CHECK_THAT(problem(Json::parse("[[0,1,0]]")),
               Catch::Contains("expected a read-only row argument"));  // the envelope
    CHECK_THAT(problem(Json::parse("[[0,2,0]]")),
               Catch::Contains("expected a read-only row argument"));  // the output
    CHECK_THAT(problem(Json::parse("[[0,3,0]]")),
               Catch::Contains("expected a read-only row argument"));  // no such argument
    CHECK_THAT(problem(Json::parse("[[2,0,0]]")), Catch::Contains("field out of range"));
    CHECK_THAT(problem(Json::parse("[[0,0,3]]")), Catch::Contains("field out of range"));
    CHECK_THAT(problem(Json::parse("[[-1,0,0]]")), Catch::Contains("field out of range"));
    CHECK_THAT(problem(Json::parse("[[0,0,1]]")),
               Catch::Contains("the fields' types differ"));  // int into string
    CHECK_THAT(problem(Json::parse("[[1,0,2]]")),
               Catch::Contains("the fields' types differ"));  // int? into int
    CHECK_THAT(problem(Json::parse("[[0,0,0],[0,0,0]]")),
               Catch::Contains("an output field copied twice"));
    CHECK_THAT(problem(Json::parse("[[0,0,0]]"), true),
               Catch::Contains("a copy kernel has one writable argument"));
}
