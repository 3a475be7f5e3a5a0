// lower/ast_to_ir.h - the checked AST to the Flow IR (a plan per service plus kernels).
//
// Lowering runs only on programs sema accepted: every name resolves and every type
// fits, so it reports no diagnostics of its own. Like Soufflé's ast2ram, neither IR
// depends on the other; this module is the only place that knows both.
#pragma once

#include "ast/decl.h"
#include "ir/ir.h"
#include "sema/symbols.h"
#include "support/source_manager.h"

#include <memory>

namespace flow::lower {

std::unique_ptr<ir::Program> lowerProgram(const ast::Program& program, const sema::SemaResult& sema,
                                          const SourceManager& sources);

}  // namespace flow::lower
