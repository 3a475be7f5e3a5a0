// runtime/src/engine/test_runner.h - runs a program's test blocks (LANGUAGE.md §5).
#pragma once

#include "flow/rt/plan.h"

#include <ostream>
#include <string>

namespace flow::rt {

struct TestSummary {
    int passed = 0;
    int failed = 0;
};

/// Runs every test whose name contains `filter` on a fresh in-memory engine each,
/// printing `PASS`/`FAIL` lines (a failure with its expectation, source line and the
/// events emitted so far), then `N passed, M failed`.
TestSummary runTests(const plan::Program& program, const FlowKernelFn* kernels,
                     const std::string& filter, std::ostream& out);

}  // namespace flow::rt
