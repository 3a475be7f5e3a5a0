// parse/parser.h - source text to AST; the ANTLR parse tree never leaves this module.
#pragma once

#include "ast/decl.h"
#include "support/diagnostic_engine.h"
#include "support/source_manager.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace flow::parse {

/// The most nesting any --max-nesting allows: deeper input would overflow the parser's
/// stack (checked with ASan, whose frames are the largest).
constexpr std::uint32_t kMaxNestingCeiling = 1024;

/// Limits on untrusted input. Each is reported with an E09xx code when exceeded.
struct ParseLimits {
    std::size_t maxFileBytes = 8u << 20;  // 8 MiB per file
    std::uint32_t maxNesting = 256;       // brackets, prefix operators, 'else if' (<= 1024)
    std::uint32_t maxExprDepth = 1024;    // operator chains (`a + b + ...`)
    std::uint32_t maxFiles = 4096;        // files reachable through imports
};

struct ParseOptions {
    ParseLimits limits;
    bool stdlib = false;  // the embedded standard library: `builtin` declarations allowed
};

/// Lexes and parses one file. Reports every lexical and syntax error into `diags`
/// (at most one syntax error per declaration, so recovery does not cascade) and
/// returns null if there were any. Expression ids are drawn from `program`.
std::unique_ptr<ast::File> parseFile(const SourceFile& file, ast::Program& program,
                                     DiagnosticEngine& diags, const ParseOptions& options);

/// `--emit=tokens`: one token a line, `line:col KIND 'text'`, comments included.
/// Returns false (after reporting) if the file cannot be lexed.
bool dumpTokens(const SourceFile& file, DiagnosticEngine& diags, std::string& out,
                const ParseOptions& options);

}  // namespace flow::parse
