// bench/flow/jit_kernels.cpp - linked into the `flow_bench_<name>_llvm` executables: the
// program FLOW_BENCH_SOURCE compiled by flowc's front end and JIT-compiled by the LLVM
// backend, handed to the harness in place of the generated C++ kernels (same IR, so the
// same plan and kernel ids). The JIT stays alive for the whole process.
#include "codegen/llvm/jit.h"
#include "driver/llvm_build.h"
#include "harness.h"
#include "lower/ast_to_ir.h"
#include "parse/program_loader.h"
#include "sema/sema.h"
#include "stdlib_embedded.h"
#include "support/diagnostic_engine.h"

#include <cstdlib>
#include <iostream>
#include <memory>

namespace flow::bench {

namespace {

std::unique_ptr<llvmgen::Jit> gJit;
std::unique_ptr<llvmgen::JitProgram> gLoaded;

const FlowKernelFn* jitKernels(std::size_t& count) {
    SourceManager sources;
    DiagnosticEngine diags(sources);
    std::vector<parse::EmbeddedFile> stdlib;
    for (const auto& s : stdlib::embeddedSources()) {
        stdlib.push_back({s.path, s.text});
    }
    auto ast = parse::loadProgram({FLOW_BENCH_SOURCE}, stdlib, sources, diags, {});
    std::unique_ptr<sema::SemaResult> sema;
    if (!diags.hasErrors()) {
        sema = sema::analyze(ast, diags);
    }
    if (diags.hasErrors()) {
        std::cerr << diags.renderAllText(false, 20);
        std::exit(1);
    }
    auto program = lower::lowerProgram(ast, *sema, sources);
    std::string error;
    gJit = llvmgen::Jit::create(driver::runtimeSymbols(), llvmgen::Options{}, error);
    if (!gJit) {
        std::cerr << "no JIT: " << error << "\n";
        std::exit(1);
    }
    std::vector<std::string> errors;
    gLoaded = gJit->load(*program, errors);
    if (!gLoaded) {
        for (const std::string& e : errors) {
            std::cerr << e << "\n";
        }
        std::exit(1);
    }
    count = gLoaded->kernelCount();
    return gLoaded->kernels();
}

[[maybe_unused]] const bool kInstalled = (jitKernelsHook = &jitKernels, true);

}  // namespace

}  // namespace flow::bench
