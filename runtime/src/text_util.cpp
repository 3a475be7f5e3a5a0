// runtime/src/text_util.cpp - text for error messages: quoting untrusted names, "did you mean".
#include "text_util.h"

#include "flow/rt/codec.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace flow::rt {

namespace {

constexpr std::size_t kMaxQuotedBytes = 64;

/// Length of the UTF-8 sequence starting at `s[i]`, or 0 if it is not well-formed.
std::size_t sequenceLength(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > s.size() || !validUtf8(s.substr(i, len))) {
        return 0;
    }
    return len;
}

}  // namespace

std::string quote(std::string_view text) {
    return "'" + printable(text, kMaxQuotedBytes) + "'";
}

std::string printable(std::string_view text, std::size_t maxBytes) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (i >= maxBytes) {
            out += "...";
            break;
        }
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = sequenceLength(text, i);
        if (len == 0 || c < 0x20 || c == 0x7F) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
            ++i;
            continue;
        }
        out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

std::string closestName(std::string_view name, const std::vector<std::string_view>& candidates) {
    if (name.size() > 256) {
        return "";  // nobody typos a name that long; and the distance is quadratic
    }
    std::string best;
    std::size_t bestDistance = SIZE_MAX;
    std::vector<std::size_t> prev;
    std::vector<std::size_t> cur;
    for (std::string_view cand : candidates) {
        if (cand.size() > 256) {
            continue;
        }
        // Levenshtein distance, case-insensitively (a wrong case is one likely typo).
        prev.resize(cand.size() + 1);
        cur.resize(cand.size() + 1);
        for (std::size_t j = 0; j <= cand.size(); ++j) {
            prev[j] = j;
        }
        for (std::size_t i = 1; i <= name.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= cand.size(); ++j) {
                auto a = static_cast<unsigned char>(name[i - 1]);
                auto b = static_cast<unsigned char>(cand[j - 1]);
                bool same = a == b || (std::tolower(a) == std::tolower(b));
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
            }
            std::swap(prev, cur);
        }
        std::size_t d = prev[cand.size()];
        std::size_t limit = std::min<std::size_t>(3, std::max(name.size(), cand.size()) / 3);
        if (d <= std::max<std::size_t>(limit, 1) && d < bestDistance) {
            bestDistance = d;
            best = std::string(cand);
        }
    }
    return best;
}

const char* jsonKind(const nlohmann::json& j) {
    using T = nlohmann::json::value_t;
    switch (j.type()) {
    case T::null:
        return "null";
    case T::boolean:
        return "a bool";
    case T::number_integer:
    case T::number_unsigned:
        return "an int";
    case T::number_float:
        return "a float";
    case T::string:
        return "a string";
    case T::array:
        return "an array";
    case T::object:
        return "an object";
    case T::binary:
        return "binary data";
    case T::discarded:
        break;
    }
    return "nothing";
}

}  // namespace flow::rt
