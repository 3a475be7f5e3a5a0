// support/diagnostic_engine.h - collects diagnostics from every phase and renders them.
#pragma once

#include "support/diagnostic.h"
#include "support/source_manager.h"

#include <deque>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace flow {

/// Replaces each `{}` in `format` with the next of `args`, in order.
std::string formatMessage(std::string_view format, const std::vector<std::string>& args);

/// Phases report user errors here and keep going; they never throw them. The driver
/// checks hasErrors() after each phase and stops, so one mistake does not cascade.
class DiagnosticEngine {
public:
    explicit DiagnosticEngine(const SourceManager& sources) : sources_(sources) {}

    template <typename... Args>
    Diagnostic& report(DiagCode code, SourceRange range, const Args&... args) {
        return add(code, range, formatMessage(diagInfo(code).format, {toArg(args)...}));
    }

    bool hasErrors() const { return errorCount_ > 0; }
    std::size_t errorCount() const { return errorCount_; }
    std::size_t warningCount() const { return warningCount_; }

    /// The diagnostics sorted by file, position, then severity (errors first).
    std::vector<const Diagnostic*> sorted() const;

    /// clang-style text: "file:line:col: error: message [E0201]", source line, caret.
    std::string renderText(const Diagnostic& d, bool color = false) const;
    std::string renderAllText(bool color = false, std::size_t limit = 0) const;

    const SourceManager& sources() const { return sources_; }

    /// Moves every diagnostic of `other` (a phase run on another thread) into this one,
    /// in the order they were reported.
    void absorb(DiagnosticEngine& other);

private:
    Diagnostic& add(DiagCode code, SourceRange range, std::string message);
    void renderLocated(std::string& out, SourceRange range, Severity severity,
                       std::string_view message, std::string_view code, bool color) const;

    static std::string toArg(std::string_view s) { return std::string(s); }
    static std::string toArg(const std::string& s) { return s; }
    static std::string toArg(const char* s) { return s; }
    template <typename T>
    requires std::is_arithmetic_v<T>
    static std::string toArg(T v) { return std::to_string(v); }

    const SourceManager& sources_;
    std::deque<Diagnostic> diags_;  // stable addresses: report() returns a reference
    std::size_t errorCount_ = 0;
    std::size_t warningCount_ = 0;
};

}  // namespace flow
