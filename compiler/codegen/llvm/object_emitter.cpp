// codegen/llvm/object_emitter.cpp - the module of an executable, compiled to an object file.
#include "codegen/llvm/object_emitter.h"

#include "codegen/llvm/target.h"

#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

namespace flow::llvmgen {

std::vector<std::string> emitObjectFile(const ir::Program& program, const Options& options,
                                        const std::string& path) {
    std::vector<std::string> errors;
    std::string error;
    std::unique_ptr<llvm::TargetMachine> target = createTargetMachine(TargetUse::Object, error);
    if (!target) {
        errors.push_back("no LLVM target for this machine: " + error);
        return errors;
    }
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module =
        buildModule(program, context, *target, ModuleKind::Executable, errors);
    if (!module) {
        return errors;
    }
    optimizeModule(*module, *target, options.optLevel);

    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
    if (ec) {
        errors.push_back("cannot write '" + path + "': " + ec.message());
        return errors;
    }
    // Code generation still runs on the legacy pass manager.
    llvm::legacy::PassManager codegen;
    if (target->addPassesToEmitFile(codegen, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
        errors.emplace_back("the LLVM target cannot write object files");
        return errors;
    }
    codegen.run(*module);
    out.flush();
    if (out.has_error()) {
        errors.push_back("cannot write '" + path + "': " + out.error().message());
        out.clear_error();
    }
    return errors;
}

}  // namespace flow::llvmgen
