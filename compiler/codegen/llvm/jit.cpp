// codegen/llvm/jit.cpp - ORC LLJIT: one JITDylib and ResourceTracker per loaded program.
#include "codegen/llvm/jit.h"

#include "codegen/llvm/target.h"

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Target/TargetMachine.h>

#include <chrono>
#include <cmath>
#include <cstring>

namespace flow::llvmgen {

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

/// What code generation may call on its own (a large memset, frem), from the C library.
std::vector<RuntimeSymbol> cLibrarySymbols() {
    using Memory = void* (*)(void*, const void*, std::size_t);
    using Fill = void* (*)(void*, int, std::size_t);
    using Mod = double (*)(double, double);
    return {
        {"memcpy", reinterpret_cast<const void*>(static_cast<Memory>(&std::memcpy))},
        {"memmove", reinterpret_cast<const void*>(static_cast<Memory>(&std::memmove))},
        {"memset", reinterpret_cast<const void*>(static_cast<Fill>(&std::memset))},
        {"fmod", reinterpret_cast<const void*>(static_cast<Mod>(&std::fmod))},
    };
}

}  // namespace

struct Jit::State {
    std::unique_ptr<llvm::orc::LLJIT> lljit;
    llvm::orc::JITDylib* runtime = nullptr;
    std::unique_ptr<llvm::TargetMachine> target;  // the optimiser's view of the host
    std::size_t loaded = 0;
    int optLevel = 2;
};

struct JitProgram::State {
    llvm::orc::LLJIT* lljit = nullptr;
    llvm::orc::JITDylib* dylib = nullptr;
    llvm::orc::ResourceTrackerSP tracker;
};

JitProgram::~JitProgram() {
    if (state_ && state_->dylib != nullptr) {
        llvm::consumeError(state_->tracker->remove());
        llvm::consumeError(state_->lljit->getExecutionSession().removeJITDylib(*state_->dylib));
    }
}

Jit::~Jit() = default;

std::unique_ptr<Jit> Jit::create(const std::vector<RuntimeSymbol>& runtime, const Options& options,
                                 std::string& error) {
    initializeLlvm();
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder) {
        error = llvm::toString(builder.takeError());
        return nullptr;
    }
    // Code generation follows the IR's level: SelectionDAG and the greedy register
    // allocator at O2 (about two thirds of the shop's compile time, bench/llvm), FastISel
    // at O0.
    builder->setCodeGenOptLevel(options.optLevel > 0 ? llvm::CodeGenOptLevel::Default
                                                     : llvm::CodeGenOptLevel::None);
    builder->setRelocationModel(llvm::Reloc::PIC_);
    auto target = builder->createTargetMachine();
    if (!target) {
        error = llvm::toString(target.takeError());
        return nullptr;
    }
    auto lljit = llvm::orc::LLJITBuilder()
                     .setJITTargetMachineBuilder(std::move(*builder))
                     .setLinkProcessSymbolsByDefault(false)
                     .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                     .create();
    if (!lljit) {
        error = llvm::toString(lljit.takeError());
        return nullptr;
    }
    auto dylib = (*lljit)->createJITDylib("flowrt");
    if (!dylib) {
        error = llvm::toString(dylib.takeError());
        return nullptr;
    }
    llvm::orc::SymbolMap symbols;
    auto add = [&](const RuntimeSymbol& s) {
        symbols[(*lljit)->mangleAndIntern(s.name)] = llvm::orc::ExecutorSymbolDef(
            llvm::orc::ExecutorAddr::fromPtr(s.address),
            llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
    };
    for (const RuntimeSymbol& s : runtime) {
        add(s);
    }
    for (const RuntimeSymbol& s : cLibrarySymbols()) {
        add(s);
    }
    if (llvm::Error e = dylib->define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
        error = llvm::toString(std::move(e));
        return nullptr;
    }
    std::unique_ptr<Jit> jit(new Jit);
    jit->state_ = std::make_unique<State>();
    jit->state_->lljit = std::move(*lljit);
    jit->state_->runtime = &*dylib;
    jit->state_->target = std::move(*target);
    jit->state_->optLevel = options.optLevel;
    return jit;
}

std::unique_ptr<JitProgram> Jit::load(const ir::Program& program,
                                      std::vector<std::string>& errors) {
    State& s = *state_;
    std::unique_ptr<JitProgram> out(new JitProgram);
    Clock::time_point start = Clock::now();
    auto context = std::make_unique<llvm::LLVMContext>();
    std::unique_ptr<llvm::Module> module =
        buildModule(program, *context, *s.target, ModuleKind::Kernels, errors);
    if (!module) {
        return nullptr;
    }
    out->timings_.build = millisSince(start);
    start = Clock::now();
    optimizeModule(*module, *s.target, s.optLevel);
    out->timings_.optimize = millisSince(start);

    start = Clock::now();
    auto dylib = s.lljit->createJITDylib("flow.program." + std::to_string(s.loaded++));
    if (!dylib) {
        errors.push_back(llvm::toString(dylib.takeError()));
        return nullptr;
    }
    dylib->addToLinkOrder(*s.runtime);
    out->state_ = std::make_unique<JitProgram::State>();
    out->state_->lljit = s.lljit.get();
    out->state_->dylib = &*dylib;
    out->state_->tracker = dylib->createResourceTracker();
    llvm::orc::ThreadSafeModule tsm(std::move(module), std::move(context));
    if (llvm::Error e = s.lljit->addIRModule(out->state_->tracker, std::move(tsm))) {
        errors.push_back(llvm::toString(std::move(e)));
        return nullptr;
    }
    auto table = s.lljit->lookup(*dylib, "flow_kernels");
    if (!table) {
        errors.push_back("the JIT cannot link the program's kernels: " +
                         llvm::toString(table.takeError()));
        return nullptr;
    }
    out->timings_.codegen = millisSince(start);
    out->kernels_ = table->toPtr<const FlowKernelFn*>();
    out->count_ = program.kernels.size();
    return out;
}

}  // namespace flow::llvmgen
