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

TEST_CASE("a reserved block grows in place, keeps its contents, and stops at its reservation") {
    ReservedBlock none;
    CHECK_FALSE(none);
    CHECK_FALSE(none.fits(1));

    ReservedBlock block(1000, 64 * kHugePageBytes);
    REQUIRE(block);
    auto* p = static_cast<unsigned char*>(block.data());
    CHECK(reinterpret_cast<std::uintptr_t>(p) % kHugePageBytes == 0);
    CHECK(block.committed() >= 1000);
    CHECK(block.committed() < kHugePageBytes);  // small blocks by the page
    CHECK(block.reserved() == 64 * kHugePageBytes);
    CHECK(p[0] == 0);
    CHECK(p[999] == 0);
    std::memset(p, 0x5A, 1000);

    block.grow(3 * kHugePageBytes + 1);
    CHECK(block.data() == p);                        // in place
    CHECK(block.committed() == 4 * kHugePageBytes);  // whole huge pages past the first
    CHECK(p[0] == 0x5A);
    CHECK(p[999] == 0x5A);
    CHECK(p[1000] == 0);  // new memory reads as zero
    CHECK(p[4 * kHugePageBytes - 1] == 0);
    p[4 * kHugePageBytes - 1] = 1;  // writable to the end

    block.grow(10);  // never shrinks
    CHECK(block.committed() == 4 * kHugePageBytes);
    CHECK(block.fits(64 * kHugePageBytes));
    CHECK_FALSE(block.fits(64 * kHugePageBytes + 1));
    CHECK_THROWS_AS(block.grow(64 * kHugePageBytes + 1), std::bad_alloc);
    CHECK(block.committed() == 4 * kHugePageBytes);

    ReservedBlock moved = std::move(block);
    CHECK_FALSE(block);  // NOLINT: moved from, on purpose
    CHECK(moved.data() == p);
    CHECK(p[0] == 0x5A);
    moved = ReservedBlock(kHugePageBytes, kHugePageBytes);  // the first is freed
    CHECK(moved.reserved() == kHugePageBytes);
    CHECK(moved.committed() == kHugePageBytes);
}
