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
// Here a slot holds the key's hash, the key and the value. The key goes to its home
// slot (from the hash) or, if that is taken, to the next free one (linear probing), and
// the table is at most half full, so most keys are in their home slot: `prefetch` fetches
// the home slot whole and the start of the next one, from the hash alone. A lookup then
// compares hashes before keys. Erasing leaves a tombstone, so no other entry moves: a
// pointer to an entry stays valid until an insertion grows or rehashes the table (as
// with absl's flat maps).
#pragma once

#include "flow/rt/huge_pages.h"

#include <absl/hash/hash.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <utility>

namespace flow::rt {

template <typename K, typename V, typename Hash = absl::Hash<K>, typename Eq = std::equal_to<K>>
class SlotTable {
public:
    SlotTable() = default;
    SlotTable(const SlotTable&) = delete;
    SlotTable& operator=(const SlotTable&) = delete;
    ~SlotTable() { release(); }

    std::size_t size() const { return size_; }
    /// Slots (entries, tombstones and free ones): at most twice the entries and
    /// tombstones, at least 16 once something was inserted.
    std::size_t capacity() const { return slots_ == nullptr ? 0 : mask_ + 1; }
    bool empty() const { return size_ == 0; }

    V* find(const K& key) {
        Slot* s = findSlot(key);
        return s != nullptr ? &s->value() : nullptr;
    }
    const V* find(const K& key) const { return const_cast<SlotTable*>(this)->find(key); }

    /// Fetches `key`'s home slot and the start of the next: where a lookup will look.
    void prefetch(const K& key) const {
        if (slots_ == nullptr) {
            return;
        }
        const char* at = reinterpret_cast<const char*>(&slots_[home(tagOf(key))]);
        // The home slot whole, and the next one's hash and the start of its key.
        constexpr std::size_t kBytes = sizeof(Slot) + 2 * sizeof(std::uint64_t);
        for (std::size_t off = 0; off < kBytes; off += kLine) {
            __builtin_prefetch(at + off);
        }
        __builtin_prefetch(at + kBytes - 1);
    }

    /// The value under `key`, made (value-initialised) if there is none: (value, made).
    std::pair<V*, bool> tryEmplace(const K& key) {
        if ((used_ + 1) * 2 > capacity()) {
            rehash(size_ + 1);
        }
        const std::uint64_t tag = tagOf(key);
        Slot* free = nullptr;
        for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.tag == kEmpty) {
                break;
            }
            if (s.tag == kTombstone) {
                free = free != nullptr ? free : &s;
            } else if (s.tag == tag && eq_(s.key(), key)) {
                return {&s.value(), false};
            }
        }
        if (free == nullptr) {
            // The empty slot that ended the probe: the sequence continues to it.
            std::size_t i = home(tag);
            while (slots_[i].tag != kEmpty) {
                i = (i + 1) & mask_;
            }
            free = &slots_[i];
            ++used_;
        }
        ::new (static_cast<void*>(&free->keyStore)) K(key);
        try {
            ::new (static_cast<void*>(&free->valueStore)) V();
        } catch (...) {
            free->key().~K();
            throw;
        }
        free->tag = tag;  // a tombstone taken again was counted in used_ already
        ++size_;
        return {&free->value(), true};
    }

    /// Sets `key`'s value to `value`, made or replaced.
    void insertOrAssign(const K& key, V value) { *tryEmplace(key).first = std::move(value); }

    bool erase(const K& key) {
        Slot* s = findSlot(key);
        if (s == nullptr) {
            return false;
        }
        s->value().~V();
        s->key().~K();
        s->tag = kTombstone;
        --size_;
        return true;
    }

    void clear() {
        release();
        slots_ = nullptr;
        mask_ = 0;
        size_ = used_ = 0;
    }

    /// Calls fn(key, value) for every entry, in no particular order.
    template <typename F>
    void forEach(F&& fn) const {
        for (std::size_t i = 0; slots_ != nullptr && i <= mask_; ++i) {
            const Slot& s = slots_[i];
            if (s.tag >= kFirstTag) {
                fn(s.key(), s.value());
            }
        }
    }

