// flow/rt/slot_table.h - the in-memory state tables' hash map: open addressing with
// each key's slot where its hash says, so that the slot can be fetched ahead.
//
// Why not absl::flat_hash_map: its `prefetch(key)` fetches the control bytes and the
// first slot of the key's probe, but the key's own slot can be any of the 15 after it,
// and a state table's slots are 100-200 bytes (a group key, then its accumulators), so
// that slot is other cache lines. The engine fetches a group's slot while it encodes
// and admits the event (see docs/runtime.md, "An input processed in `ingest`"); with
// absl it still waited for most slots when it compared the key.
//
// Here the key goes to its home slot (from the hash) or, if that is taken, to the next
// free one (linear probing), and the table is at most three quarters full (three eighths
// after it grows), so many keys are in their home slot: `prefetch` fetches the home slot
// whole, and its control byte, from the hash alone. A table of slots larger than a cache
// line (a state table's) may be seven eighths full instead, half the memory for the same
// entries, as long as its control bytes are few enough to be in the cache (a million
// slots): its `prefetch` reads them to find the key's slot, and fetches that one. As in
// absl, a control byte per slot (empty, erased, or 7 bits of the hash) sits in an array
// of its own: a lookup compares keys only where those bits match, and a key that is
// absent is mostly answered from the control bytes, which are small enough to stay in
// the cache. Erasing leaves a tombstone, so no other entry moves: a pointer to an entry
// stays valid until an insertion grows or rehashes the table (as with absl's flat maps).
#pragma once

#include "flow/rt/huge_pages.h"

#include <absl/hash/hash.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace flow::rt {

namespace slot_table_detail {

/// Where a slot keeps its value: in place, or nowhere when the value type is empty (the
/// table is then a set, and a slot holds only its key).
template <typename V, bool = std::is_empty_v<V>>
struct ValueCell {
    alignas(V) unsigned char store[sizeof(V)];
    V& get() { return *std::launder(reinterpret_cast<V*>(store)); }
    const V& get() const { return *std::launder(reinterpret_cast<const V*>(store)); }
    void make() { ::new (static_cast<void*>(store)) V(); }
    void make(V&& from) { ::new (static_cast<void*>(store)) V(std::move(from)); }
    void destroy() { get().~V(); }
};
template <typename V>
struct ValueCell<V, true> {
    V& get() const {
        static V none;
        return none;
    }
    void make() {}
    void make(V&&) {}
    void destroy() {}
};

}  // namespace slot_table_detail

/// `BlockFrom`: arrays of slots this large or larger are in ReservedBlocks, and grow in
/// place (tests make it small).
template <typename K, typename V, typename Hash = absl::Hash<K>, typename Eq = std::equal_to<K>,
          std::size_t BlockFrom = kHugePageBytes>
class SlotTable {
public:
    SlotTable() = default;
    SlotTable(const SlotTable&) = delete;
    SlotTable& operator=(const SlotTable&) = delete;
    ~SlotTable() { release(); }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    /// Slots (entries, tombstones and free ones): at least 4/3 of the entries and
    /// tombstones (8/7 while a table of big slots scans its control bytes: scansCtrl), at
    /// least 16 once something was inserted.
    std::size_t capacity() const { return slots_ == nullptr ? 0 : mask_ + 1; }
    /// Where the slots are (tests see from it whether the table grew in place).
    const void* slotsData() const { return slots_; }

    /// Up to this many slots, a table of slots larger than a cache line is up to seven
    /// eighths full, and `prefetch` finds the key's slot from the control bytes: 1 MiB of
    /// them at most, which stay in the cache. Its slots are most of its memory, and a
    /// lookup whose slot was fetched costs the same however far it is from its home. (A
    /// set of ids, 16-byte slots, stays at three quarters: its control bytes are as large as
    /// a sixteenth of its slots, and are not at hand when it holds millions.)
    static constexpr std::size_t kScanCtrlSlots = std::size_t{1} << 20;
    /// Whether this table now follows that rule.
    bool scansCtrl() const { return sizeof(Slot) > kLine && capacity() <= kScanCtrlSlots; }

    V* find(const K& key) { return findHashed(key, hash_(key)); }
    const V* find(const K& key) const { return const_cast<SlotTable*>(this)->find(key); }

    /// The hash the table keeps `key` under: computed once, it serves a prefetch and the
    /// lookup after it (the *Hashed functions, which take it for `key`'s).
    std::size_t hashOf(const K& key) const { return hash_(key); }
    V* findHashed(const K& key, std::size_t hash) {
        Slot* s = findSlot(key, hash);
        return s != nullptr ? &s->value() : nullptr;
    }

