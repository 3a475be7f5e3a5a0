// codegen/cpp/cpp_emitter.h - the C++ backend: readable C++ for a checked program's IR.
//
// The output is five files. kernels.h has the row structs, each matching its ABI layout
// with static_asserts, the kernels' declarations and a few helpers; kernels.cpp one
// `extern "C"` function per kernel (the ABI's FlowKernelFn); plan.cpp the plan JSON and
// the kernel table in kernel-id order; main.cpp `main`, which calls flow::rt::runMain.
// Those are the executable `flowc build` makes, and include only runtime/include/flow/rt/
// {abi,host}.h. program.h is for the user's own C++ (docs/gen-cpp.md): typed codecs of the
// rows and the program in process through the runtime's engine, a function per event,
// command, query, table and projection. Everything compiles with -Wall -Wextra -Werror on
// g++ 12 and clang 19. Output is deterministic: structs and declarations are sorted by
// name, kernels by id, and no user text is ever copied into a comment.
#pragma once

#include "ir/ir.h"

#include <string>
#include <vector>

namespace flow::cppgen {

struct Options {
    /// The source file as the header line names it (relative to where flowc runs).
    std::string sourcePath;
};

struct GeneratedFile {
    std::string name;  // "kernels.h", "kernels.cpp", "main.cpp", "plan.cpp", "program.h"
    std::string text;
};

struct Output {
    std::vector<GeneratedFile> files;
    /// IR the backend cannot translate (a callee the standard library does not have,
    /// ...): internal compiler errors, since sema accepted the program. No files then.
    std::vector<std::string> errors;
};

Output generateCpp(const ir::Program& program, const Options& options);

}  // namespace flow::cppgen
