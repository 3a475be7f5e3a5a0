// support/text.h - UTF-8 checks, display widths, escaping and "did you mean" suggestions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flow {

/// The byte offset of the first invalid UTF-8 sequence in `s`, or nullopt if valid.
/// Overlong forms, surrogates and code points above U+10FFFF are invalid.
std::optional<std::size_t> findInvalidUtf8(std::string_view s);

/// Appends the UTF-8 encoding of code point `cp` (which must be valid).
void appendUtf8(std::string& out, std::uint32_t cp);

/// Columns `s` takes on screen as displayLine() shows it: one per code point (a tab
/// counts as one) and one per byte that is not valid UTF-8.
std::size_t displayWidth(std::string_view s);
/// The line as a diagnostic shows it: tabs become single spaces so carets line up, and
/// control characters and invalid UTF-8 bytes become '?'.
std::string displayLine(std::string_view s);

/// `s` as a double-quoted literal in Flow (and JSON-compatible) syntax.
std::string quoteString(std::string_view s);

/// Levenshtein distance, capped: returns `cap + 1` once the distance exceeds `cap`.
std::size_t editDistance(std::string_view a, std::string_view b, std::size_t cap);

/// The candidate closest to `name` if it is close enough to be a likely typo.
std::optional<std::string> closestMatch(std::string_view name,
                                        const std::vector<std::string>& candidates);

}  // namespace flow
