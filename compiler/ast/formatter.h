// ast/formatter.h - `flowc fmt`: the canonical layout of a Flow file, comments kept.
#pragma once

#include "ast/decl.h"
#include "support/source_manager.h"

#include <string>

namespace flow::ast {

/// Prints `file` in canonical form. Every comment of the source is kept, attached to
/// the declaration, member, statement or step it precedes (or ends the line of).
/// Formatting is idempotent: formatting the output again gives the same text.
std::string formatFile(const File& file, const SourceFile& source);

}  // namespace flow::ast
