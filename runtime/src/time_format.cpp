// runtime/src/time_format.cpp - the text forms of timestamps (RFC 3339) and durations ("1h30m").
//
// One implementation for JSON, dumps and the standard library's string(x), so a value
// prints the same everywhere and every printed value parses back to itself.
#include "flow/rt/rows.h"

#include <cstdio>
#include <iterator>

namespace flow::rt {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian
// calendar over the whole int64 timestamp range.
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Civil civilFromDays(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Civil{static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leapYear(std::int64_t y) {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

unsigned daysInMonth(std::int64_t y, unsigned m) {
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leapYear(y) ? 29 : kDays[m - 1];
}

/// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, std::int64_t& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

struct DurationUnit {
    std::string_view name;
    std::int64_t micros;
};

// Largest first: the order formatDuration writes and parseDuration requires.
constexpr DurationUnit kUnits[] = {
    {"d", kMicrosPerDay},
    {"h", 3600 * kMicrosPerSecond},
    {"m", 60 * kMicrosPerSecond},
    {"s", kMicrosPerSecond},
    {"ms", 1000},
    {"us", 1},
};

}  // namespace

std::string formatTimestamp(std::int64_t micros) {
    std::int64_t days = micros / kMicrosPerDay;
    std::int64_t rem = micros % kMicrosPerDay;
    if (rem < 0) {
        rem += kMicrosPerDay;
        --days;
    }
    Civil c = civilFromDays(days);
    std::int64_t secs = rem / kMicrosPerSecond;
    std::int64_t frac = rem % kMicrosPerSecond;
    char buf[64];
    int n = 0;
    // Years outside 0000-9999 (RFC 3339's range) take ISO 8601's expanded form.
    if (c.year >= 0 && c.year <= 9999) {
        n = std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(c.year));
    } else if (c.year > 9999) {
        n = std::snprintf(buf, sizeof buf, "+%lld", static_cast<long long>(c.year));
    } else {
        n = std::snprintf(buf, sizeof buf, "-%04lld", -static_cast<long long>(c.year));
    }
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n),
                       "-%02u-%02uT%02lld:%02lld:%02lld", c.month, c.day,
                       static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                       static_cast<long long>(secs % 60));
    // Fractions in groups of three digits, as java.time prints them.
    if (frac != 0 && frac % 1000 == 0) {
        n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%03lld",
                           static_cast<long long>(frac / 1000));
    } else if (frac != 0) {
        n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06lld",
                           static_cast<long long>(frac));
    }
    return std::string(buf, static_cast<std::size_t>(n)) + "Z";
}

bool parseTimestamp(std::string_view s, std::int64_t& micros) {
    std::size_t pos = 0;
    std::int64_t year = 0;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        // Expanded years: a sign and 4 to 6 digits.
        std::size_t start = ++pos;
        while (pos < s.size() && isDigit(s[pos]) && pos - start < 7) {
            year = year * 10 + (s[pos++] - '0');
        }
        if (pos - start < 4 || pos - start > 6) {
            return false;
        }
        year = s[0] == '-' ? -year : year;
    } else if (!digits(s, pos, 4, year)) {
        return false;
    }
    std::int64_t month = 0;
    std::int64_t day = 0;
    std::int64_t hh = 0;
    std::int64_t mm = 0;
    std::int64_t ss = 0;
    if (!expect(s, pos, '-') || !digits(s, pos, 2, month) || !expect(s, pos, '-') ||
        !digits(s, pos, 2, day)) {
        return false;
    }
    if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) {
        return false;
    }
    ++pos;
    if (!digits(s, pos, 2, hh) || !expect(s, pos, ':') || !digits(s, pos, 2, mm) ||
        !expect(s, pos, ':') || !digits(s, pos, 2, ss)) {
        return false;
    }
    std::int64_t frac = 0;
    if (expect(s, pos, '.')) {
        // Up to nine digits; those past the sixth (below a microsecond) must be zero.
        std::size_t start = pos;
        while (pos < s.size() && isDigit(s[pos])) {
            std::size_t k = pos - start;
            if (k >= 9 || (k >= 6 && s[pos] != '0')) {
                return false;
            }
            if (k < 6) {
                frac = frac * 10 + (s[pos] - '0');
            }
            ++pos;
        }
        std::size_t n = pos - start;
        if (n == 0) {
            return false;
        }
        for (std::size_t k = n; k < 6; ++k) {
            frac *= 10;
        }
    }
    std::int64_t offset = 0;  // minutes east of UTC
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        bool west = s[pos++] == '-';
        std::int64_t oh = 0;
        std::int64_t om = 0;
        if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om) || oh > 23 ||
            om > 59) {
            return false;
        }
        offset = (west ? -1 : 1) * (oh * 60 + om);
    } else {
        return false;
    }
    if (pos != s.size() || month < 1 || month > 12 || day < 1 ||
        day > daysInMonth(year, static_cast<unsigned>(month)) || hh > 23 || mm > 59 || ss > 59) {
        return false;
    }
    std::int64_t days =
        daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    std::int64_t inDay = ((hh * 60 + mm - offset) * 60 + ss) * kMicrosPerSecond + frac;
    // Before the epoch, a day's start can lie below the range while the instant does not
    // (INT64_MIN is late on its day): count from the next midnight instead.
    if (days < 0) {
        days += 1;
        inDay -= kMicrosPerDay;
    }
    std::int64_t total = 0;
    if (__builtin_mul_overflow(days, kMicrosPerDay, &total) ||
        __builtin_add_overflow(total, inDay, &total)) {
        return false;
    }
    micros = total;
    return true;
}

