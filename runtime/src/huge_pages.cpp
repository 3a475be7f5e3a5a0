// runtime/src/huge_pages.cpp - see flow/rt/huge_pages.h.
#include "flow/rt/huge_pages.h"

#include <cstdint>
#include <sys/mman.h>

namespace flow::rt {

namespace {

std::uintptr_t roundUp(std::uintptr_t n, std::uintptr_t to) {
    return (n + to - 1) / to * to;
}

bool overNewAlignment(std::size_t align) {
    return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}

}  // namespace

void* hugePageAllocate(std::size_t bytes, std::size_t align) {
    if (bytes < kHugePageBytes || align > kHugePageBytes) {
        return overNewAlignment(align) ? ::operator new(bytes, std::align_val_t(align))
                                       : ::operator new(bytes);
    }
    // Map one huge page more than needed, then unmap the unaligned head and the tail.
    const std::size_t size = roundUp(bytes, kHugePageBytes);
    void* raw = mmap(nullptr, size + kHugePageBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        throw std::bad_alloc();
    }
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = roundUp(start, kHugePageBytes);
    if (aligned > start) {
        munmap(raw, aligned - start);
    }
    const std::uintptr_t end = start + size + kHugePageBytes;
    if (end > aligned + size) {
        munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
    }
    // Only a hint: without transparent huge pages the mapping stays in 4 KiB pages.
    madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
    return reinterpret_cast<void*>(aligned);
}

void hugePageDeallocate(void* p, std::size_t bytes, std::size_t align) noexcept {
    if (bytes < kHugePageBytes || align > kHugePageBytes) {
        if (overNewAlignment(align)) {
            ::operator delete(p, std::align_val_t(align));
        } else {
            ::operator delete(p);
        }
        return;
    }
    munmap(p, roundUp(bytes, kHugePageBytes));
}

}  // namespace flow::rt
