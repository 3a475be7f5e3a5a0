// ir/ir_printer.h - `--emit=ir`: a deterministic text dump of the Flow IR.
#pragma once

#include "ir/ir.h"

#include <string>

namespace flow::ir {

std::string printProgram(const Program& p);
std::string typeName(const Program& p, const Type& t);

}  // namespace flow::ir
