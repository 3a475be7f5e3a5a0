// flow/rt/host.h - the entry point of a compiled Flow program: `EXE run|test|dump|trace`.
#pragma once

#include "flow/rt/plan.h"

namespace flow::rt {

/// What `main` of a generated executable calls (and `flowc run`/`flowc test` in
/// process with JIT-compiled kernels). Parses the command line, loads the plan and
/// runs the requested command; returns the process exit status.
int runMain(const plan::CompiledProgram& program, int argc, char** argv);

}  // namespace flow::rt
