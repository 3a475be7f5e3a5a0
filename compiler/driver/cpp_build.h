// driver/cpp_build.h - `flowc build --backend cpp`: compiles generated C++ into an
// executable through a content-addressed cache.
#pragma once

#include "codegen/cpp/cpp_emitter.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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
/// A hit marks the entry used; a miss then trims the cache to cacheMaxBytes().
std::string cachedExecutable(const std::vector<cppgen::GeneratedFile>& files);

/// "4G", "500M", "64k", "123": bytes, with k, M and G as powers of 1024. None if not one.
std::optional<std::uint64_t> parseByteSize(std::string_view text);

/// The most the cache may hold: $FLOW_CACHE_MAX_SIZE (a parseByteSize text; 0: no
/// bound), else 4 GiB. A value that is not a size is reported and the default used.
std::uint64_t cacheMaxBytes();

/// Keeps the entries (directories) under `dir` within `maxBytes` (0: no bound) by
/// removing the least recently used (by modification time, which a hit refreshes) first.
/// Never removes `keep`, nor an entry used within `grace` (another flowc may be copying
/// its executable). Also removes build directories (`*.tmp-PID`) untouched for
/// `staleBuilds`: a failed build's sources stay that long for its bug report. Errors
/// (an entry another flowc removed first) are ignored.
void trimCache(const std::filesystem::path& dir, std::uint64_t maxBytes,
               const std::filesystem::path& keep,
               std::chrono::seconds grace = std::chrono::seconds(60),
               std::chrono::seconds staleBuilds = std::chrono::hours(24));

}  // namespace flow::driver
