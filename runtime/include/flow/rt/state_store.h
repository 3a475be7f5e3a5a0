// flow/rt/state_store.h - keyed state tables, and stores that checkpoint them atomically.
//
// An operator keeps its state in StateTables registered under stable names (the
// declared service and table names), so editing a program keeps the state of what did
// not change. A checkpoint writes every table and an opaque `meta` blob (the input
// positions the state reflects) in one atomic step: one snapshot file (memory store)
// or one RocksDB WriteBatch. After a crash, load() returns exactly the last checkpoint.
#pragma once

#include "flow/rt/file_system.h"
#include "flow/rt/status.h"

#include <absl/container/flat_hash_map.h>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flow::rt {

/// How a table's keys and values become bytes (snapshots, RocksDB).
template <typename K, typename V>
struct TableCodec {
    std::function<void(const K&, std::string&)> encodeKey;
    std::function<bool(std::string_view, K&)> decodeKey;
    std::function<void(const V&, std::string&)> encodeValue;
    std::function<bool(std::string_view, V&)> decodeValue;
};

class TableBase;

/// A store's undo journal: while `active`, each table records the old version of every
/// row it changes, and lists itself in `touched` on its first change.
struct UndoJournal {
    bool active = false;
    std::vector<TableBase*> touched;
};

/// The part of a table a store drives: persistence, independent of K and V.
class TableBase {
public:
    virtual ~TableBase() = default;
    /// Puts back every row changed since the journal became active (newest first).
    virtual void undo() = 0;
    /// Forgets the recorded old rows: the changes stay.
    virtual void forgetUndo() = 0;
    virtual const std::string& name() const = 0;
    /// Every live row as (key bytes, value bytes), in no particular order.
    virtual void exportRows(const std::function<void(std::string_view, std::string_view)>& fn) = 0;
    /// Replaces the content with rows from a snapshot; false if a row does not decode.
    virtual bool importRows(
        const std::function<bool(const std::function<bool(std::string_view, std::string_view)>&)>&
            rows) = 0;
    /// Changes since the last checkpoint: puts (value non-null) and deletes.
    virtual void
    exportDirty(const std::function<void(std::string_view, const std::string*)>& fn) = 0;
    virtual void markClean() = 0;
    virtual std::size_t dirtyCount() const = 0;
    virtual void clear() = 0;
};

/// Keyed rows. `find` returns null for an absent row; `upsert` creates a
/// value-initialised row when absent; the reference is valid until the next call.
template <typename K, typename V>
class StateTable : public TableBase {
public:
    virtual const V* find(const K& key) = 0;
    virtual V& upsert(const K& key, bool* created = nullptr) = 0;
    virtual bool erase(const K& key) = 0;
    virtual void forEach(const std::function<void(const K&, const V&)>& fn) = 0;
    virtual std::size_t size() = 0;
    /// A hint that `key` is about to be looked up: a table in memory starts fetching its
    /// slot, so the cache miss overlaps the caller's work until then. Returns a hash for
    /// findHashed and upsertHashed of the same key (any number from tables that do not
    /// use one).
    virtual std::size_t prefetch(const K& /*key*/) { return 0; }
    /// find and upsert of a key prefetch(key) returned `hash` for: a table in memory does
    /// not hash the key again.
    virtual const V* findHashed(const K& key, std::size_t /*hash*/) { return find(key); }
    virtual V& upsertHashed(const K& key, std::size_t /*hash*/, bool* created) {
        return upsert(key, created);
    }
};

/// What the store persists besides the tables: opaque to the store.
struct Checkpoint {
    std::string meta;
    std::uint64_t sequence = 0;         // how many checkpoints this store has taken
    std::vector<std::string> restored;  // registered tables whose state it held
};

/// Reads a RocksDB-backed table's rows on a cache miss (implemented in rocks_store.cpp,
/// so this header does not need RocksDB's).
class RocksAccess {
public:
    virtual ~RocksAccess() = default;
    virtual bool get(std::string_view key, std::string& value) = 0;
    /// Calls fn(key, value) for every stored key starting with `prefix`.
    virtual void scan(std::string_view prefix,
                      const std::function<void(std::string_view, std::string_view)>& fn) = 0;
};

class Store {
public:
    virtual ~Store() = default;
    virtual const char* kind() const = 0;
    /// Restores the last checkpoint into every registered table and returns it, or
    /// nullopt if there is none (a fresh store). A corrupt checkpoint is an error.
    /// Register every table before calling it.
    virtual Result<std::optional<Checkpoint>> load() = 0;
    /// Atomically persists every registered table and `meta`.
    virtual Status checkpoint(const std::string& meta) = 0;
    /// True when enough changes are pending that a checkpoint should be taken soon
    /// (RocksDB keeps changes in memory until the checkpoint).
    virtual bool wantsCheckpoint() const = 0;

    /// The table registered under `name`, created on first use.
    template <typename K, typename V>
    StateTable<K, V>& table(const std::string& name, TableCodec<K, V> codec);

    /// Starts recording: until `keep` or `rollback`, every change to any table can be
    /// undone. The engine wraps each event's processing in one, so an event that fails
    /// with a runtime error leaves no trace in any table (nothing half-applied).
    void beginUndo() {
        keep();
        undo_.active = true;
    }
    /// Keeps the changes made since `beginUndo` and stops recording.
    void keep() {
        for (TableBase* t : undo_.touched) {
            t->forgetUndo();
        }
        undo_.touched.clear();
        undo_.active = false;
    }
    /// Puts every table back as it was at `beginUndo` and stops recording.
    void rollback() {
        for (auto it = undo_.touched.rbegin(); it != undo_.touched.rend(); ++it) {
            (*it)->undo();
        }
        undo_.touched.clear();
        undo_.active = false;
    }

protected:
    UndoJournal undo_;
    virtual RocksAccess* rocksAccess() { return nullptr; }
    virtual std::size_t maxCachedRows() const { return 0; }
    std::map<std::string, std::unique_ptr<TableBase>> tables_;
};

struct StoreOptions {
    FileSystem* fs = nullptr;
    /// RocksDB: take a checkpoint once this many rows are dirty; keep at most this many
    /// clean rows cached in memory.
    std::size_t maxDirtyRows = 200'000;
    std::size_t maxCachedRows = 1'000'000;
    bool syncWrites = true;  // fsync checkpoints (off only for benchmarks of the CPU cost)
};

/// State in memory (a flat hash map per table), checkpointed as one snapshot file
/// `DIR/snapshot` written atomically (temp file, fsync, rename, fsync dir) and
/// protected by a CRC: a damaged snapshot is refused, never half-loaded. With an empty
/// `dir` the state lives only in memory: checkpoints write nothing, load finds none.
std::unique_ptr<Store> openMemoryStore(const std::string& dir, StoreOptions options = {});
/// State in RocksDB under `DIR/rocksdb`, for state larger than memory.
Result<std::unique_ptr<Store>> openRocksStore(const std::string& dir, StoreOptions options = {});

}  // namespace flow::rt

#include "flow/rt/state_tables.h"
