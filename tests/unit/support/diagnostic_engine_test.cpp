// unit/support/diagnostic_engine_test.cpp - message formatting, sorting and clang-style rendering.
#include "support/diagnostic_engine.h"

#include <catch2/catch.hpp>

#include <set>

using namespace flow;

TEST_CASE("messages fill placeholders in order") {
    CHECK(formatMessage("unknown {} '{}'", {"event", "X"}) == "unknown event 'X'");
    CHECK(formatMessage("no args", {}) == "no args");
    CHECK(formatMessage("{} and {}", {"a"}) == "a and ");
}

TEST_CASE("text rendering: location, code, source line and caret span") {
    SourceManager sm;
    FileId id = sm.addFile("orders.flow", "service S {\n  on OrderPlacd o {}\n}\n");
    DiagnosticEngine diags(sm);
    SourceRange r{{id, 17}, 27};
    diags.report(DiagCode::E0201, r, "event", "OrderPlacd").note("did you mean 'OrderPlaced'?");
    std::string out = diags.renderAllText();
    CHECK(out == "orders.flow:2:6: error: unknown event 'OrderPlacd' [E0201]\n"
                 "   2 |   on OrderPlacd o {}\n"
                 "     |      ^~~~~~~~~~\n"
                 "note: did you mean 'OrderPlaced'?\n"
                 "1 error generated.\n");
}

TEST_CASE("a note with a location renders its own source line") {
    SourceManager sm;
    FileId id = sm.addFile("a.flow", "event E {}\nevent E {}\n");
    DiagnosticEngine diags(sm);
    diags.report(DiagCode::E0202, {{id, 17}, 18}, "event", "E")
        .note({{id, 6}, 7}, "previously declared here");
    std::string out = diags.renderAllText();
    CHECK(out.find("a.flow:2:7: error: duplicate declaration of event 'E' [E0202]") !=
          std::string::npos);
    CHECK(out.find(
              "a.flow:1:7: note: previously declared here\n   1 | event E {}\n     |       ^\n") !=
          std::string::npos);
}

TEST_CASE("diagnostics are sorted by file and position, then severity") {
    SourceManager sm;
    FileId b = sm.addFile("b.flow", "xxxxxxxx");
    FileId a = sm.addFile("a.flow", "xxxxxxxx");
    DiagnosticEngine diags(sm);
    diags.report(DiagCode::E0301, {{b, 1}, 2}, "'int'", "'string'");
    diags.report(DiagCode::E0301, {{a, 5}, 6}, "'int'", "'string'");
    diags.report(DiagCode::E0301, {{a, 2}, 3}, "'int'", "'string'");
    auto sorted = diags.sorted();
    REQUIRE(sorted.size() == 3);
    CHECK(sorted[0]->range.begin.file == a);
    CHECK(sorted[0]->range.begin.offset == 2);
    CHECK(sorted[1]->range.begin.offset == 5);
    CHECK(sorted[2]->range.begin.file == b);
    CHECK(diags.errorCount() == 3);
}

TEST_CASE("the error limit cuts the listing and says how many were hidden") {
    SourceManager sm;
    FileId a = sm.addFile("a.flow", "xxxx");
    DiagnosticEngine diags(sm);
    for (std::uint32_t i = 0; i < 4; ++i) {
        diags.report(DiagCode::E0301, {{a, i}, i + 1}, "'int'", "'string'");
    }
    std::string out = diags.renderAllText(false, 2);
    CHECK(out.find("2 more diagnostics not shown") != std::string::npos);
    CHECK(out.find("4 errors generated.") != std::string::npos);
}

TEST_CASE("carets line up under tabs and multi-byte characters") {
    SourceManager sm;
    FileId id = sm.addFile("u.flow", "\t\"\xC3\xA9t\xC3\xA9\" + x\n");
    DiagnosticEngine diags(sm);
    // 'x' is at byte 11 (tab, quote, 2+1+2 bytes, quote, space, plus, space) but on
    // screen at column 10: the tab shows as one space, each accented letter as one.
    diags.report(DiagCode::E0201, {{id, 11}, 12}, "name", "x");
    std::string out = diags.renderAllText();
    CHECK(out.find("u.flow:1:12:") != std::string::npos);
    CHECK(out.find("   1 |  \"\xC3\xA9t\xC3\xA9\" + x\n     |          ^\n") != std::string::npos);
}

TEST_CASE("every code has a unique id and a code of the documented shape") {
    std::set<std::string> codes;
    for (DiagCode c : allDiagCodes()) {
        const DiagInfo& info = diagInfo(c);
        std::string code = info.code;
        CHECK(code.size() == 5);
        CHECK((code[0] == 'E' || code[0] == 'W'));
        CHECK(codes.insert(code).second);
    }
    CHECK(codes.size() == allDiagCodes().size());
}
