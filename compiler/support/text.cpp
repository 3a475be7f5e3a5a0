// support/text.cpp - UTF-8 checks, display widths, escaping and "did you mean" suggestions.
#include "support/text.h"

#include <algorithm>
#include <cctype>

namespace flow {

namespace {

/// The length of the valid UTF-8 sequence starting at `s[i]`, or 0 if none does there.
/// Overlong forms, surrogates and code points above U+10FFFF are invalid.
std::size_t sequenceLength(std::string_view s, std::size_t i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        return 1;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return len;
}

}  // namespace

std::optional<std::size_t> findInvalidUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = sequenceLength(s, i);
        if (len == 0) {
            return i;
        }
        i += len;
    }
    return std::nullopt;
}

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::size_t displayWidth(std::string_view s) {
    // One column per code point, and per byte of an invalid sequence (shown as '?').
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size(); ++w) {
        i += std::max<std::size_t>(1, sequenceLength(s, i));
    }
    return w;
}

std::string displayLine(std::string_view s) {
    // Tabs become one space so carets line up; control characters and bytes that are not
    // UTF-8 become '?' so a diagnostic never writes them to the terminal.
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = sequenceLength(s, i);
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '\t') {
            out += ' ';
        } else if (len == 0 || c < 0x20 || c == 0x7F) {
            out += '?';
        } else {
            out.append(s.substr(i, len));
        }
        i += std::max<std::size_t>(1, len);
    }
    return out;
}

std::string quoteString(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (c < 0x20 || c == 0x7F) {
                static const char* hex = "0123456789ABCDEF";
                out += "\\u{";
                if (c >= 0x10) {
                    out += hex[c >> 4];
                }
                out += hex[c & 0xF];
                out += "}";
            } else {
                out += ch;
            }
        }
    }
    out += '"';
    return out;
}

std::size_t editDistance(std::string_view a, std::string_view b, std::size_t cap) {
    if (a.size() > b.size()) {
        std::swap(a, b);
    }
    if (b.size() - a.size() > cap) {
        return cap + 1;
    }
    std::vector<std::size_t> prev(a.size() + 1), cur(a.size() + 1);
    for (std::size_t i = 0; i <= a.size(); ++i) {
        prev[i] = i;
    }
    for (std::size_t j = 1; j <= b.size(); ++j) {
        cur[0] = j;
        std::size_t rowMin = cur[0];
        for (std::size_t i = 1; i <= a.size(); ++i) {
            bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
            cur[i] = std::min({prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + (same ? 0 : 1)});
            rowMin = std::min(rowMin, cur[i]);
        }
        if (rowMin > cap) {
            return cap + 1;
        }
        std::swap(prev, cur);
    }
    return std::min(prev[a.size()], cap + 1);
}

std::optional<std::string> closestMatch(std::string_view name,
                                        const std::vector<std::string>& candidates) {
    // Allow about one typo per three characters, as clang's typo correction does.
    std::size_t cap = std::max<std::size_t>(1, (name.size() + 2) / 3);
    std::optional<std::string> best;
    std::size_t bestDist = cap + 1;
    for (const std::string& c : candidates) {
        if (c == name) {
            continue;
        }
        std::size_t d = editDistance(name, c, cap);
        if (d < bestDist || (d == bestDist && best && c < *best)) {
            bestDist = d;
            best = c;
        }
    }
    // A "match" that replaces every character (`m` for `c`) is no hint.
    if (bestDist > cap || bestDist >= std::max(name.size(), best->size())) {
        return std::nullopt;
    }
    return best;
}

}  // namespace flow
