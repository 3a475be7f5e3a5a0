// codegen/llvm/object_emitter.h - `flowc build --backend llvm`: the program as an object
// file for the host, ready to link with libflow_runtime into an executable.
#pragma once

#include "codegen/llvm/llvm_emitter.h"
#include "ir/ir.h"

#include <string>
#include <vector>

namespace flow::llvmgen {

/// Writes `path`: the kernels, their table, the plan's JSON and `main`, which calls the
/// runtime's flowrt_main (runtime/src/engine/c_main.cpp), so the object linked with the
/// runtime is the same executable the C++ backend builds. Position-independent code for
/// the host triple and a generic CPU, through TargetMachine::addPassesToEmitFile.
/// Returns the errors (internal compiler errors, or a file that cannot be written).
std::vector<std::string> emitObjectFile(const ir::Program& program, const Options& options,
                                        const std::string& path);

}  // namespace flow::llvmgen
