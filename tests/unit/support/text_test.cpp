// unit/support/text_test.cpp - UTF-8 validation, quoting and "did you mean".
#include "support/text.h"

#include <catch2/catch.hpp>

using namespace flow;

TEST_CASE("UTF-8 validation finds the first bad byte") {
    CHECK_FALSE(findInvalidUtf8("plain ascii").has_value());
    CHECK_FALSE(findInvalidUtf8("\xC3\xA9\xF0\x9F\x98\x80").has_value());
    CHECK(findInvalidUtf8("ab\xFF") == std::optional<std::size_t>(2));
    CHECK(findInvalidUtf8("\xC0\xAF") == std::optional<std::size_t>(0));          // overlong '/'
    CHECK(findInvalidUtf8("x\xED\xA0\x80") == std::optional<std::size_t>(1));     // surrogate
    CHECK(findInvalidUtf8("\xF4\x90\x80\x80") == std::optional<std::size_t>(0));  // > U+10FFFF
    CHECK(findInvalidUtf8("\xE2\x82") == std::optional<std::size_t>(0));          // truncated
}

TEST_CASE("appendUtf8 round-trips through validation") {
    for (std::uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u, 0x10FFFFu}) {
        std::string s;
        appendUtf8(s, cp);
        CHECK_FALSE(findInvalidUtf8(s).has_value());
        CHECK(displayWidth(s) == 1);
    }
}

TEST_CASE("displayLine shows invalid bytes and control characters as '?'") {
    CHECK(displayLine("a\tb") == "a b");
    CHECK(displayLine("a\x80\x62") == "a?b");
    CHECK(displayWidth("a\x80\x62") == 3);
    CHECK(displayLine("\xC0\xAF\x78") == "??x");  // an overlong '/', then 'x'
    CHECK(displayWidth("\xC0\xAF\x78") == 3);
    CHECK(displayLine(std::string("\x01\x7F", 2)) == "??");
    CHECK(displayLine("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(displayWidth("caf\xC3\xA9") == 4);
}

TEST_CASE("quoteString escapes what the lexer would not take back") {
    CHECK(quoteString("a\"b\\c\nd\te") == "\"a\\\"b\\\\c\\nd\\te\"");
    CHECK(quoteString(std::string("\x01", 1)) == "\"\\u{1}\"");
    CHECK(quoteString("\xC3\xA9") == "\"\xC3\xA9\"");
}

TEST_CASE("did you mean picks the closest plausible name") {
    std::vector<std::string> names = {"OrderPlaced", "OrderCancelled", "StockAdjusted"};
    CHECK(closestMatch("OrderPlacd", names) == std::optional<std::string>("OrderPlaced"));
    CHECK(closestMatch("orderplaced", names) == std::optional<std::string>("OrderPlaced"));
    CHECK_FALSE(closestMatch("Zebra", names).has_value());
    CHECK(editDistance("kitten", "sitting", 10) == 3);
    CHECK(editDistance("a", "abcdef", 2) == 3);  // capped
}
