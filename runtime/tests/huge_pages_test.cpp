// runtime/tests/huge_pages_test.cpp - the huge-page allocator of the large hash tables.
#include "flow/rt/huge_pages.h"

#include <catch2/catch.hpp>

#include <absl/container/flat_hash_set.h>
#include <cstdint>
#include <cstring>

using namespace flow::rt;

TEST_CASE("huge page blocks are 2 MiB aligned, usable to their end, and freed") {
    for (std::size_t bytes : {std::size_t{1}, std::size_t{4096}, kHugePageBytes - 1, kHugePageBytes,
                              kHugePageBytes + 1, 3 * kHugePageBytes + 12345}) {
        for (std::size_t align : {std::size_t{8}, std::size_t{64}}) {
            auto* p = static_cast<unsigned char*>(hugePageAllocate(bytes, align));
            REQUIRE(p != nullptr);
            CHECK(reinterpret_cast<std::uintptr_t>(p) % align == 0);
            if (bytes >= kHugePageBytes) {
                CHECK(reinterpret_cast<std::uintptr_t>(p) % kHugePageBytes == 0);
            }
            std::memset(p, 0xAB, bytes);  // every byte is writable (ASan checks the small ones)
            CHECK(p[0] == 0xAB);
            CHECK(p[bytes - 1] == 0xAB);
            hugePageDeallocate(p, bytes, align);
        }
    }
}

namespace {

std::uint64_t key(std::uint64_t i) {
    return i * 0x9E3779B97F4A7C15ull;
}

}  // namespace

TEST_CASE("a hash set on the huge page allocator grows, finds and erases like any other") {
    absl::flat_hash_set<std::uint64_t, absl::Hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                        HugePageAllocator<std::uint64_t>>
        set;
    constexpr std::uint64_t kN = 500'000;  // its slots pass 2 MiB as it grows
    for (std::uint64_t i = 0; i < kN; ++i) {
        REQUIRE(set.insert(key(i)).second);
    }
    CHECK(set.size() == kN);
    CHECK_FALSE(set.insert(key(7)).second);
    CHECK_FALSE(set.contains(key(kN)));
    for (std::uint64_t i = 0; i < kN; i += 2) {
        set.erase(key(i));
    }
    CHECK(set.size() == kN / 2);
    CHECK(set.contains(key(1)));
    CHECK_FALSE(set.contains(key(2)));
    auto copy = set;  // a copy allocates through a copy of the allocator
    CHECK(copy == set);
}
