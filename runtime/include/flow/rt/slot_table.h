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
// whole, and its control byte, from the hash alone. As in absl, a control byte per slot (empty,
// erased, or 7 bits of the hash) sits in an array of its own: a lookup compares keys only where
// those bits match, and a key that is absent is mostly answered from the control bytes, which are
// small enough to stay in the cache. Erasing leaves a tombstone, so no other entry moves: a pointer
// to an entry stays valid until an insertion grows or rehashes the table (as with absl's flat
// maps).
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

template <typename K, typename V, typename Hash = absl::Hash<K>, typename Eq = std::equal_to<K>>
class SlotTable {
public:
    SlotTable() = default;
    SlotTable(const SlotTable&) = delete;
    SlotTable& operator=(const SlotTable&) = delete;
    ~SlotTable() { release(); }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    /// Slots (entries, tombstones and free ones): at least 4/3 of the entries and
    /// tombstones, at least 16 once something was inserted.
    std::size_t capacity() const { return slots_ == nullptr ? 0 : mask_ + 1; }

    V* find(const K& key) {
        Slot* s = findSlot(key);
        return s != nullptr ? &s->value() : nullptr;
    }
    const V* find(const K& key) const { return const_cast<SlotTable*>(this)->find(key); }

    /// Fetches where a lookup of `key` will look: its home slot and control byte.
    void prefetch(const K& key) const {
        if (slots_ == nullptr) {
            return;
        }
        const std::size_t i = home(hash_(key));
        __builtin_prefetch(ctrl_ + i);
        const char* at = reinterpret_cast<const char*>(&slots_[i]);
        for (std::size_t off = 0; off < sizeof(Slot); off += kLine) {
            __builtin_prefetch(at + off);
        }
        __builtin_prefetch(at + sizeof(Slot) - 1);
    }

    /// The value under `key`, made (value-initialised) if there is none: (value, made).
    std::pair<V*, bool> tryEmplace(const K& key) {
        if ((used_ + 1) * 4 > capacity() * 3) {
            rehash(size_ + 1);
        }
        const std::size_t h = hash_(key);
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
            } else if (at == c && eq_(slots_[i].key(), key)) {
                return {&slots_[i].value(), false};
            }
        }
        if (free == kNone) {
            free = i;  // the empty slot that ended the probe
            ++used_;   // (a tombstone taken again was counted already)
        }
        Slot& s = slots_[free];
        ::new (static_cast<void*>(&s.keyStore)) K(key);
        try {
            s.cell.make();
        } catch (...) {
            s.key().~K();
            throw;
        }
        ctrl_[free] = c;
        ++size_;
        return {&s.value(), true};
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
    static constexpr std::uint8_t kFull = 0x80;  // a full slot's byte: 0x80 | 7 bits of hash
    static constexpr std::size_t kLine = 64;
    static constexpr std::size_t kMinCapacity = 16;
    static constexpr std::size_t kNone = ~std::size_t{0};

    struct Slot {
        alignas(K) unsigned char keyStore[sizeof(K)];
        [[no_unique_address]] slot_table_detail::ValueCell<V> cell;
        K& key() { return *std::launder(reinterpret_cast<K*>(keyStore)); }
        const K& key() const { return *std::launder(reinterpret_cast<const K*>(keyStore)); }
        V& value() { return cell.get(); }
        const V& value() const { return cell.get(); }
    };

    Slot* findSlot(const K& key) {
        if (size_ == 0) {
            return nullptr;
        }
        const std::size_t h = hash_(key);
        const std::uint8_t c = ctrlOf(h);
        for (std::size_t i = home(h);; i = (i + 1) & mask_) {
            const std::uint8_t at = ctrl_[i];
            if (at == kEmpty) {
                return nullptr;
            }
            if (at == c && eq_(slots_[i].key(), key)) {
                return &slots_[i];
            }
        }
    }

    static std::uint8_t ctrlOf(std::size_t h) {
        return static_cast<std::uint8_t>(kFull | (h & 0x7F));
    }
    /// The home slot: the hash's high bits (Fibonacci hashing spreads any hash's bits).
    std::size_t home(std::size_t h) const {
        return static_cast<std::size_t>((static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ull) >>
                                        shift_);
    }

    /// Moves every entry to new arrays that hold `want` entries at most half full
    /// (tombstones are dropped).
    void rehash(std::size_t want) {
        std::size_t cap = kMinCapacity;
        while (cap < want * 2) {
            cap *= 2;
        }
        Slot* oldSlots = slots_;
        std::uint8_t* oldCtrl = ctrl_;
        const std::size_t oldCap = capacity();
        Slot* slots = SlotAlloc().allocate(cap);
        std::uint8_t* ctrl;
        try {
            ctrl = CtrlAlloc().allocate(cap);
        } catch (...) {
            SlotAlloc().deallocate(slots, cap);
            throw;
        }
        std::fill(ctrl, ctrl + cap, kEmpty);
        slots_ = slots;
        ctrl_ = ctrl;
        mask_ = cap - 1;
        shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
        used_ = size_;
        for (std::size_t i = 0; i < oldCap; ++i) {
            if (oldCtrl[i] < kFull) {
                continue;
            }
            Slot& s = oldSlots[i];
            std::size_t j = home(hash_(s.key()));
            while (ctrl_[j] != kEmpty) {
                j = (j + 1) & mask_;
            }
            Slot& d = slots_[j];
            ::new (static_cast<void*>(&d.keyStore)) K(std::move(s.key()));
            d.cell.make(std::move(s.value()));
            ctrl_[j] = oldCtrl[i];
            s.key().~K();
            s.cell.destroy();
        }
        if (oldSlots != nullptr) {
            SlotAlloc().deallocate(oldSlots, oldCap);
            CtrlAlloc().deallocate(oldCtrl, oldCap);
        }
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
        SlotAlloc().deallocate(slots_, capacity());
        CtrlAlloc().deallocate(ctrl_, capacity());
    }

    using SlotAlloc = HugePageAllocator<Slot>;
    using CtrlAlloc = HugePageAllocator<std::uint8_t>;
    Slot* slots_ = nullptr;
    std::uint8_t* ctrl_ = nullptr;
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
    std::size_t size_ = 0;  // entries
    std::size_t used_ = 0;  // entries and tombstones
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] Eq eq_;
};

}  // namespace flow::rt
