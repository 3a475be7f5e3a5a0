// flow/rt/state_tables.h - the two StateTable implementations, typed on key and value.
#pragma once

#include "flow/rt/slot_table.h"
#include "flow/rt/state_store.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace flow::rt {

/// The old versions of the rows a table changed while its store's journal was active
/// (none: the row was absent), oldest first.
template <typename K, typename V>
class UndoLog {
public:
    explicit UndoLog(UndoJournal* journal) : journal_(journal) {}

    bool recording() const { return journal_ != nullptr && journal_->active; }
    void record(TableBase* table, const K& key, const V* old) {
        if (entries_.empty()) {
            journal_->touched.push_back(table);
        }
        entries_.emplace_back(key, old != nullptr ? std::optional<V>(*old) : std::nullopt);
    }
    /// Calls restore(key, old) newest first, then forgets.
    template <typename F>
    void undo(F&& restore) {
        for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
            restore(it->first, std::move(it->second));
        }
        entries_.clear();
    }
    void forget() { entries_.clear(); }

private:
    UndoJournal* journal_;
    std::vector<std::pair<K, std::optional<V>>> entries_;
};

/// A hash map whose slots can be fetched ahead (SlotTable); the whole table is written
/// at each checkpoint.
template <typename K, typename V>
class MemoryTable final : public StateTable<K, V> {
public:
    MemoryTable(std::string name, TableCodec<K, V> codec, UndoJournal* journal)
        : name_(std::move(name)), codec_(std::move(codec)), undo_(journal) {}

    const std::string& name() const override { return name_; }
    const V* find(const K& key) override { return rows_.find(key); }
    std::size_t prefetch(const K& key) override {
        const std::size_t hash = rows_.hashOf(key);
        rows_.prefetchHashed(hash);
        return hash;
    }
    const V* findHashed(const K& key, std::size_t hash) override {
        return rows_.findHashed(key, hash);
    }
    V& upsert(const K& key, bool* created) override {
        return upsertHashed(key, rows_.hashOf(key), created);
    }
    V& upsertHashed(const K& key, std::size_t hash, bool* created) override {
        return *upsertWith(
                    hash, [&](const K& k) { return k == key; }, [&]() -> const K& { return key; },
                    created)
                    .second;
    }
    /// upsertHashed of a key given by its hash and a predicate (SlotTable::tryEmplaceWith):
    /// the stored key and its value.
    template <typename Is, typename Make>
    std::pair<const K*, V*> upsertWith(std::size_t hash, Is&& is, Make&& make, bool* created) {
        auto [entry, inserted] =
            rows_.tryEmplaceWith(hash, std::forward<Is>(is), std::forward<Make>(make));
        if (undo_.recording()) {
            undo_.record(this, *entry.first, inserted ? nullptr : entry.second);
        }
        if (created != nullptr) {
            *created = inserted;
        }
        return entry;
    }
    /// findHashed of a key given by its hash and a predicate (SlotTable::findWith).
    template <typename Is>
    const V* findWith(std::size_t hash, Is&& is) {
        return rows_.findWith(hash, std::forward<Is>(is));
    }
    /// prefetch of the key hashOf would give `hash`.
    void prefetchHashed(std::size_t hash) { rows_.prefetchHashed(hash); }
    bool erase(const K& key) override {
        if (undo_.recording()) {
            const V* value = rows_.find(key);
            if (value == nullptr) {
                return false;
            }
            undo_.record(this, key, value);
        }
        return rows_.erase(key);
    }
    void undo() override {
        undo_.undo([this](const K& key, std::optional<V> old) {
            if (old) {
                rows_.insertOrAssign(key, std::move(*old));
            } else {
                rows_.erase(key);
            }
        });
    }
    void forgetUndo() override { undo_.forget(); }
    void forEach(const std::function<void(const K&, const V&)>& fn) override { rows_.forEach(fn); }
    std::size_t size() override { return rows_.size(); }

    void exportRows(const std::function<void(std::string_view, std::string_view)>& fn) override {
        std::string kb, vb;
        rows_.forEach([&](const K& k, const V& v) {
            kb.clear();
            vb.clear();
            codec_.encodeKey(k, kb);
            codec_.encodeValue(v, vb);
            fn(kb, vb);
        });
    }
    bool importRows(
        const std::function<bool(const std::function<bool(std::string_view, std::string_view)>&)>&
            rows) override {
        rows_.clear();
        return rows([this](std::string_view kb, std::string_view vb) {
            K k{};
            V v{};
            if (!codec_.decodeKey(kb, k) || !codec_.decodeValue(vb, v)) {
                return false;
            }
            rows_.insertOrAssign(k, std::move(v));
            return true;
        });
    }
    void exportDirty(const std::function<void(std::string_view, const std::string*)>&) override {}
    void markClean() override {}
    std::size_t dirtyCount() const override { return 0; }
    void clear() override { rows_.clear(); }

private:
    std::string name_;
    TableCodec<K, V> codec_;
    UndoLog<K, V> undo_;
    SlotTable<K, V> rows_;
};

/// Rows in RocksDB under the prefix (varint name length, name), read through a cache
/// that also holds every change since the last checkpoint. Nothing reaches RocksDB
/// except in a checkpoint's WriteBatch, so the database never runs ahead of the
/// positions stored with it.
template <typename K, typename V>
class RocksTable final : public StateTable<K, V> {
public:
    RocksTable(std::string name, TableCodec<K, V> codec, RocksAccess* db, std::size_t maxCached,
               UndoJournal* journal)
        : name_(std::move(name)), codec_(std::move(codec)), db_(db), maxCached_(maxCached),
          undo_(journal) {
        prefix_ = tablePrefix(name_);
    }

