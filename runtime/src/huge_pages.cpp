// runtime/src/huge_pages.cpp - see flow/rt/huge_pages.h.
#include "flow/rt/huge_pages.h"

#include <algorithm>
#include <cstdint>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

namespace flow::rt {

namespace {

std::uintptr_t roundUp(std::uintptr_t n, std::uintptr_t to) {
    return (n + to - 1) / to * to;
}

bool overNewAlignment(std::size_t align) {
    return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}

/// `size` bytes (a multiple of kHugePageBytes) mapped 2 MiB-aligned with `prot` and
/// `flags`; null if the kernel refuses. Not advised MADV_HUGEPAGE: see huge_pages.h.
void* mapAligned(std::size_t size, int prot, int flags) {
    // Map one huge page more than needed, then unmap the unaligned head and the tail.
    void* raw = mmap(nullptr, size + kHugePageBytes, prot, flags, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
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
    return reinterpret_cast<void*>(aligned);
}

}  // namespace

void* hugePageAllocate(std::size_t bytes, std::size_t align) {
    if (bytes < kHugePageBytes || align > kHugePageBytes) {
        return overNewAlignment(align) ? ::operator new(bytes, std::align_val_t(align))
                                       : ::operator new(bytes);
    }
    void* p = mapAligned(roundUp(bytes, kHugePageBytes), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
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

ReservedBlock::ReservedBlock(std::size_t bytes, std::size_t reserve) {
    const std::size_t least = roundUp(std::max<std::size_t>(bytes, 1), kHugePageBytes);
    std::size_t size = std::max(least, roundUp(reserve, kHugePageBytes));
    // Address space only: nothing is backed, or counted against the memory, until it is
    // committed.
    void* p = nullptr;
    for (;;) {
        p = mapAligned(size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
        if (p != nullptr || size == least) {
            break;
        }
        size = least;  // a limit on the address space (ulimit -v): reserve what is needed
    }
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    base_ = p;
    reserved_ = size;
    try {
        grow(bytes);
    } catch (...) {
        release();
        throw;
    }
}

ReservedBlock::ReservedBlock(ReservedBlock&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)), committed_(std::exchange(other.committed_, 0)),
      reserved_(std::exchange(other.reserved_, 0)) {}

ReservedBlock& ReservedBlock::operator=(ReservedBlock&& other) noexcept {
    if (this != &other) {
        release();
        base_ = std::exchange(other.base_, nullptr);
        committed_ = std::exchange(other.committed_, 0);
        reserved_ = std::exchange(other.reserved_, 0);
    }
    return *this;
}

ReservedBlock::~ReservedBlock() {
    release();
}

void ReservedBlock::grow(std::size_t bytes) {
    if (bytes <= committed_) {
        return;
    }
    // Whole huge pages once past the first, so that each is backed by one; small blocks
    // (in tests) by the page.
    static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t want =
        std::min(reserved_, roundUp(bytes, bytes >= kHugePageBytes ? kHugePageBytes : page));
    if (bytes > reserved_ || mprotect(static_cast<char*>(base_) + committed_, want - committed_,
                                      PROT_READ | PROT_WRITE) != 0) {
        throw std::bad_alloc();
    }
    committed_ = want;
}

void ReservedBlock::release() noexcept {
    if (base_ != nullptr) {
        munmap(base_, reserved_);
        base_ = nullptr;
        committed_ = reserved_ = 0;
    }
}

}  // namespace flow::rt
