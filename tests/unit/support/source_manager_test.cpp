// unit/support/source_manager_test.cpp - offsets to lines and columns, line texts.
#include "support/source_manager.h"

#include <catch2/catch.hpp>

using namespace flow;

TEST_CASE("line and column are 1-based and count bytes") {
    SourceManager sm;
    FileId id = sm.addFile("a.flow", "ab\ncd\r\n\nxyz");
    const SourceFile& f = sm.file(id);
    CHECK(f.lineCount() == 4);
    CHECK(f.lineColumn(0).line == 1);
    CHECK(f.lineColumn(0).column == 1);
    CHECK(f.lineColumn(1).column == 2);
    CHECK(f.lineColumn(3).line == 2);
    CHECK(f.lineColumn(3).column == 1);
    CHECK(f.lineColumn(7).line == 3);
    CHECK(f.lineColumn(8).line == 4);
    CHECK(f.lineColumn(10).column == 3);
    // Past the end clamps to the end of the file.
    CHECK(f.lineColumn(1000).line == 4);
}

TEST_CASE("line text drops the terminator, including CR") {
    SourceManager sm;
    FileId id = sm.addFile("a.flow", "ab\ncd\r\n\nxyz");
    const SourceFile& f = sm.file(id);
    CHECK(f.lineText(1) == "ab");
    CHECK(f.lineText(2) == "cd");
    CHECK(f.lineText(3).empty());
    CHECK(f.lineText(4) == "xyz");
    CHECK(f.lineText(0).empty());
    CHECK(f.lineText(5).empty());
}

TEST_CASE("describe prints path:line:col and keeps relative paths") {
    SourceManager sm;
    FileId a = sm.addFile("dir/a.flow", "x\ny");
    CHECK(sm.describe({a, 2}) == "dir/a.flow:2:1");
    CHECK(sm.describe({}) == "<unknown>");
    CHECK(sm.fileCount() == 1);
}
