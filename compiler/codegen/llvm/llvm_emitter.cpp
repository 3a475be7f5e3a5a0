// codegen/llvm/llvm_emitter.cpp - the program's module: kernels, their table, and for an
// executable the plan and `main`; verified every time.
#include "codegen/llvm/llvm_emitter.h"

#include "codegen/llvm/kernel_builder.h"
#include "codegen/llvm/target.h"
#include "codegen/plan_writer.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

namespace flow::llvmgen {

namespace {

/// `main(argc, argv)`: flowrt_main(plan, planSize, kernels, count, argc, argv)
/// (runtime/src/engine/c_main.cpp).
void addMain(ModuleContext& cx, llvm::Constant* table, std::size_t kernelCount) {
    std::string json = codegen::writePlanJson(cx.program);
    llvm::Constant* init = llvm::ConstantDataArray::getString(cx.context, json, true);
    auto* plan =
        new llvm::GlobalVariable(cx.module, init->getType(), true,
                                 llvm::GlobalValue::PrivateLinkage, init, "flow_plan_json");
    plan->setAlignment(llvm::Align(1));

    auto* mainType = llvm::FunctionType::get(cx.i32, {cx.i32, cx.ptr}, false);
    auto* mainFn =
        llvm::Function::Create(mainType, llvm::GlobalValue::ExternalLinkage, "main", cx.module);
    mainFn->getArg(0)->setName("argc");
    mainFn->getArg(1)->setName("argv");
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(cx.context, "entry", mainFn));
    auto* runType =
        llvm::FunctionType::get(cx.i32, {cx.ptr, cx.i64, cx.ptr, cx.i64, cx.i32, cx.ptr}, false);
    llvm::Value* status = b.CreateCall(cx.runtime("flowrt_main", runType),
                                       {plan, llvm::ConstantInt::get(cx.i64, json.size()), table,
                                        llvm::ConstantInt::get(cx.i64, kernelCount),
                                        mainFn->getArg(0), mainFn->getArg(1)});
    b.CreateRet(status);
}

}  // namespace

std::unique_ptr<llvm::Module> buildModule(const ir::Program& program, llvm::LLVMContext& context,
                                          const llvm::TargetMachine& target, ModuleKind kind,
                                          std::vector<std::string>& errors) {
    auto module = std::make_unique<llvm::Module>("flow", context);
    module->setSourceFileName(program.source);
    module->setTargetTriple(target.getTargetTriple().str());
    module->setDataLayout(target.createDataLayout());
    ModuleContext cx(program, *module);

    std::vector<llvm::Function*> functions;
    for (const ir::Kernel& k : program.kernels) {
        auto* fn = llvm::Function::Create(cx.kernelType, llvm::GlobalValue::InternalLinkage,
                                          "flow_" + k.name, *module);
        fn->setUWTableKind(llvm::UWTableKind::Default);
        functions.push_back(fn);
    }
    for (std::size_t i = 0; i < program.kernels.size(); ++i) {
        buildKernel(cx, program.kernels[i], functions[i]);
    }

    // The kernel table, in kernel-id order (an array cannot be empty: a null entry then).
    std::vector<llvm::Constant*> entries(functions.begin(), functions.end());
    if (entries.empty()) {
        entries.push_back(llvm::ConstantPointerNull::get(cx.ptr));
    }
    auto* tableType = llvm::ArrayType::get(cx.ptr, entries.size());
    auto* table =
        new llvm::GlobalVariable(*module, tableType, true, llvm::GlobalValue::ExternalLinkage,
                                 llvm::ConstantArray::get(tableType, entries), "flow_kernels");
    table->setAlignment(llvm::Align(8));
    if (kind == ModuleKind::Executable) {
        addMain(cx, table, program.kernels.size());
    }

    if (!cx.errors.empty()) {
        errors.insert(errors.end(), cx.errors.begin(), cx.errors.end());
        return nullptr;
    }
    std::string problems;
    llvm::raw_string_ostream out(problems);
    if (llvm::verifyModule(*module, &out)) {
        out.flush();
        errors.push_back("the LLVM module failed verification:\n" + problems);
        return nullptr;
    }
    return module;
}

TextOutput emitLlvmText(const ir::Program& program, const Options& options) {
    TextOutput out;
    std::string error;
    std::unique_ptr<llvm::TargetMachine> target = createTargetMachine(TargetUse::Jit, error);
    if (!target) {
        out.errors.push_back("no LLVM target for this machine: " + error);
        return out;
    }
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module =
        buildModule(program, context, *target, ModuleKind::Kernels, out.errors);
    if (!module) {
        return out;
    }
    optimizeModule(*module, *target, options.optLevel);
    llvm::raw_string_ostream text(out.text);
    module->print(text, nullptr);
    text.flush();
    return out;
}

}  // namespace flow::llvmgen
