// support/internal_error.cpp - the report of an internal compiler error.
#include "support/internal_error.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace flow {

void internalError(const char* file, int line, std::string_view message) {
    std::string text = "flowc: internal compiler error: " + std::string(message) + " (at " + file +
                       ":" + std::to_string(line) + ")\n";
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    std::abort();
}

}  // namespace flow
