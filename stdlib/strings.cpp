// stdlib/strings.cpp - string built-ins: comparison, concatenation, len, case mapping, search.
#include "flow/rt/abi.h"
#include "flow/rt/stdlib.h"

#include <cstring>

namespace flow::rt {

namespace {

bool isContinuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// Decodes the sequence at `s[i]` if it is well-formed UTF-8; `len` is its length.
bool decodeAt(std::string_view s, std::size_t i, char32_t& cp, std::size_t& len) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        cp = c;
        len = 1;
        return true;
    }
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
        return false;
    }
    if (i + len > s.size()) {
        return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
        if (!isContinuation(s[i + k])) {
            return false;
        }
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    return !((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
             (cp >= 0xD800 && cp <= 0xDFFF));
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

/// Maps every code point of `s`; bytes that are not UTF-8 pass through unchanged.
template <typename Map>
std::string mapUtf8(std::string_view s, Map map) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        std::size_t len = 1;
        if (decodeAt(s, i, cp, len)) {
            appendUtf8(out, map(cp));
        } else {
            out.push_back(s[i]);
            len = 1;
        }
        i += len;
    }
    return out;
}

/// True if mapping would change `s` (most strings are already in the asked case).
template <typename Map>
bool changes(std::string_view s, Map map) {
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        std::size_t len = 1;
        if (decodeAt(s, i, cp, len) && map(cp) != cp) {
            return true;
        }
        i += len;
    }
    return false;
}

std::string_view view(FlowStr s) {
    return s.len > 0 ? std::string_view(s.ptr, static_cast<std::size_t>(s.len))
                     : std::string_view();
}

/// A copy of `text` in the call's arena; the empty string needs no memory.
FlowStr arenaCopy(FlowCtx* ctx, std::string_view text) {
    if (text.empty()) {
        return FlowStr{nullptr, 0};
    }
    auto n = static_cast<std::int64_t>(text.size());
    char* p = flowrt_alloc(ctx, n);
    std::memcpy(p, text.data(), text.size());
    return FlowStr{p, n};
}

}  // namespace

std::int64_t utf8Length(std::string_view s) {
    std::int64_t n = 0;
    for (char c : s) {
        n += isContinuation(c) ? 0 : 1;
    }
    return n;
}

std::string_view utf8Substr(std::string_view s, std::int64_t start, std::int64_t n) {
    // Walk to the first byte of code point `start`, then `n` code points further.
    std::size_t i = 0;
    auto skip = [&](std::int64_t count) {
        while (i < s.size() && count > 0) {
            ++i;
            while (i < s.size() && isContinuation(s[i])) {
                ++i;
            }
            --count;
        }
    };
    skip(start);
    std::size_t from = i;
    skip(n);
    return s.substr(from, i - from);
}

char32_t lowerCodePoint(char32_t c) {
    if (c < 0x80) {
        return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
    }
    if (c < 0x100) {
        return c >= 0xC0 && c <= 0xDE && c != 0xD7 ? c + 0x20 : c;
    }
    if (c <= 0x17F) {
        if (c == 0x130) {
            return 'i';  // İ: the simple mapping drops the dot
        }
        if (c == 0x178) {
            return 0xFF;  // Ÿ
        }
        if ((c <= 0x137 && c != 0x131) || (c >= 0x14A && c <= 0x177)) {
            return c % 2 == 0 ? c + 1 : c;
        }
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return c % 2 == 1 ? c + 1 : c;
        }
        return c;
    }
    if (c >= 0x386 && c <= 0x3AB) {
        if (c == 0x386) {
            return 0x3AC;
        }
        if (c >= 0x388 && c <= 0x38A) {
            return c + 37;
        }
        if (c == 0x38C) {
            return 0x3CC;
        }
        if (c == 0x38E || c == 0x38F) {
            return c + 63;
        }
        return (c >= 0x391 && c <= 0x3A1) || c >= 0x3A3 ? c + 0x20 : c;
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 0x50;
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 0x20;
    }
    return c;
}

