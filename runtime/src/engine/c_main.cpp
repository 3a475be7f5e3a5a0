// runtime/src/engine/c_main.cpp - flowrt_main: runMain (flow/rt/host.h) behind a C symbol.
//
// The `main` of an object file from the LLVM backend (`flowc build --backend llvm`) is
// plain LLVM IR and cannot construct the C++ CompiledProgram, so it calls this with the
// plan's bytes and the kernel table it defines:
//
//   int32_t flowrt_main(const char* plan, int64_t planSize, const FlowKernelFn* kernels,
//                       int64_t kernelCount, int32_t argc, char** argv);
#include "flow/rt/abi.h"
#include "flow/rt/host.h"

#include <cstddef>
#include <cstdint>

extern "C" std::int32_t flowrt_main(const char* plan, std::int64_t planSize,
                                    const FlowKernelFn* kernels, std::int64_t kernelCount,
                                    std::int32_t argc, char** argv) {
    const flow::rt::plan::CompiledProgram program{
        {plan, static_cast<std::size_t>(planSize < 0 ? 0 : planSize)},
        kernels,
        static_cast<std::size_t>(kernelCount < 0 ? 0 : kernelCount)};
    return flow::rt::runMain(program, argc, argv);
}