std::string formatDuration(std::int64_t micros) {
    if (micros == 0) {
        return "0s";
    }
    std::string out = micros < 0 ? "-" : "";
    // The magnitude as unsigned: |INT64_MIN| does not fit an int64.
    std::uint64_t mag =
        micros < 0 ? ~static_cast<std::uint64_t>(micros) + 1 : static_cast<std::uint64_t>(micros);
    for (const DurationUnit& u : kUnits) {
        auto unit = static_cast<std::uint64_t>(u.micros);
        if (mag >= unit) {
            out += std::to_string(mag / unit);
            out += u.name;
            mag %= unit;
        }
    }
    return out;
}

bool parseDuration(std::string_view s, std::int64_t& micros) {
    std::size_t pos = 0;
    bool negative = expect(s, pos, '-');
    if (pos == s.size()) {
        return false;
    }
    std::uint64_t total = 0;
    int lastUnit = -1;
    while (pos < s.size()) {
        // A number (with an optional decimal fraction), then a unit.
        std::uint64_t whole = 0;
        std::size_t start = pos;
        while (pos < s.size() && isDigit(s[pos])) {
            if (__builtin_mul_overflow(whole, 10u, &whole) ||
                __builtin_add_overflow(whole, static_cast<unsigned>(s[pos] - '0'), &whole)) {
                return false;
            }
            ++pos;
        }
        if (pos == start) {
            return false;
        }
        std::uint64_t frac = 0;
        std::uint64_t scale = 1;  // 10^(significant fraction digits)
        if (expect(s, pos, '.')) {
            std::size_t fracStart = pos;
            std::uint64_t pending = 1;  // 10^(zeros seen since the last non-zero digit)
            while (pos < s.size() && isDigit(s[pos])) {
                if (pos - fracStart >= 12) {
                    return false;
                }
                if (s[pos] == '0') {
                    pending *= 10;
                } else {
                    frac = frac * pending * 10 + static_cast<std::uint64_t>(s[pos] - '0');
                    scale *= pending * 10;
                    pending = 1;
                }
                ++pos;
            }
            if (pos == fracStart) {
                return false;
            }
        }
        int unit = -1;
        for (int u = 0; u < static_cast<int>(std::size(kUnits)); ++u) {
            std::string_view name = kUnits[u].name;
            if (s.substr(pos, name.size()) == name &&
                (unit < 0 || name.size() > kUnits[unit].name.size())) {
                unit = u;
            }
        }
        std::size_t unitBytes = unit >= 0 ? kUnits[unit].name.size() : 0;
        if (s.substr(pos, 3) == "\xC2\xB5s") {  // µs, the SI spelling
            unit = 5;
            unitBytes = 3;
        }
        // Units run from largest to smallest, each at most once: "1h30m", never "30m1h".
        if (unit <= lastUnit) {
            return false;
        }
        pos += unitBytes;
        lastUnit = unit;
        auto perUnit = static_cast<std::uint64_t>(kUnits[unit].micros);
        // A fraction must come out in whole microseconds: "1.5s", "0.25d", not "0.5us".
        if (perUnit % scale != 0) {
            return false;
        }
        std::uint64_t value = 0;
        std::uint64_t part = 0;
        if (__builtin_mul_overflow(whole, perUnit, &value) ||
            __builtin_mul_overflow(frac, perUnit / scale, &part) ||
            __builtin_add_overflow(value, part, &value) ||
            __builtin_add_overflow(total, value, &total)) {
            return false;
        }
    }
    const std::uint64_t limit = negative ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << 63) - 1;
    if (total > limit) {
        return false;
    }
    micros = negative ? static_cast<std::int64_t>(~total + 1) : static_cast<std::int64_t>(total);
    return true;
}

}  // namespace flow::rt
