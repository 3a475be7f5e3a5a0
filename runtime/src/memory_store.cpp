// runtime/src/memory_store.cpp - state in memory, checkpointed as one atomic snapshot file.
//
// DIR/snapshot: "FLOWSNP1" | u64 sequence | bytes meta | u32 tables |
//   per table (sorted by name): bytes name | u64 rows | rows of (bytes key, bytes value)
//   | u32 crc32 of everything before.
#include "flow/rt/codec.h"
#include "flow/rt/state_store.h"

#include <cstring>
#include <zlib.h>

namespace flow::rt {

namespace {

constexpr char kMagic[8] = {'F', 'L', 'O', 'W', 'S', 'N', 'P', '1'};

std::uint32_t crcOf(std::string_view data) {
    uLong c = 0;
    while (!data.empty()) {
        auto n = static_cast<uInt>(std::min<std::size_t>(data.size(), 1u << 30));
        c = crc32(c, reinterpret_cast<const Bytef*>(data.data()), n);
        data.remove_prefix(n);
    }
    return static_cast<std::uint32_t>(c);
}

class MemoryStore final : public Store {
public:
    MemoryStore(std::string dir, StoreOptions options)
        : dir_(std::move(dir)), opt_(options),
          fs_(options.fs != nullptr ? options.fs : &posixFileSystem()) {}

    const char* kind() const override { return "memory"; }
    bool wantsCheckpoint() const override { return false; }

    Result<std::optional<Checkpoint>> load() override {
        std::string path = joinPath(dir_, "snapshot");
        for (auto& [name, t] : tables_) {
            t->clear();
        }
        if (dir_.empty() || !fs_->exists(path)) {
            return std::optional<Checkpoint>{};
        }
        std::string data;
        FLOW_RT_TRY(fs_->readFile(path, data));
        if (data.size() < sizeof kMagic + 4 ||
            std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
            return Status::corruption(path + ": not a Flow snapshot");
        }
        std::uint32_t stored = 0;
        Reader tail(std::string_view(data).substr(data.size() - 4));
        tail.fixed32(stored);
        std::string_view body = std::string_view(data).substr(0, data.size() - 4);
        if (stored != crcOf(body)) {
            return Status::corruption(path + ": checksum mismatch");
        }
        Reader r(body.substr(sizeof kMagic));
        Checkpoint cp;
        std::string_view meta;
        std::uint32_t tables = 0;
        if (!r.fixed64(cp.sequence) || !r.bytes(meta, body.size()) || !r.fixed32(tables)) {
            return Status::corruption(path + ": truncated header");
        }
        cp.meta.assign(meta);
        for (std::uint32_t t = 0; t < tables; ++t) {
            std::string_view name;
            std::uint64_t rows = 0;
            if (!r.bytes(name, 4096) || !r.fixed64(rows)) {
                return Status::corruption(path + ": truncated table header");
            }
            auto it = tables_.find(std::string(name));
            bool ok = true;
            auto readRows =
                [&](const std::function<bool(std::string_view, std::string_view)>& sink) {
                    for (std::uint64_t i = 0; i < rows; ++i) {
                        std::string_view k, v;
                        if (!r.bytes(k, body.size()) || !r.bytes(v, body.size())) {
                            ok = false;
                            return false;
                        }
                        if (!sink(k, v)) {
                            return false;
                        }
                    }
                    return true;
                };
            if (it == tables_.end()) {
                // State of a table the program no longer declares: skipped.
                readRows([](std::string_view, std::string_view) { return true; });
            } else {
                if (!it->second->importRows(readRows)) {
                    return Status::corruption(path + ": table '" + std::string(name) +
                                              "' has a row that does not decode");
                }
                cp.restored.emplace_back(name);
            }
            if (!ok) {
                return Status::corruption(path + ": truncated rows of table '" + std::string(name) +
                                          "'");
            }
        }
        if (r.remaining() != 0) {
            return Status::corruption(path + ": trailing bytes");
        }
        sequence_ = cp.sequence;
        return std::optional<Checkpoint>(std::move(cp));
    }

    Status checkpoint(const std::string& meta) override {
        if (dir_.empty()) {
            ++sequence_;  // state that lives only in memory: nothing to write
            return Status::ok();
        }
        FLOW_RT_TRY(fs_->createDirs(dir_));
        std::string out(kMagic, sizeof kMagic);
        putFixed64(out, sequence_ + 1);
        putBytes(out, meta);
        putFixed32(out, static_cast<std::uint32_t>(tables_.size()));
        for (auto& [name, t] : tables_) {
            putBytes(out, name);
            std::size_t countAt = out.size();
            putFixed64(out, 0);
            std::uint64_t rows = 0;
            t->exportRows([&](std::string_view k, std::string_view v) {
                putBytes(out, k);
                putBytes(out, v);
                ++rows;
            });
            std::string count;
            putFixed64(count, rows);
            out.replace(countAt, 8, count);
        }
        putFixed32(out, crcOf(out));
        FLOW_RT_TRY(fs_->writeFileAtomic(joinPath(dir_, "snapshot"), out));
        ++sequence_;
        return Status::ok();
    }

private:
    std::string dir_;
    StoreOptions opt_;
    FileSystem* fs_;
    std::uint64_t sequence_ = 0;
};

}  // namespace

std::unique_ptr<Store> openMemoryStore(const std::string& dir, StoreOptions options) {
    return std::make_unique<MemoryStore>(dir, options);
}

}  // namespace flow::rt
