// codegen/plan_writer.h - the plan half of the IR as the JSON the runtime reads
// (flow/rt/plan.h, parsePlan).
#pragma once

#include "ir/ir.h"

#include <string>

namespace flow::codegen {

/// The program's plan: {"format":"flow-plan","version":1,...} with every field of
/// flow/rt/plan.h's structs, in their order, names in camelCase, enums as the
/// lowerCamelCase spelling of their enumerators ("int", "queryExpr", "expectEmitted").
/// Deterministic: the same program gives the same bytes. Each element of a top-level
/// array is on a line of its own, so the text diffs well.
std::string writePlanJson(const ir::Program& program);

}  // namespace flow::codegen