    /// findHashed of a key given by its hash and `is` (as tryEmplaceWith).
    template <typename Is>
    V* findWith(std::size_t h, Is&& is) {
        Slot* s = findSlotWith(h, std::forward<Is>(is));
        return s != nullptr ? &s->value() : nullptr;
    }

    /// Fetches where a lookup of `key` will look: its home slot and control byte.
    void prefetch(const K& key) const { prefetchHashed(hash_(key)); }
    void prefetchHashed(std::size_t hash) const {
        if (slots_ == nullptr) {
            return;
        }
        std::size_t i = home(hash);
        if (scansCtrl()) {
            // The slot the key is in, or the free one that ends its probe, found from
            // the control bytes (in the cache): the one a lookup compares keys in.
            const std::uint8_t c = ctrlOf(hash);
            for (std::uint8_t at = ctrl_[i]; at != kEmpty && at != c; at = ctrl_[i]) {
                i = (i + 1) & mask_;
            }
        }
        fetch(ctrl_ + i);
        const char* at = reinterpret_cast<const char*>(&slots_[i]);
        for (std::size_t off = 0; off < sizeof(Slot); off += kLine) {
            fetch(at + off);
        }
        fetch(at + sizeof(Slot) - 1);
    }

    /// The value under `key`, made (value-initialised) if there is none: (value, made).
    std::pair<V*, bool> tryEmplace(const K& key) { return tryEmplaceHashed(key, hash_(key)); }
    std::pair<V*, bool> tryEmplaceHashed(const K& key, std::size_t h) {
        auto [slot, made] = tryEmplaceWith(
            h, [&](const K& k) { return eq_(k, key); }, [&]() -> const K& { return key; });
        return {slot.second, made};
    }

    /// tryEmplaceHashed of a key given by its hash `h` (hashOf's) and `is(k)`, true of
    /// the stored key k that equals it, instead of a K: a table can be probed by a key in
    /// another form (OwnedRow keys by an event's fields, FieldsOf). `make()` returns the
    /// key as a K, to be copied into the table, only when it is not there. Returns the
    /// stored key and its value, and whether they were made.
    template <typename Is, typename Make>
    std::pair<std::pair<const K*, V*>, bool> tryEmplaceWith(std::size_t h, Is&& is, Make&& make) {
        if (scansCtrl() ? (used_ + 1) * 8 > capacity() * 7 : (used_ + 1) * 4 > capacity() * 3) {
            rehash(size_ + 1);
        }
        const std::uint8_t c = ctrlOf(h);
        std::size_t free = kNone;
        std::size_t i = home(h);
        for (;; i = (i + 1) & mask_) {
            const std::uint8_t at = ctrl_[i];
            if (at == kEmpty) {
                break;
            }
            if (at == kTombstone) {
                free = free != kNone ? free : i;
            } else if (at == c && is(std::as_const(slots_[i].key()))) {
                return {{&slots_[i].key(), &slots_[i].value()}, false};
            }
        }
        if (free == kNone) {
            free = i;  // the empty slot that ended the probe
            ++used_;   // (a tombstone taken again was counted already)
        }
        Slot& s = slots_[free];
        ::new (static_cast<void*>(&s.keyStore)) K(make());
        try {
            s.cell.make();
        } catch (...) {
            s.key().~K();
            throw;
        }
        ctrl_[free] = c;
        ++size_;
        return {{&s.key(), &s.value()}, true};
    }

    /// Sets `key`'s value to `value`, made or replaced.
    void insertOrAssign(const K& key, V value) { *tryEmplace(key).first = std::move(value); }

    bool erase(const K& key) {
        Slot* s = findSlot(key);
        if (s == nullptr) {
            return false;
        }
        s->cell.destroy();
        s->key().~K();
        ctrl_[static_cast<std::size_t>(s - slots_)] = kTombstone;
        --size_;
        return true;
    }

    void clear() {
        release();
        slots_ = nullptr;
        ctrl_ = nullptr;
        mask_ = 0;
        size_ = used_ = 0;
    }

