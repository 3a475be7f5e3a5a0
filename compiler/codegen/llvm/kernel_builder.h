// codegen/llvm/kernel_builder.h - one kernel as an LLVM function (FlowKernelFn, abi.h).
//
// The function computes exactly what the C++ backend's (codegen/cpp/kernel_emitter.h)
// does: the same overflow, division and range checks with the same error codes and
// sites, strings through the same flowrt_* calls, rows at the IR layout's offsets. Lazy
// operands (the right side of && and ||, the fallback of coalesce, the values of
// matches, an absent row's default, a require's message) get blocks of their own, so
// nothing runs that the IR would not run. A `return` or a failure ends its block; code
// after it goes to a block without predecessors, which the optimiser deletes.
#pragma once

#include "ir/ir.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <map>
#include <string>
#include <vector>

namespace flow::llvmgen {

/// What every kernel of a module shares: the program, the LLVM types of the ABI, the
/// runtime's functions, the string constants and the errors found.
class ModuleContext {
public:
    ModuleContext(const ir::Program& program, llvm::Module& module);

    const ir::Program& program;
    llvm::Module& module;
    llvm::LLVMContext& context;

    llvm::IntegerType* i1;
    llvm::IntegerType* i8;
    llvm::IntegerType* i32;
    llvm::IntegerType* i64;
    llvm::Type* f64;
    llvm::PointerType* ptr;
    llvm::StructType* str;  // FlowStr as a C result: {ptr, i64}
    llvm::FunctionType* kernelType;

    /// Per layout: the kernel that fills a row of it with defaults, or -1.
    std::vector<std::int32_t> defaultsOf;
    std::vector<std::string> errors;

    const ir::Layout& layout(std::int32_t id) const {
        return program.layouts[static_cast<std::size_t>(id)];
    }
    bool validLayout(std::int32_t id) const {
        return id >= 0 && static_cast<std::size_t>(id) < program.layouts.size();
    }
    /// The bytes of `s` as a private constant (one per distinct string).
    llvm::Constant* stringBytes(const std::string& s);
    /// A runtime function of abi.h (flowrt_lookup, flowrt_fail, ...) declared once.
    llvm::FunctionCallee runtime(const std::string& name, llvm::FunctionType* type);
    void error(std::string message) { errors.push_back(std::move(message)); }

private:
    std::map<std::string, llvm::Constant*> strings_;
};

/// Fills `fn` (declared with `cx.kernelType`) with the body of kernel `k`.
void buildKernel(ModuleContext& cx, const ir::Kernel& k, llvm::Function* fn);

}  // namespace flow::llvmgen
