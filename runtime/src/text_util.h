// runtime/src/text_util.h - text for error messages: quoting untrusted names, "did you mean".
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace flow::rt {

/// `text` in single quotes for an error message: cut to 64 bytes (at a code point
/// boundary, with "..."), control characters and invalid UTF-8 bytes as \xNN, so a
/// hostile name cannot make a message huge, multi-line or unprintable.
std::string quote(std::string_view text);

/// `text` made safe to print on one line, as `quote` does, cut to `maxBytes`.
std::string printable(std::string_view text, std::size_t maxBytes);

/// The candidate closest to `name` by edit distance when it is close enough to be a
/// likely typo (at most a third of the longer name, and at most 3 edits), else "".
std::string closestName(std::string_view name, const std::vector<std::string_view>& candidates);

/// What a JSON value is, for "expected X, found Y": "null", "a bool", "an int", "a float",
/// "a string", "an array", "an object".
const char* jsonKind(const nlohmann::json& j);

}  // namespace flow::rt