    /// Calls fn(key, value) for every entry, in no particular order.
    template <typename F>
    void forEach(F&& fn) const {
        for (std::size_t i = 0; i < capacity(); ++i) {
            if (ctrl_[i] >= kFull) {
                fn(slots_[i].key(), slots_[i].value());
            }
        }
    }

private:
    static constexpr std::uint8_t kEmpty = 0;
    static constexpr std::uint8_t kTombstone = 1;
    static constexpr std::uint8_t kPending = 2;  // during rehashInPlace: not yet placed
    static constexpr std::uint8_t kFull = 0x80;  // a full slot's byte: 0x80 | 7 bits of hash
    static constexpr std::size_t kLine = 64;
    static constexpr std::size_t kMinCapacity = 16;
    static constexpr std::size_t kNone = ~std::size_t{0};
    /// A table in blocks reserves this many times its size, to grow into in place.
    static constexpr std::size_t kReserveFactor = 1024;
    static constexpr bool kRelocatable =
        std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>;

    struct Slot {
        alignas(K) unsigned char keyStore[sizeof(K)];
        [[no_unique_address]] slot_table_detail::ValueCell<V> cell;
        K& key() { return *std::launder(reinterpret_cast<K*>(keyStore)); }
        const K& key() const { return *std::launder(reinterpret_cast<const K*>(keyStore)); }
        V& value() { return cell.get(); }
        const V& value() const { return cell.get(); }
    };

    Slot* findSlot(const K& key) { return findSlot(key, hash_(key)); }
    Slot* findSlot(const K& key, std::size_t h) {
        return findSlotWith(h, [&](const K& k) { return eq_(k, key); });
    }
    template <typename Is>
    Slot* findSlotWith(std::size_t h, Is&& is) {
        if (size_ == 0) {
            return nullptr;
        }
        const std::uint8_t c = ctrlOf(h);
        for (std::size_t i = home(h);; i = (i + 1) & mask_) {
            const std::uint8_t at = ctrl_[i];
            if (at == kEmpty) {
                return nullptr;
            }
            if (at == c && is(std::as_const(slots_[i].key()))) {
                return &slots_[i];
            }
        }
    }

    /// __builtin_prefetch, with a side effect the compiler must keep: GCC finds a function
    /// that only prefetches free of side effects (pure), and drops the calls to it where
    /// it is not inlined (it did so to every prefetch of a group's slot, rev 80467ee).
    static void fetch(const void* p) {
        __builtin_prefetch(p);
        asm volatile("");
    }

    static std::uint8_t ctrlOf(std::size_t h) {
        return static_cast<std::uint8_t>(kFull | (h & 0x7F));
    }
    /// The home slot: the hash's high bits (Fibonacci hashing spreads any hash's bits).
    std::size_t home(std::size_t h) const {
        return static_cast<std::size_t>((static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ull) >>
                                        shift_);
    }

    /// Rehashes for `want` entries at most half full (tombstones are dropped): in place
    /// when the table grows (or stays) within its reserved blocks, else into new arrays.
    void rehash(std::size_t want) {
        std::size_t cap = kMinCapacity;
        while (cap < want * 2) {
            cap *= 2;
        }
        if (kRelocatable && cap >= capacity() && slotBlock_.fits(cap * sizeof(Slot)) &&
            ctrlBlock_.fits(cap)) {
            rehashInPlace(cap);
            return;
        }
        Arrays fresh = allocate(cap);
        const std::size_t oldCap = capacity();
        Arrays old{slots_, ctrl_, std::move(slotBlock_), std::move(ctrlBlock_)};
        slots_ = fresh.slots;
        ctrl_ = fresh.ctrl;
        slotBlock_ = std::move(fresh.slotBlock);
        ctrlBlock_ = std::move(fresh.ctrlBlock);
        setCapacity(cap);
        for (std::size_t i = 0; i < oldCap; ++i) {
            if (old.ctrl[i] < kFull) {
                continue;
            }
            Slot& s = old.slots[i];
            std::size_t j = home(hash_(s.key()));
            while (ctrl_[j] != kEmpty) {
                j = (j + 1) & mask_;
            }
            relocate(s, slots_[j]);
            ctrl_[j] = old.ctrl[i];
        }
        deallocate(old, oldCap);
    }

    /// The arrays hold `cap` slots now, and the entries are about to be placed in them.
    void setCapacity(std::size_t cap) {
        mask_ = cap - 1;
        shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
        used_ = size_;
    }

