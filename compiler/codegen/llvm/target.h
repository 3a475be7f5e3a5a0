// codegen/llvm/target.h - the machine the LLVM backend compiles for, and the optimiser.
#pragma once

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
}  // namespace llvm

namespace flow::llvmgen {

/// Registers the host target with LLVM (once per process; thread-safe).
void initializeLlvm();

enum class TargetUse : unsigned char {
    Jit,     // the host CPU and its features
    Object,  // the host triple with a generic CPU, so an executable runs on any machine
             // the C++ backend's would (PIC, for position-independent executables)
};

/// A target machine for the host at CodeGenOptLevel::Default; null with `error` set if
/// LLVM does not support the host.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(TargetUse use, std::string& error);

/// Runs the new pass manager's default pipeline at O2 on `module`, tuned for `target`
/// (nothing at level 0).
void optimizeModule(llvm::Module& module, llvm::TargetMachine& target, int optLevel);

}  // namespace flow::llvmgen
