// support/diagnostic.h - one diagnostic: code, severity, span, message and attached notes.
#pragma once

#include "support/source_location.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flow {

enum class Severity : std::uint8_t { Note, Warning, Error };

enum class DiagCode : std::uint16_t {
#define FLOW_DIAG(code, severity, id, format) code,
#include "support/diagnostic_codes.def"
#undef FLOW_DIAG
};

struct DiagInfo {
    const char* code;  // "E0201"
    Severity severity;
    const char* id;      // "unknown_name"
    const char* format;  // with `{}` placeholders
};

const DiagInfo& diagInfo(DiagCode code);
/// Every defined code, in definition order (for tests and `flowc --list-diagnostics`).
const std::vector<DiagCode>& allDiagCodes();

struct DiagNote {
    SourceRange range;  // may be invalid: a note without a location
    std::string message;
};

struct Diagnostic {
    DiagCode code;
    Severity severity;
    SourceRange range;
    std::string message;
    std::vector<DiagNote> notes;

    Diagnostic& note(SourceRange where, std::string text) {
        notes.push_back({where, std::move(text)});
        return *this;
    }
    Diagnostic& note(std::string text) { return note(SourceRange{}, std::move(text)); }
};

const char* severityName(Severity s);

}  // namespace flow