    static std::string tablePrefix(const std::string& name) {
        std::string p;
        std::uint64_t n = name.size();
        while (n >= 0x80) {
            p.push_back(static_cast<char>((n & 0x7F) | 0x80));
            n >>= 7;
        }
        p.push_back(static_cast<char>(n));
        p += name;
        return p;
    }

    const std::string& name() const override { return name_; }

    const V* find(const K& key) override {
        Entry* e = lookup(key);
        return e == nullptr || e->absent ? nullptr : &e->value;
    }
    V& upsert(const K& key, bool* created) override {
        Entry* e = lookup(key);
        if (e == nullptr) {
            e = &cache_[key];
            e->absent = true;
        }
        if (created != nullptr) {
            *created = e->absent;
        }
        if (undo_.recording()) {
            undo_.record(this, key, e->absent ? nullptr : &e->value);
        }
        if (e->absent) {
            e->value = V{};
            e->absent = false;
        }
        markDirty(key, *e);
        return e->value;
    }
    bool erase(const K& key) override {
        Entry* e = lookup(key);
        if (e == nullptr || e->absent) {
            return false;
        }
        if (undo_.recording()) {
            undo_.record(this, key, &e->value);
        }
        e->absent = true;
        e->value = V{};
        markDirty(key, *e);
        return true;
    }
    void forEach(const std::function<void(const K&, const V&)>& fn) override {
        // Stored rows not shadowed by the cache, then the cache's live rows.
        db_->scan(prefix_, [&](std::string_view kb, std::string_view vb) {
            K k{};
            if (!codec_.decodeKey(kb.substr(prefix_.size()), k) || cache_.contains(k)) {
                return;
            }
            V v{};
            if (codec_.decodeValue(vb, v)) {
                fn(k, v);
            }
        });
        for (const auto& [k, e] : cache_) {
            if (!e.absent) {
                fn(k, e.value);
            }
        }
    }
    std::size_t size() override {
        std::size_t n = 0;
        forEach([&](const K&, const V&) { ++n; });
        return n;
    }

    void exportRows(const std::function<void(std::string_view, std::string_view)>& fn) override {
        std::string kb, vb;
        forEach([&](const K& k, const V& v) {
            kb.clear();
            vb.clear();
            codec_.encodeKey(k, kb);
            codec_.encodeValue(v, vb);
            fn(kb, vb);
        });
    }
    bool importRows(
        const std::function<bool(const std::function<bool(std::string_view, std::string_view)>&)>&)
        override {
        return false;  // RocksDB tables are restored by the database itself
    }
    void exportDirty(const std::function<void(std::string_view, const std::string*)>& fn) override {
        std::string kb, vb;
        for (const K& k : dirty_) {
            const Entry& e = cache_.at(k);
            kb = prefix_;
            codec_.encodeKey(k, kb);
            if (e.absent) {
                fn(kb, nullptr);
            } else {
                vb.clear();
                codec_.encodeValue(e.value, vb);
                fn(kb, &vb);
            }
        }
    }
    void markClean() override {
        for (const K& k : dirty_) {
            cache_.at(k).dirty = false;
        }
        dirty_.clear();
        if (cache_.size() > maxCached_) {
            cache_.clear();  // everything is clean now and stored: drop it all
        }
    }
    std::size_t dirtyCount() const override { return dirty_.size(); }
    void clear() override {
        cache_.clear();
        dirty_.clear();
    }
    void undo() override {
        // The rows recorded were read into the cache when changed, and the cache is only
        // dropped at a checkpoint, never while the journal is active.
        undo_.undo([this](const K& key, std::optional<V> old) {
            Entry& e = cache_.at(key);
            e.absent = !old.has_value();
            e.value = old ? std::move(*old) : V{};
            markDirty(key, e);
        });
    }
    void forgetUndo() override { undo_.forget(); }

private:
    struct Entry {
        V value{};
        bool absent = false;  // a cached miss or a deletion
        bool dirty = false;
    };

    Entry* lookup(const K& key) {
        auto it = cache_.find(key);
        if (it != cache_.end()) {
            return &it->second;
        }
        std::string kb = prefix_;
        codec_.encodeKey(key, kb);
        std::string vb;
        Entry e;
        if (db_->get(kb, vb)) {
            if (!codec_.decodeValue(vb, e.value)) {
                e.absent = true;  // unreadable row: treated as absent (reported by the store)
            }
        } else {
            e.absent = true;
        }
        return &cache_.insert_or_assign(key, std::move(e)).first->second;
    }

    void markDirty(const K& key, Entry& e) {
        if (!e.dirty) {
            e.dirty = true;
            dirty_.push_back(key);
        }
    }

    std::string name_;
    std::string prefix_;
    TableCodec<K, V> codec_;
    RocksAccess* db_;
    std::size_t maxCached_;
    UndoLog<K, V> undo_;
    absl::flat_hash_map<K, Entry> cache_;
    std::vector<K> dirty_;
};

template <typename K, typename V>
StateTable<K, V>& Store::table(const std::string& name, TableCodec<K, V> codec) {
    auto it = tables_.find(name);
    if (it != tables_.end()) {
        return dynamic_cast<StateTable<K, V>&>(*it->second);
    }
    std::unique_ptr<StateTable<K, V>> t;
    if (RocksAccess* db = rocksAccess()) {
        t = std::make_unique<RocksTable<K, V>>(name, std::move(codec), db, maxCachedRows(), &undo_);
    } else {
        t = std::make_unique<MemoryTable<K, V>>(name, std::move(codec), &undo_);
    }
    StateTable<K, V>& ref = *t;
    tables_.emplace(name, std::move(t));
    return ref;
}

}  // namespace flow::rt
