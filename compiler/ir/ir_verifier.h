// ir/ir_verifier.h - structural checks of the Flow IR (always on in debug builds).
#pragma once

#include "ir/ir.h"

#include <string>
#include <vector>

namespace flow::ir {

/// Every reference in range, every argument and field index valid for its kernel,
/// every write to a writable argument, every Emit and Set of the right shape.
/// Returns the problems found (empty: the program is well formed).
std::vector<std::string> verify(const Program& p);

}  // namespace flow::ir
