// support/diagnostic_engine.cpp - collects diagnostics from every phase and renders them.
#include "support/diagnostic_engine.h"

#include "support/text.h"

#include <algorithm>
#include <tuple>

namespace flow {

namespace {

const DiagInfo kInfos[] = {
#define FLOW_DIAG(code, severity, id, format) {#code, Severity::severity, #id, format},
#include "support/diagnostic_codes.def"
#undef FLOW_DIAG
};

}  // namespace

const DiagInfo& diagInfo(DiagCode code) {
    return kInfos[static_cast<std::size_t>(code)];
}

const std::vector<DiagCode>& allDiagCodes() {
    static const std::vector<DiagCode> codes = [] {
        std::vector<DiagCode> v;
        for (std::size_t i = 0; i < std::size(kInfos); ++i) {
            v.push_back(static_cast<DiagCode>(i));
        }
        return v;
    }();
    return codes;
}

const char* severityName(Severity s) {
    switch (s) {
    case Severity::Note:
        return "note";
    case Severity::Warning:
        return "warning";
    case Severity::Error:
        return "error";
    }
    return "error";
}

std::string formatMessage(std::string_view format, const std::vector<std::string>& args) {
    std::string out;
    out.reserve(format.size() + 32);
    std::size_t next = 0;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] == '{' && i + 1 < format.size() && format[i + 1] == '}') {
            if (next < args.size()) {
                out += args[next];
            }
            ++next;
            ++i;
        } else {
            out += format[i];
        }
    }
    return out;
}

Diagnostic& DiagnosticEngine::add(DiagCode code, SourceRange range, std::string message) {
    Severity severity = diagInfo(code).severity;
    if (severity == Severity::Error) {
        ++errorCount_;
    } else if (severity == Severity::Warning) {
        ++warningCount_;
    }
    diags_.push_back(Diagnostic{code, severity, range, std::move(message), {}});
    return diags_.back();
}

void DiagnosticEngine::absorb(DiagnosticEngine& other) {
    for (Diagnostic& d : other.diags_) {
        if (d.severity == Severity::Error) {
            ++errorCount_;
        } else if (d.severity == Severity::Warning) {
            ++warningCount_;
        }
        diags_.push_back(std::move(d));
    }
    other.diags_.clear();
    other.errorCount_ = 0;
    other.warningCount_ = 0;
}

std::vector<const Diagnostic*> DiagnosticEngine::sorted() const {
    // Keys are computed once: a flood of diagnostics must not copy a path per comparison.
    struct Key {
        const std::string* path;
        std::uint32_t offset;
        int severity;
        std::size_t index;
        const Diagnostic* diag;
    };
    static const std::string kNoPath;
    std::vector<Key> keys;
    keys.reserve(diags_.size());
    for (const Diagnostic& d : diags_) {
        const std::string* path =
            d.range.valid() ? &sources_.file(d.range.begin.file).path() : &kNoPath;
        keys.push_back(
            {path, d.range.begin.offset, -static_cast<int>(d.severity), keys.size(), &d});
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        if (a.path != b.path) {
            int c = a.path->compare(*b.path);
            if (c != 0) {
                return c < 0;
            }
        }
        return std::tie(a.offset, a.severity, a.index) < std::tie(b.offset, b.severity, b.index);
    });
    std::vector<const Diagnostic*> out;
    out.reserve(keys.size());
    for (const Key& k : keys) {
        out.push_back(k.diag);
    }
    return out;
}

namespace {

/// Source lines longer than this many bytes are cut to a window around the caret.
constexpr std::size_t kMaxShownLine = 160;
constexpr std::size_t kShownBeforeCaret = 60;

const char* colorOf(Severity s) {
    switch (s) {
    case Severity::Error:
        return "\x1b[1;31m";
    case Severity::Warning:
        return "\x1b[1;35m";
    case Severity::Note:
        return "\x1b[1;36m";
    }
    return "";
}

}  // namespace