    /// Rehashes into `cap` slots, at least as many as now, in the same blocks (grown):
    /// the memory committed so far is reused, and only the new part is fresh. Every entry
    /// is first marked pending; then each pending entry goes to the first slot of its new
    /// probe that is free or pending, trading places with a pending one (which is then
    /// placed in turn). An entry placed passes only placed entries on its probe, as a
    /// lookup expects. From the last slot down, most entries move to empty slots near twice
    /// their index, in two streams of writes and reads.
    void rehashInPlace(std::size_t cap) {
        const std::size_t oldCap = capacity();
        slotBlock_.grow(cap * sizeof(Slot));
        ctrlBlock_.grow(cap);
        std::fill(ctrl_ + oldCap, ctrl_ + cap, kEmpty);
        for (std::size_t i = 0; i < oldCap; ++i) {
            ctrl_[i] = ctrl_[i] >= kFull ? kPending : kEmpty;
        }
        setCapacity(cap);
        for (std::size_t i = oldCap; i-- > 0;) {
            while (ctrl_[i] == kPending) {
                const std::size_t h = hash_(slots_[i].key());
                std::size_t j = home(h);
                while (ctrl_[j] != kEmpty && ctrl_[j] != kPending) {
                    j = (j + 1) & mask_;
                }
                if (j == i) {
                    ctrl_[i] = ctrlOf(h);
                } else if (ctrl_[j] == kEmpty) {
                    relocate(slots_[i], slots_[j]);
                    ctrl_[j] = ctrlOf(h);
                    ctrl_[i] = kEmpty;
                } else {
                    // j's entry comes to i, still pending; this one is placed at j.
                    alignas(Slot) unsigned char store[sizeof(Slot)];
                    Slot& held = *reinterpret_cast<Slot*>(store);
                    relocate(slots_[i], held);
                    relocate(slots_[j], slots_[i]);
                    relocate(held, slots_[j]);
                    ctrl_[j] = ctrlOf(h);
                }
            }
        }
    }

    /// Moves an entry to the raw slot `to`; `from` is left raw.
    static void relocate(Slot& from, Slot& to) noexcept(kRelocatable) {
        ::new (static_cast<void*>(&to.keyStore)) K(std::move(from.key()));
        to.cell.make(std::move(from.value()));
        from.key().~K();
        from.cell.destroy();
    }

    /// A table's arrays: from the heap when small, else each in a block of its own with
    /// room reserved to grow into (kReserveFactor times its size, address space only).
    struct Arrays {
        Slot* slots = nullptr;
        std::uint8_t* ctrl = nullptr;
        ReservedBlock slotBlock;  // empty: slots and ctrl are from the heap
        ReservedBlock ctrlBlock;
    };

    static Arrays allocate(std::size_t cap) {
        Arrays a;
        if (kRelocatable && cap * sizeof(Slot) >= BlockFrom) {
            a.slotBlock = ReservedBlock(cap * sizeof(Slot), cap * sizeof(Slot) * kReserveFactor);
            a.ctrlBlock = ReservedBlock(cap, cap * kReserveFactor);
            a.slots = static_cast<Slot*>(a.slotBlock.data());
            a.ctrl = static_cast<std::uint8_t*>(a.ctrlBlock.data());
        } else {
            a.slots = SlotAlloc().allocate(cap);
            try {
                a.ctrl = CtrlAlloc().allocate(cap);
            } catch (...) {
                SlotAlloc().deallocate(a.slots, cap);
                throw;
            }
        }
        std::fill(a.ctrl, a.ctrl + cap, kEmpty);
        return a;
    }

    /// Frees arrays of `cap` slots whose entries are gone.
    static void deallocate(Arrays& a, std::size_t cap) noexcept {
        if (a.slots == nullptr || a.slotBlock) {
            return;  // nothing, or blocks (which free themselves)
        }
        SlotAlloc().deallocate(a.slots, cap);
        CtrlAlloc().deallocate(a.ctrl, cap);
    }

    void release() {
        if (slots_ == nullptr) {
            return;
        }
        for (std::size_t i = 0; i < capacity(); ++i) {
            if (ctrl_[i] >= kFull) {
                slots_[i].key().~K();
                slots_[i].cell.destroy();
            }
        }
        Arrays old{slots_, ctrl_, std::move(slotBlock_), std::move(ctrlBlock_)};
        deallocate(old, capacity());
    }

    using SlotAlloc = HugePageAllocator<Slot>;
    using CtrlAlloc = HugePageAllocator<std::uint8_t>;
    Slot* slots_ = nullptr;
    std::uint8_t* ctrl_ = nullptr;
    ReservedBlock slotBlock_;  // where slots_ and ctrl_ are, when they are in blocks
    ReservedBlock ctrlBlock_;
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
    std::size_t size_ = 0;  // entries
    std::size_t used_ = 0;  // entries and tombstones
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] Eq eq_;
};

}  // namespace flow::rt
