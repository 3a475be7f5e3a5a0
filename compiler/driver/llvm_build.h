// driver/llvm_build.h - the LLVM backend in flowc: programs JIT-compiled and run in this
// process (`flowc run|test|dump|trace`), and `flowc build --backend llvm`.
#pragma once

#include "codegen/llvm/jit.h"
#include "ir/ir.h"

#include <string>
#include <vector>

namespace flow::driver {

/// The runtime's functions the kernels call (abi.h's callbacks and standard library), by
/// name and address in flowc, which links the runtime.
std::vector<llvmgen::RuntimeSymbol> runtimeSymbols();

/// JIT-compiles `program`'s kernels and runs flow::rt::runMain with `args` (the program's
/// command line after its name: "test", "run --input x.jsonl", ...), as the program's own
/// executable would. Returns its exit status, or 1 after reporting an internal compiler
/// error. $FLOW_JIT_TIMING=1 prints where the compile time went to stderr.
int runJitted(const ir::Program& program, const std::vector<std::string>& args,
              const llvmgen::Options& options);

/// `flowc build --backend llvm`: the program's object file (kernels, plan, `main`) linked
/// with the runtime library and its dependencies into `output`, with the link line the
/// C++ backend uses (driver/build_config.h). Returns the exit status.
int buildLlvmExecutable(const ir::Program& program, const std::string& output,
                        const llvmgen::Options& options);

}  // namespace flow::driver
