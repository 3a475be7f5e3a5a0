// tests/unit/driver/compile_cache_test.cpp - the compile cache's bound: sizes and LRU trimming.
#include "driver/cpp_build.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace flow::driver;
namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

/// A scratch cache directory, removed at the end.
struct Cache {
    fs::path dir;
    Cache() {
        dir = fs::temp_directory_path() / ("flow-cache-test-" + std::to_string(getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Cache() { fs::remove_all(dir); }

    /// An entry of `bytes` (two files, one in a subdirectory) last used `age` ago.
    fs::path entry(const std::string& name, std::size_t bytes, seconds age) {
        fs::path e = dir / name;
        fs::create_directories(e / "sub");
        std::ofstream(e / "program") << std::string(bytes / 2, 'x');
        std::ofstream(e / "sub" / "kernels.cpp") << std::string(bytes - bytes / 2, 'y');
        fs::last_write_time(e, fs::file_time_type::clock::now() - age);
        return e;
    }
};

}  // namespace

TEST_CASE("cache sizes read as bytes with k, M or G") {
    CHECK(parseByteSize("0") == 0u);
    CHECK(parseByteSize("123") == 123u);
    CHECK(parseByteSize("64k") == 64u << 10);
    CHECK(parseByteSize("64K") == 64u << 10);
    CHECK(parseByteSize("500M") == std::uint64_t{500} << 20);
    CHECK(parseByteSize("4G") == std::uint64_t{4} << 30);
    CHECK_FALSE(parseByteSize(""));
    CHECK_FALSE(parseByteSize("G"));
    CHECK_FALSE(parseByteSize("4GB"));
    CHECK_FALSE(parseByteSize("-1"));
    CHECK_FALSE(parseByteSize("1.5G"));
    CHECK_FALSE(parseByteSize("99999999999999999999999"));
}

TEST_CASE("the cache drops its least recently used entries down to its bound") {
    Cache c;
    fs::path oldest = c.entry("a", 1000, hours(5));
    fs::path old = c.entry("b", 1000, hours(4));
    fs::path recent = c.entry("c", 1000, hours(1));
    fs::path kept = c.entry("d", 1000, hours(9));     // the entry just built: never removed
    fs::path fresh = c.entry("e", 1000, seconds(0));  // within the grace: in use elsewhere

    SECTION("under the bound nothing goes") {
        trimCache(c.dir, 5000, kept);
        CHECK(fs::exists(oldest));
        CHECK(fs::exists(recent));
    }
    SECTION("over it, the oldest go first, until it fits") {
        trimCache(c.dir, 3000, kept);
        CHECK_FALSE(fs::exists(oldest));
        CHECK_FALSE(fs::exists(old));
        CHECK(fs::exists(recent));
        CHECK(fs::exists(kept));
        CHECK(fs::exists(fresh));
    }
    SECTION("the kept entry and those in use stay even if the bound cannot be met") {
        trimCache(c.dir, 1, kept);
        CHECK_FALSE(fs::exists(oldest));
        CHECK_FALSE(fs::exists(old));
        CHECK_FALSE(fs::exists(recent));
        CHECK(fs::exists(kept));
        CHECK(fs::exists(fresh));
    }
    SECTION("0 is no bound") {
        trimCache(c.dir, 0, kept);
        CHECK(fs::exists(oldest));
    }
}

TEST_CASE("the cache removes stale build directories, and keeps recent ones") {
    Cache c;
    fs::path stale = c.entry("k1.tmp-123", 10, hours(25));
    fs::path building = c.entry("k2.tmp-456", 10, hours(1));
    trimCache(c.dir, 0, c.dir / "none");
    CHECK_FALSE(fs::exists(stale));
    CHECK(fs::exists(building));
}

TEST_CASE("trimming a missing cache directory does nothing") {
    trimCache(fs::temp_directory_path() / "flow-cache-test-does-not-exist", 1, {});
}
