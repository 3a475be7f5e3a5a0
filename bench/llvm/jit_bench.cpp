// bench/llvm/jit_bench.cpp - the LLVM backend's JIT compile time of a program's kernels.
//
//   flow_bench_jit [--runs N] [--opt 0|2] FILE     (default: examples/shop/shop.flow, 20 runs)
//
// Compiles FILE to the IR once, then loads its kernels into one Jit N times (each load is
// a new JITDylib and ResourceTracker, removed before the next) and prints the first load
// (a process's first, as `flowc run` and `flowc test` see it, including creating the
// LLJIT) and the median and minimum of the others, split into building the LLVM IR
// (and verifying it), the O2 pipeline, and code generation with linking.
#include "codegen/llvm/jit.h"
#include "driver/llvm_build.h"
#include "lower/ast_to_ir.h"
#include "parse/program_loader.h"
#include "sema/sema.h"
#include "stdlib_embedded.h"
#include "support/diagnostic_engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double minimum(const std::vector<double>& v) {
    return v.empty() ? 0 : *std::min_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
    std::string file = FLOW_SOURCE_ROOT "/examples/shop/shop.flow";
    int runs = 20;
    flow::llvmgen::Options options;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::max(2, std::atoi(argv[++i]));
        } else if (a == "--opt" && i + 1 < argc) {
            options.optLevel = std::atoi(argv[++i]);
        } else {
            file = a;
        }
    }

    flow::SourceManager sources;
    flow::DiagnosticEngine diags(sources);
    std::vector<flow::parse::EmbeddedFile> stdlib;
    for (const auto& s : flow::stdlib::embeddedSources()) {
        stdlib.push_back({s.path, s.text});
    }
    auto ast = flow::parse::loadProgram({file}, stdlib, sources, diags, {});
    std::unique_ptr<flow::sema::SemaResult> sema;
    if (!diags.hasErrors()) {
        sema = flow::sema::analyze(ast, diags);
    }
    if (diags.hasErrors()) {
        std::cerr << diags.renderAllText(false, 20);
        return 1;
    }
    auto program = flow::lower::lowerProgram(ast, *sema, sources);

    Clock::time_point start = Clock::now();
    std::string error;
    auto jit = flow::llvmgen::Jit::create(flow::driver::runtimeSymbols(), options, error);
    if (!jit) {
        std::cerr << "no JIT: " << error << "\n";
        return 1;
    }
    double create = millisSince(start);

    std::vector<double> build, optimize, codegen, total;
    double first = 0;
    flow::llvmgen::JitTimings firstTimings;
    for (int i = 0; i < runs; ++i) {
        std::vector<std::string> errors;
        auto loaded = jit->load(*program, errors);
        if (!loaded) {
            for (const std::string& e : errors) {
                std::cerr << e << "\n";
            }
            return 1;
        }
        const flow::llvmgen::JitTimings& t = loaded->timings();
        if (i == 0) {
            firstTimings = t;
            first = t.total();
            continue;
        }
        build.push_back(t.build);
        optimize.push_back(t.optimize);
        codegen.push_back(t.codegen);
        total.push_back(t.total());
    }
    std::printf("%s: %zu kernels, O%d, %d loads\n", file.c_str(), program->kernels.size(),
                options.optLevel, runs);
    std::printf("  create the JIT          %8.1f ms\n", create);
    std::printf("  first load              %8.1f ms  (build %.1f, optimise %.1f, codegen %.1f)\n",
                first, firstTimings.build, firstTimings.optimize, firstTimings.codegen);
    std::printf("  first run in a process  %8.1f ms  (create + first load; the target: < 300)\n",
                create + first);
    std::printf("  later loads, median     %8.1f ms  (build %.1f, optimise %.1f, codegen %.1f)\n",
                median(total), median(build), median(optimize), median(codegen));
    std::printf("  later loads, minimum    %8.1f ms\n", minimum(total));
    return 0;
}
