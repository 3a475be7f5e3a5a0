// flow/rt/huge_pages.h - an allocator for large, randomly probed tables: blocks of 2 MiB
// and more are mapped on their own and marked for transparent huge pages.
//
// The state tables and the set of ingested ids are hash tables of tens to hundreds of
// megabytes, probed at random: with 4 KiB pages nearly every probe also misses the TLB,
// and a page walk (two of them in a virtual machine) costs as much as the cache miss.
// With 2 MiB pages the translations of a whole table fit in the TLB. Where transparent
// huge pages are off (`/sys/kernel/mm/transparent_hugepage/enabled` is `never`) the hint
// is ignored and the blocks are ordinary memory.
#pragma once

#include <cstddef>
#include <new>

namespace flow::rt {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

/// `bytes` aligned to `align`: from operator new below kHugePageBytes, else a mapping of
/// its own, 2 MiB-aligned and advised MADV_HUGEPAGE. Throws std::bad_alloc.
void* hugePageAllocate(std::size_t bytes, std::size_t align);
/// Frees what hugePageAllocate(bytes, align) returned.
void hugePageDeallocate(void* p, std::size_t bytes, std::size_t align) noexcept;

template <typename T>
struct HugePageAllocator {
    using value_type = T;

    HugePageAllocator() = default;
    template <typename U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding

    T* allocate(std::size_t n) {
        return static_cast<T*>(hugePageAllocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        hugePageDeallocate(p, n * sizeof(T), alignof(T));
    }

    template <typename U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace flow::rt