void DiagnosticEngine::renderLocated(std::string& out, SourceRange range, Severity severity,
                                     std::string_view message, std::string_view code,
                                     bool color) const {
    const char* bold = color ? "\x1b[1m" : "";
    const char* reset = color ? "\x1b[0m" : "";
    if (range.valid()) {
        out += bold;
        out += sources_.describe(range.begin);
        out += ": ";
        out += reset;
    }
    if (color) {
        out += colorOf(severity);
    }
    out += severityName(severity);
    out += ": ";
    out += reset;
    out += bold;
    out += message;
    if (!code.empty()) {
        out += " [";
        out += code;
        out += "]";
    }
    out += reset;
    out += '\n';
    if (!range.valid()) {
        return;
    }
    const SourceFile& file = sources_.file(range.begin.file);
    LineColumn lc = file.lineColumn(range.begin.offset);
    std::string_view line = file.lineText(lc.line);
    std::size_t beginByte = std::min<std::size_t>(lc.column - 1, line.size());
    std::size_t endByte = line.size();
    LineColumn endLc = file.lineColumn(range.end);
    if (endLc.line == lc.line && range.end > range.begin.offset) {
        endByte = std::min<std::size_t>(endLc.column - 1, line.size());
    } else if (endLc.line == lc.line) {
        endByte = beginByte;
    }
    // A very long line (minified or generated input) is shown as a window around the
    // caret, so one diagnostic never prints megabytes.
    std::string_view prefix, suffix;
    if (line.size() > kMaxShownLine) {
        auto isContinuation = [&](std::size_t i) {
            return i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80;
        };
        std::size_t from = beginByte > kShownBeforeCaret ? beginByte - kShownBeforeCaret : 0;
        while (isContinuation(from)) {
            ++from;
        }
        std::size_t to = std::min(line.size(), from + kMaxShownLine);
        while (isContinuation(to)) {
            ++to;
        }
        prefix = from > 0 ? "..." : "";
        suffix = to < line.size() ? "..." : "";
        line = line.substr(from, to - from);
        beginByte -= from;
        endByte = endByte < from ? beginByte : std::min(endByte - from, line.size());
    }
    // Columns on screen count code points, with tabs shown as one space.
    std::string shown = std::string(prefix) + displayLine(line) + std::string(suffix);
    std::size_t caretCol = prefix.size() + displayWidth(line.substr(0, beginByte));
    std::size_t spanWidth = 1;
    if (endByte > beginByte) {
        spanWidth =
            std::max<std::size_t>(1, displayWidth(line.substr(beginByte, endByte - beginByte)));
    }
    std::string num = std::to_string(lc.line);
    std::string gutter(std::max<std::size_t>(num.size(), 4), ' ');
    std::string lineNo = std::string(gutter.size() - num.size(), ' ') + num;
    out += lineNo + " | " + shown + "\n";
    out += gutter + " | " + std::string(caretCol, ' ');
    if (color) {
        out += "\x1b[1;32m";
    }
    out += '^';
    out += std::string(spanWidth - 1, '~');
    out += reset;
    out += '\n';
}

std::string DiagnosticEngine::renderText(const Diagnostic& d, bool color) const {
    std::string out;
    renderLocated(out, d.range, d.severity, d.message, diagInfo(d.code).code, color);
    for (const DiagNote& n : d.notes) {
        renderLocated(out, n.range, Severity::Note, n.message, {}, color);
    }
    return out;
}

std::string DiagnosticEngine::renderAllText(bool color, std::size_t limit) const {
    std::string out;
    std::size_t shown = 0;
    for (const Diagnostic* d : sorted()) {
        if (limit != 0 && shown == limit) {
            out += "note: " + std::to_string(diags_.size() - shown) +
                   " more diagnostics not shown (use --error-limit=0 to see all)\n";
            break;
        }
        out += renderText(*d, color);
        ++shown;
    }
    if (errorCount_ > 0) {
        out += std::to_string(errorCount_) + (errorCount_ == 1 ? " error" : " errors") +
               " generated.\n";
    }
    return out;
}

}  // namespace flow
