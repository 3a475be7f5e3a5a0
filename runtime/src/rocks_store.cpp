// runtime/src/rocks_store.cpp - state in RocksDB; each checkpoint is one WriteBatch.
#include "flow/rt/codec.h"
#include "flow/rt/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace flow::rt {

namespace {

// Table prefixes start with a name length of at least 1, so this key is never a row.
const std::string kMetaKey("\0meta", 5);

class RocksStore final : public Store, public RocksAccess {
public:
    RocksStore(std::unique_ptr<rocksdb::DB> db, std::string path, StoreOptions options)
        : db_(std::move(db)), path_(std::move(path)), opt_(options) {}

    const char* kind() const override { return "rocksdb"; }

    bool wantsCheckpoint() const override {
        std::size_t dirty = 0;
        for (const auto& [name, t] : tables_) {
            dirty += t->dirtyCount();
        }
        return dirty >= opt_.maxDirtyRows;
    }

    Result<std::optional<Checkpoint>> load() override {
        for (auto& [name, t] : tables_) {
            t->clear();
        }
        std::string value;
        rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kMetaKey, &value);
        if (s.IsNotFound()) {
            return std::optional<Checkpoint>{};
        }
        if (!s.ok()) {
            return Status::corruption(path_ + ": " + s.ToString());
        }
        Reader r(value);
        Checkpoint cp;
        std::string_view meta;
        if (!r.fixed64(cp.sequence) || !r.bytes(meta, value.size()) || r.remaining() != 0) {
            return Status::corruption(path_ + ": invalid checkpoint record");
        }
        cp.meta.assign(meta);
        for (const auto& [name, t] : tables_) {
            cp.restored.push_back(name);
        }
        sequence_ = cp.sequence;
        return std::optional<Checkpoint>(std::move(cp));
    }

    Status checkpoint(const std::string& meta) override {
        if (!error_.empty()) {
            return Status::corruption(path_ + ": " + error_);
        }
        rocksdb::WriteBatch batch;
        for (auto& [name, t] : tables_) {
            t->exportDirty([&](std::string_view key, const std::string* value) {
                if (value != nullptr) {
                    batch.Put(rocksdb::Slice(key.data(), key.size()), *value);
                } else {
                    batch.Delete(rocksdb::Slice(key.data(), key.size()));
                }
            });
        }
        std::string m;
        putFixed64(m, sequence_ + 1);
        putBytes(m, meta);
        batch.Put(kMetaKey, m);
        rocksdb::WriteOptions wo;
        wo.sync = opt_.syncWrites;
        rocksdb::Status s = db_->Write(wo, &batch);
        if (!s.ok()) {
            return Status::io(path_ + ": " + s.ToString());
        }
        for (auto& [name, t] : tables_) {
            t->markClean();
        }
        ++sequence_;
        return Status::ok();
    }

    bool get(std::string_view key, std::string& value) override {
        rocksdb::Status s =
            db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &value);
        if (!s.ok() && !s.IsNotFound()) {
            error_ = s.ToString();
        }
        return s.ok();
    }

    void scan(std::string_view prefix,
              const std::function<void(std::string_view, std::string_view)>& fn) override {
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        rocksdb::Slice p(prefix.data(), prefix.size());
        for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
            fn(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()));
        }
        if (!it->status().ok()) {
            error_ = it->status().ToString();
        }
    }

protected:
    RocksAccess* rocksAccess() override { return this; }
    std::size_t maxCachedRows() const override { return opt_.maxCachedRows; }

private:
    std::unique_ptr<rocksdb::DB> db_;
    std::string path_;
    StoreOptions opt_;
    std::uint64_t sequence_ = 0;
    std::string error_;
};

}  // namespace

Result<std::unique_ptr<Store>> openRocksStore(const std::string& dir, StoreOptions options) {
    FileSystem& fs = options.fs != nullptr ? *options.fs : posixFileSystem();
    FLOW_RT_TRY(fs.createDirs(dir));
    std::string path = joinPath(dir, "rocksdb");
    rocksdb::Options o;
    o.create_if_missing = true;
    o.paranoid_checks = true;
    o.IncreaseParallelism(2);
    // A row read that misses the cache is usually a new key: bloom filters answer
    // "absent" without touching the files, and a larger memtable means fewer flushes.
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.block_cache = rocksdb::NewLRUCache(64u << 20);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    o.write_buffer_size = 64u << 20;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(o, path, &raw);
    if (!s.ok()) {
        return Status::io(path + ": " + s.ToString());
    }
    return std::unique_ptr<Store>(new RocksStore(std::unique_ptr<rocksdb::DB>(raw), path, options));
}

}  // namespace flow::rt
