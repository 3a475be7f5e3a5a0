// codegen/llvm/llvm_emitter.h - the LLVM backend: a checked program's kernels as one LLVM
// module, built with IRBuilder from the same ir::Program the C++ backend reads, to the
// same ABI (flow/rt/abi.h).
//
// Kernel k becomes the function `flow_<k.name>` of type FlowKernelFn (internal: only the
// table reaches it), and `flow_kernels` is the table of every kernel in kernel-id order,
// which the JIT (jit.h) looks up. A module for an executable (object_emitter.h) also holds
// the plan's JSON and a `main` that calls the runtime's flowrt_main. Every module is
// checked with llvm::verifyModule before anything else sees it.
//
// The header names no LLVM type beyond forward declarations, so its users need not see
// LLVM's headers.
#pragma once

#include "ir/ir.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
}  // namespace llvm

namespace flow::llvmgen {

struct Options {
    /// 2: the new pass manager's default O2 pipeline; 0: the module as built, for reading
    /// and debugging (`flowc --emit=llvm --llvm-opt=0`).
    int optLevel = 2;
};

enum class ModuleKind : unsigned char {
    Kernels,     // the kernels and their table (the JIT, --emit=llvm)
    Executable,  // and the plan and `main` (an object file for `flowc build`)
};

/// Builds and verifies the module for `target`'s triple and data layout. IR the backend
/// cannot translate, or a module that fails verification, is an internal compiler error:
/// the messages go to `errors` and the result is null.
std::unique_ptr<llvm::Module> buildModule(const ir::Program& program, llvm::LLVMContext& context,
                                          const llvm::TargetMachine& target, ModuleKind kind,
                                          std::vector<std::string>& errors);

struct TextOutput {
    std::string text;
    std::vector<std::string> errors;  // internal compiler errors; no text then
};

/// `flowc --emit=llvm`: the module for the host, optimised at `options.optLevel`, as text.
TextOutput emitLlvmText(const ir::Program& program, const Options& options);

}  // namespace flow::llvmgen
