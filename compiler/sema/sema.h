// sema/sema.h - name resolution, type checking and the language's rules (LANGUAGE.md §1, §6).
#pragma once

#include "ast/decl.h"
#include "sema/symbols.h"
#include "support/diagnostic_engine.h"

#include <memory>
#include <string>

namespace flow::sema {

/// Analyses a whole program (every file, including the standard library). Reports
/// every independent error it finds; the result is complete only when no error was
/// reported.
std::unique_ptr<SemaResult> analyze(const ast::Program& program, DiagnosticEngine& diags);

/// Structural equality of expressions, as `group by` matching uses it.
bool sameExpr(const ast::Expr& a, const ast::Expr& b);

/// `--emit=sema`: every declaration with its resolved types, keys, subscriptions and
/// the type of every expression. Deterministic.
std::string printSema(const ast::Program& program, const SemaResult& result,
                      const SourceManager& sources);

}  // namespace flow::sema
