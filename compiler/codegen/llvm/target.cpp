// codegen/llvm/target.cpp - the host target machine and the O2 pipeline (new pass manager).
#include "codegen/llvm/target.h"

#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <mutex>

namespace flow::llvmgen {

void initializeLlvm() {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
    });
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(TargetUse use, std::string& error) {
    initializeLlvm();
    llvm::Expected<llvm::orc::JITTargetMachineBuilder> builder =
        use == TargetUse::Jit
            ? llvm::orc::JITTargetMachineBuilder::detectHost()
            : llvm::orc::JITTargetMachineBuilder(llvm::Triple(llvm::sys::getProcessTriple()));
    if (!builder) {
        error = llvm::toString(builder.takeError());
        return nullptr;
    }
    builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
    builder->setRelocationModel(llvm::Reloc::PIC_);
    auto machine = builder->createTargetMachine();
    if (!machine) {
        error = llvm::toString(machine.takeError());
        return nullptr;
    }
    return std::move(*machine);
}

void optimizeModule(llvm::Module& module, llvm::TargetMachine& target, int optLevel) {
    if (optLevel <= 0) {
        return;
    }
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PassBuilder builder(&target);
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(cgscc);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, cgscc, modules);
    llvm::OptimizationLevel level =
        optLevel == 1 ? llvm::OptimizationLevel::O1
                      : (optLevel >= 3 ? llvm::OptimizationLevel::O3 : llvm::OptimizationLevel::O2);
    llvm::ModulePassManager pipeline = builder.buildPerModuleDefaultPipeline(level);
    pipeline.run(module, modules);
}

}  // namespace flow::llvmgen