private:
    static constexpr std::uint64_t kEmpty = 0;
    static constexpr std::uint64_t kTombstone = 1;
    static constexpr std::uint64_t kFirstTag = 2;  // a full slot's tag: its hash, bit 1 set
    static constexpr std::size_t kLine = 64;
    static constexpr std::size_t kMinCapacity = 16;

    struct Slot {
        std::uint64_t tag;  // kEmpty, kTombstone, or the key's hash | 2
        alignas(K) unsigned char keyStore[sizeof(K)];
        alignas(V) unsigned char valueStore[sizeof(V)];
        K& key() { return *std::launder(reinterpret_cast<K*>(keyStore)); }
        const K& key() const { return *std::launder(reinterpret_cast<const K*>(keyStore)); }
        V& value() { return *std::launder(reinterpret_cast<V*>(valueStore)); }
        const V& value() const { return *std::launder(reinterpret_cast<const V*>(valueStore)); }
    };

    Slot* findSlot(const K& key) {
        if (size_ == 0) {
            return nullptr;
        }
        const std::uint64_t tag = tagOf(key);
        for (std::size_t i = home(tag);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.tag == kEmpty) {
                return nullptr;
            }
            if (s.tag == tag && eq_(s.key(), key)) {
                return &s;
            }
        }
    }

    std::uint64_t tagOf(const K& key) const {
        return static_cast<std::uint64_t>(hash_(key)) | kFirstTag;
    }
    /// The home slot: the hash's high bits (Fibonacci hashing spreads any hash's bits).
    std::size_t home(std::uint64_t tag) const {
        return static_cast<std::size_t>((tag * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
    }

    /// Moves every entry to a new array that holds `want` entries at most a quarter full
    /// (tombstones are dropped).
    void rehash(std::size_t want) {
        std::size_t cap = kMinCapacity;
        while (cap < want * 4) {
            cap *= 2;
        }
        Slot* old = slots_;
        const std::size_t oldCap = capacity();
        slots_ = Alloc().allocate(cap);
        for (std::size_t i = 0; i < cap; ++i) {
            slots_[i].tag = kEmpty;
        }
        mask_ = cap - 1;
        shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
        used_ = size_;
        for (std::size_t i = 0; i < oldCap; ++i) {
            Slot& s = old[i];
            if (s.tag < kFirstTag) {
                continue;
            }
            std::size_t j = home(s.tag);
            while (slots_[j].tag != kEmpty) {
                j = (j + 1) & mask_;
            }
            Slot& d = slots_[j];
            ::new (static_cast<void*>(&d.keyStore)) K(std::move(s.key()));
            ::new (static_cast<void*>(&d.valueStore)) V(std::move(s.value()));
            d.tag = s.tag;
            s.key().~K();
            s.value().~V();
        }
        if (old != nullptr) {
            Alloc().deallocate(old, oldCap);
        }
    }

    void release() {
        if (slots_ == nullptr) {
            return;
        }
        forEachSlot([](Slot& s) {
            s.key().~K();
            s.value().~V();
        });
        Alloc().deallocate(slots_, capacity());
    }
    template <typename F>
    void forEachSlot(F&& fn) {
        for (std::size_t i = 0; i <= mask_; ++i) {
            if (slots_[i].tag >= kFirstTag) {
                fn(slots_[i]);
            }
        }
    }

    using Alloc = HugePageAllocator<Slot>;
    Slot* slots_ = nullptr;
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
    std::size_t size_ = 0;  // entries
    std::size_t used_ = 0;  // entries and tombstones
    [[no_unique_address]] Hash hash_;
    [[no_unique_address]] Eq eq_;
};

}  // namespace flow::rt