char32_t upperCodePoint(char32_t c) {
    if (c < 0x80) {
        return c >= 'a' && c <= 'z' ? c - 0x20 : c;
    }
    if (c < 0x100) {
        if (c == 0xB5) {
            return 0x39C;  // µ: MICRO SIGN uppercases to GREEK CAPITAL MU
        }
        if (c == 0xFF) {
            return 0x178;
        }
        return c >= 0xE0 && c <= 0xFE && c != 0xF7 ? c - 0x20 : c;
    }
    if (c <= 0x17F) {
        if (c == 0x131) {
            return 'I';  // dotless ı
        }
        if (c == 0x17F) {
            return 'S';  // long ſ
        }
        if ((c <= 0x137 && c != 0x130) || (c >= 0x14A && c <= 0x177)) {
            return c % 2 == 1 ? c - 1 : c;
        }
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return c % 2 == 0 ? c - 1 : c;
        }
        return c;
    }
    if (c >= 0x3AC && c <= 0x3CE) {
        if (c == 0x3AC) {
            return 0x386;
        }
        if (c >= 0x3AD && c <= 0x3AF) {
            return c - 37;
        }
        if (c == 0x3C2) {
            return 0x3A3;  // final ς
        }
        if (c == 0x3CC) {
            return 0x38C;
        }
        if (c == 0x3CD || c == 0x3CE) {
            return c - 63;
        }
        return c >= 0x3B1 && c <= 0x3CB ? c - 0x20 : c;
    }
    if (c >= 0x430 && c <= 0x44F) {
        return c - 0x20;
    }
    if (c >= 0x450 && c <= 0x45F) {
        return c - 0x50;
    }
    return c;
}

std::string lowerUtf8(std::string_view s) {
    return mapUtf8(s, lowerCodePoint);
}

std::string upperUtf8(std::string_view s) {
    return mapUtf8(s, upperCodePoint);
}

}  // namespace flow::rt

using flow::rt::arenaCopy;
using flow::rt::view;

extern "C" {

int32_t flowrt_str_eq(FlowStr a, FlowStr b) {
    return a.len == b.len &&
                   (a.len == 0 || std::memcmp(a.ptr, b.ptr, static_cast<std::size_t>(a.len)) == 0)
               ? 1
               : 0;
}

int32_t flowrt_str_cmp(FlowStr a, FlowStr b) {
    // Byte order of UTF-8 is code point order; a proper prefix sorts first.
    int c = view(a).compare(view(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

FlowStr flowrt_str_concat(FlowCtx* ctx, FlowStr a, FlowStr b) {
    // Strings are immutable and live at least as long as the call: an empty side lets
    // the other through without a copy.
    if (a.len == 0) {
        return b;
    }
    if (b.len == 0) {
        return a;
    }
    char* p = flowrt_alloc(ctx, a.len + b.len);
    std::memcpy(p, a.ptr, static_cast<std::size_t>(a.len));
    std::memcpy(p + a.len, b.ptr, static_cast<std::size_t>(b.len));
    return FlowStr{p, a.len + b.len};
}

int64_t flowrt_len_string(FlowStr s) {
    return flow::rt::utf8Length(view(s));
}

FlowStr flowrt_lower_string(FlowCtx* ctx, FlowStr s) {
    if (!flow::rt::changes(view(s), flow::rt::lowerCodePoint)) {
        return s;
    }
    return arenaCopy(ctx, flow::rt::lowerUtf8(view(s)));
}

FlowStr flowrt_upper_string(FlowCtx* ctx, FlowStr s) {
    if (!flow::rt::changes(view(s), flow::rt::upperCodePoint)) {
        return s;
    }
    return arenaCopy(ctx, flow::rt::upperUtf8(view(s)));
}

int32_t flowrt_contains_string_string(FlowStr s, FlowStr t) {
    // Valid UTF-8 never matches in the middle of a sequence, so bytes suffice.
    return view(s).find(view(t)) != std::string_view::npos ? 1 : 0;
}

int32_t flowrt_starts_with_string_string(FlowStr s, FlowStr t) {
    return view(s).starts_with(view(t)) ? 1 : 0;
}

int32_t flowrt_substr_string_int_int(FlowCtx* ctx, FlowStr s, int64_t start, int64_t n,
                                     FlowStr* out, int32_t site) {
    if (start < 0 || n < 0) {
        return flowrt_fail(ctx, FLOW_ERR_RANGE, site);
    }
    // A substring is a view of its argument, which outlives the call: no copy.
    std::string_view sub = flow::rt::utf8Substr(view(s), start, n);
    *out = sub.empty() ? FlowStr{nullptr, 0}
                       : FlowStr{sub.data(), static_cast<std::int64_t>(sub.size())};
    return FLOW_OK;
}

}  // extern "C"
