// codegen/llvm/jit.h - a program's kernels JIT-compiled with ORC LLJIT, for `flowc run`,
// `flowc test`, `flowc dump` and `flowc trace`: no C++ compiler is needed to run a program.
//
// One Jit (one LLJIT) serves a process. Each loaded program gets a JITDylib of its own
// with one ResourceTracker, which owns its code; destroying the JitProgram removes both.
// Kernels reach the runtime only through the symbols given to Jit::create (every
// flowrt_* function of abi.h), defined as absolute symbols in a JITDylib every program
// links against; nothing else of the process is visible to them but the C library's
// memcpy, memset, memmove and fmod, which code generation may call.
#pragma once

#include "codegen/llvm/llvm_emitter.h"
#include "flow/rt/abi.h"
#include "ir/ir.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace flow::llvmgen {

/// A function of the runtime by its C name, at its address in this process.
struct RuntimeSymbol {
    std::string name;
    const void* address = nullptr;
};

/// Where a load's time went, in milliseconds of wall time.
struct JitTimings {
    double build = 0;     // the IR to LLVM IR, and its verification
    double optimize = 0;  // the O2 pipeline
    double codegen = 0;   // machine code and linking, when the kernel table is looked up
    double total() const { return build + optimize + codegen; }
};

/// A program's compiled kernels. Must not outlive the Jit that loaded it.
class JitProgram {
public:
    ~JitProgram();
    JitProgram(const JitProgram&) = delete;
    JitProgram& operator=(const JitProgram&) = delete;

    /// The kernels in kernel-id order, as the runtime's CompiledProgram takes them.
    const FlowKernelFn* kernels() const { return kernels_; }
    std::size_t kernelCount() const { return count_; }
    const JitTimings& timings() const { return timings_; }

private:
    friend class Jit;
    struct State;
    JitProgram() = default;

    std::unique_ptr<State> state_;
    const FlowKernelFn* kernels_ = nullptr;
    std::size_t count_ = 0;
    JitTimings timings_;
};

class Jit {
public:
    /// A JIT for the host whose kernels call `runtime`, compiling at `options.optLevel`
    /// (O2: the IR's pipeline and code generation at CodeGenOptLevel::Default; O0: no IR
    /// passes and FastISel, for a quick start). Null with `error` set if LLVM cannot
    /// target this machine.
    static std::unique_ptr<Jit> create(const std::vector<RuntimeSymbol>& runtime,
                                       const Options& options, std::string& error);
    ~Jit();
    Jit(const Jit&) = delete;
    Jit& operator=(const Jit&) = delete;

    /// Builds, verifies, optimises and compiles `program`'s kernels. Null with `errors`
    /// set on an internal compiler error (IR the backend cannot translate, a module that
    /// fails verification, a symbol the runtime does not have).
    std::unique_ptr<JitProgram> load(const ir::Program& program, std::vector<std::string>& errors);

private:
    struct State;
    Jit() = default;
    std::unique_ptr<State> state_;
};

}  // namespace flow::llvmgen
