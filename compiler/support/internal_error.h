// support/internal_error.h - FLOW_ASSERT and FLOW_UNREACHABLE: compiler bugs, never user errors.
//
// User input must never reach these (STYLE.md §5): they report "internal compiler
// error" with the place in the compiler's source, and abort.
#pragma once

#include <string_view>

namespace flow {

[[noreturn]] void internalError(const char* file, int line, std::string_view message);

}  // namespace flow

#define FLOW_ASSERT(cond, message)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ::flow::internalError(__FILE__, __LINE__, (message));                                  \
        }                                                                                          \
    } while (false)

#define FLOW_UNREACHABLE(message) ::flow::internalError(__FILE__, __LINE__, (message))
