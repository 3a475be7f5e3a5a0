// driver/llvm_build.cpp - the LLVM backend in flowc: the JIT's runtime symbols, running a
// JIT-compiled program in process, and linking an object file into an executable.
#include "driver/llvm_build.h"

#include "codegen/llvm/object_emitter.h"
#include "codegen/plan_writer.h"
#include "driver/build_config.h"
#include "driver/cpp_build.h"
#include "flow/rt/abi.h"
#include "flow/rt/host.h"
#include "flow/rt/stdlib.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace flow::driver {

namespace {

namespace fs = std::filesystem;

template <typename F>
const void* address(F* fn) {
    return reinterpret_cast<const void*>(fn);
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The linker driver: $CXX (words split at blanks), else the compiler CMake found.
std::vector<std::string> linkerCommand() {
    std::vector<std::string> out;
    if (const char* env = std::getenv("CXX"); env != nullptr) {
        std::istringstream in(env);
        std::string w;
        while (in >> w) {
            out.push_back(w);
        }
    }
    if (out.empty()) {
        out.emplace_back(build_config::kCxx);
    }
    return out;
}

void reportInternalErrors(const char* what, const std::vector<std::string>& errors) {
    std::cerr << "flowc: internal compiler error: " << what << ":\n";
    for (const std::string& e : errors) {
        std::cerr << "  " << e << "\n";
    }
}

}  // namespace

std::vector<llvmgen::RuntimeSymbol> runtimeSymbols() {
    std::vector<llvmgen::RuntimeSymbol> out = {
        {"flowrt_lookup", address(&flowrt_lookup)}, {"flowrt_emit", address(&flowrt_emit)},
        {"flowrt_reject", address(&flowrt_reject)}, {"flowrt_fail", address(&flowrt_fail)},
        {"flowrt_query", address(&flowrt_query)},   {"flowrt_row_eq", address(&flowrt_row_eq)},
        {"flowrt_alloc", address(&flowrt_alloc)},
    };
    for (const flow::rt::StdlibSymbol& s : flow::rt::stdlibSymbols()) {
        out.push_back({s.name, reinterpret_cast<const void*>(s.address)});
    }
    return out;
}

int runJitted(const ir::Program& program, const std::vector<std::string>& args,
              const llvmgen::Options& options) {
    std::string error;
    std::unique_ptr<llvmgen::Jit> jit = llvmgen::Jit::create(runtimeSymbols(), options, error);
    if (!jit) {
        std::cerr << "flowc: error: the LLVM JIT cannot target this machine: " << error << "\n";
        return 1;
    }
    std::vector<std::string> errors;
    std::unique_ptr<llvmgen::JitProgram> loaded = jit->load(program, errors);
    if (!loaded) {
        reportInternalErrors("the LLVM backend cannot compile the IR", errors);
        return 1;
    }
    if (const char* t = std::getenv("FLOW_JIT_TIMING"); t != nullptr && *t != '\0' && *t != '0') {
        const llvmgen::JitTimings& tm = loaded->timings();
        std::fprintf(stderr,
                     "flowc: jit: %zu kernels in %.1f ms (build %.1f, optimise %.1f, "
                     "codegen %.1f)\n",
                     loaded->kernelCount(), tm.total(), tm.build, tm.optimize, tm.codegen);
    }
    std::string plan = codegen::writePlanJson(program);
    const flow::rt::plan::CompiledProgram compiled{plan, loaded->kernels(), loaded->kernelCount()};
    std::vector<std::string> argv = {"flowc"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    raw.reserve(argv.size() + 1);
    for (std::string& a : argv) {
        raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    return flow::rt::runMain(compiled, static_cast<int>(argv.size()), raw.data());
}

int buildLlvmExecutable(const ir::Program& program, const std::string& output,
                        const llvmgen::Options& options) {
    std::error_code ec;
    fs::path out = fs::absolute(output, ec);
    fs::path work = out;
    work += ".flowc-llvm-" + std::to_string(getpid());
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);
    if (ec) {
        std::cerr << "flowc: error: cannot create '" << work.string() << "': " << ec.message()
                  << "\n";
        return 1;
    }
    fs::path object = work / "program.o";
    std::vector<std::string> errors = llvmgen::emitObjectFile(program, options, object.string());
    if (!errors.empty()) {
        reportInternalErrors("the LLVM backend cannot compile the IR", errors);
        fs::remove_all(work, ec);
        return 1;
    }
    fs::path linked = work / "program";
    std::vector<std::string> command = linkerCommand();
    for (const char* f : build_config::kFlags) {
        command.emplace_back(f);
    }
    command.push_back(object.string());
    command.emplace_back("-o");
    command.push_back(linked.string());
    for (const char* item : build_config::kLinkItems) {
        command.emplace_back(item);
    }
    std::string error;
    int status = runLogged(command, (work / "link.log").string(), error);
    if (status != 0) {
        std::string line;
        for (const std::string& w : command) {
            line += (line.empty() ? "" : " ") + w;
        }
        std::cerr << "flowc: internal compiler error: the object file did not link\n"
                  << "  command: " << line << "\n";
        if (!error.empty()) {
            std::cerr << "  " << error << "\n";
        } else {
            std::cerr << "  exit status " << status << "; the linker said:\n"
                      << readAll(work / "link.log");
        }
        std::cerr << "  (the object file is kept in " << work.string() << ")\n";
        return 1;
    }
    fs::rename(linked, out, ec);
    if (ec) {
        std::cerr << "flowc: error: cannot write '" << output << "': " << ec.message() << "\n";
        fs::remove_all(work, ec);
        return 1;
    }
    fs::remove_all(work, ec);
    return 0;
}

}  // namespace flow::driver
