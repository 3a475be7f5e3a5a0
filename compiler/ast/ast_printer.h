// ast/ast_printer.h - `--emit=ast`: a deterministic dump of the AST with source positions.
#pragma once

#include "ast/decl.h"
#include "support/source_manager.h"

#include <string>

namespace flow::ast {

/// Source-like text of an expression, fully parenthesised when `parenthesize` is set
/// (for dumps), or with only the parentheses precedence needs (for `flowc fmt`).
std::string exprToString(const Expr& e, bool parenthesize);
std::string recordToString(const RecordLit& r, bool parenthesize);
std::string typeToString(const TypeRef& t);

std::string printAst(const Program& program, const SourceManager& sources);

}  // namespace flow::ast
