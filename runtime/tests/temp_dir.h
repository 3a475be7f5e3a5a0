// runtime/tests/temp_dir.h - a scratch directory for one test, removed afterwards.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace flow::rt::testing {

/// In memory (/dev/shm) when there is one: the tests simulate durability themselves,
/// and a busy disk's journal would make thousands of truncations slow.
struct TempDir {
    TempDir() {
        char shm[] = "/dev/shm/flowrt-XXXXXX";
        char tmp[] = "/tmp/flowrt-XXXXXX";
        const char* made = ::mkdtemp(shm);
        path = made != nullptr ? made : ::mkdtemp(tmp);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path;
};

}  // namespace flow::rt::testing
