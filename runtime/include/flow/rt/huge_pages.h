// flow/rt/huge_pages.h - memory for large, randomly probed tables: blocks of 2 MiB and
// more are mapped on their own, 2 MiB-aligned, and a table can reserve address space to
// grow into in place.
//
// The state tables and the set of ingested ids are hash tables of tens to hundreds of
// megabytes, probed at random: with 4 KiB pages nearly every probe also misses the TLB,
// and a page walk (two of them in a virtual machine) costs as much as the cache miss.
// With 2 MiB pages the translations of a whole table fit in the TLB. The blocks are
// aligned so that the kernel can back them with huge pages where its policy gives them
// (`/sys/kernel/mm/transparent_hugepage/enabled` is `always`), but they are not advised
// MADV_HUGEPAGE: that asks the kernel to make huge pages when it has none at hand
// (`defrag` is `madvise` by default), and on the virtual machine we measure on, a fresh
// huge page costs about 2 ns per byte. Without the advice the agg bench ran 12% faster
// (median of four pairs at 10M events) and the shop 7-40% (docs/runtime.md, "Huge pages").
#pragma once

#include <cstddef>
#include <new>

namespace flow::rt {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

/// `bytes` aligned to `align`: from operator new below kHugePageBytes, else a mapping of
/// its own, 2 MiB-aligned. Throws std::bad_alloc.
void* hugePageAllocate(std::size_t bytes, std::size_t align);
/// Frees what hugePageAllocate(bytes, align) returned.
void hugePageDeallocate(void* p, std::size_t bytes, std::size_t align) noexcept;

/// Address space reserved for a table that grows in place: 2 MiB-aligned, of which a
/// prefix is committed (readable and writable) and the rest is neither backed nor
/// accessible. Growing commits more of it: what was committed stays where it is, with its
/// contents, and costs nothing again. (A table that moves to new memory each time it
/// doubles has the kernel clear twice the memory it ends with; on the virtual machine we
/// develop on, fresh huge pages cost about 2 ns per byte, see docs/runtime.md.)
class ReservedBlock {
public:
    ReservedBlock() = default;
    /// Reserves `reserve` bytes (fewer, but at least `bytes`, when the address space
    /// cannot have that many) and commits the first `bytes`. Throws std::bad_alloc.
    ReservedBlock(std::size_t bytes, std::size_t reserve);
    ReservedBlock(ReservedBlock&& other) noexcept;
    ReservedBlock& operator=(ReservedBlock&& other) noexcept;
    ReservedBlock(const ReservedBlock&) = delete;
    ReservedBlock& operator=(const ReservedBlock&) = delete;
    ~ReservedBlock();

    explicit operator bool() const { return base_ != nullptr; }
    void* data() const { return base_; }
    std::size_t committed() const { return committed_; }
    std::size_t reserved() const { return reserved_; }
    /// Whether the first `bytes` fit in the reservation.
    bool fits(std::size_t bytes) const { return base_ != nullptr && bytes <= reserved_; }
    /// Commits the first `bytes` (which must fit), if they are not yet. New memory reads
    /// as zero. Throws std::bad_alloc, with nothing changed, when the kernel refuses.
    void grow(std::size_t bytes);

private:
    void release() noexcept;

    void* base_ = nullptr;
    std::size_t committed_ = 0;
    std::size_t reserved_ = 0;
};

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
