// driver/cpp_build.h - `flowc build --backend cpp`: compiles generated C++ into an
// executable through a content-addressed cache.
#pragma once

#include "codegen/cpp/cpp_emitter.h"

#include <string>
#include <vector>

namespace flow::driver {

/// Runs `argv` (argv[0] found on PATH) with stdout and stderr to the file `log`: its
/// exit status, or -1 with `error` set if it could not be started or was killed.
int runLogged(const std::vector<std::string>& argv, const std::string& log, std::string& error);

/// Where compiled programs are kept: $FLOW_CACHE_DIR, else $XDG_CACHE_HOME/flow, else
/// ~/.cache/flow. Empty if none can be determined.
std::string cacheDirectory();

/// Compiles `files` (from cppgen::generateCpp) and links them with the runtime into
/// `output`. The cache entry is named by a hash of the sources, the compiler command and
/// the runtime libraries' sizes and times, so an unchanged program only copies the
/// cached executable. A compiler failure is an internal compiler error: it is reported
/// on stderr with the command line and the compiler's output. Returns the exit status.
int buildExecutable(const std::vector<cppgen::GeneratedFile>& files, const std::string& output);

/// The cache entry's executable for `files`, compiled first on a miss (as
/// buildExecutable); empty after reporting an error. `flowc run|test|dump|trace` run it.
std::string cachedExecutable(const std::vector<cppgen::GeneratedFile>& files);

}  // namespace flow::driver
