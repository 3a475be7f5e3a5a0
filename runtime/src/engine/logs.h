// runtime/src/engine/logs.h - a service's log as the engine reads and writes it, and the
// log of a run without a data directory, in memory.
#pragma once

#include "flow/rt/codec.h"
#include "flow/rt/envelope.h"
#include "flow/rt/status.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <vector>

namespace flow::rt::engine {

class Cursor {
public:
    virtual ~Cursor() = default;
    /// The next record, or Unavailable at the end.
    virtual Status next(std::string& record, std::uint64_t& seq) = 0;
};

class ServiceLog {
public:
    explicit ServiceLog(LogTypes types = {}) : types_(std::move(types)) {}
    virtual ~ServiceLog() = default;
    virtual Result<std::uint64_t> append(std::string_view record) = 0;
    virtual Status commit() = 0;
    virtual Status sync() = 0;
    virtual std::uint64_t end() const = 0;
    virtual Result<std::unique_ptr<Cursor>> open(std::uint64_t from) = 0;

    /// The dictionary the log's records name their types by (format 3).
    const LogTypes& types() const { return types_; }
    /// The number of `type` in the dictionary. A new type is added, and the dictionary
    /// kept (durably, for a log on disk), before it is returned: before any record names it.
    Result<std::uint32_t> typeNumber(std::string_view type) {
        if (std::uint32_t n = types_.find(type); n != 0) {
            return n;
        }
        LogTypes next = types_;
        auto n = next.add(type);
        if (!n) {
            return n.status();
        }
        FLOW_RT_TRY(keepTypes(next));
        types_ = std::move(next);
        return *n;
    }

protected:
    /// Makes `types` the log's dictionary wherever the log keeps it.
    virtual Status keepTypes(const LogTypes& /*types*/) { return Status::ok(); }

private:
    LogTypes types_;
};

class MemoryLog final : public ServiceLog {
public:
    class MemCursor final : public Cursor {
    public:
        MemCursor(const MemoryLog& log, std::uint64_t from) : log_(log), next_(from) {}
        Status next(std::string& record, std::uint64_t& seq) override {
            if (next_ >= log_.count_) {
                return Status::unavailable("end");
            }
            if (at_ == nullptr) {
                at_ = log_.find(next_, block_);
            } else {
                log_.hop(next_, block_, at_);
            }
            std::string_view r = read(at_);
            record.assign(r);
            at_ = r.data() + r.size();
            seq = next_++;
            return Status::ok();
        }

    private:
        const MemoryLog& log_;
        std::uint64_t next_;
        // Where record next_ is, once found: in blocks_[block_], at at_ (or at the start
        // of the next block, if it was appended there).
        const char* at_ = nullptr;
        std::size_t block_ = 0;
    };

    /// Records are packed into large blocks, each after its length (wire::bytes): no
    /// allocation per record, and no copying when the log grows. Where a record is, is kept
    /// for one in kStride (a cursor walks from there): an index of every record would add a
    /// quarter to what each event writes into fresh memory, which costs more than writing
    /// it. The first block is small: tests make many short-lived logs.
    Result<std::uint64_t> append(std::string_view record) override {
        const std::size_t most = wire::bytesBound(record);
        if (blocks_.empty() || blockSize_ - used_ < most) {
            blockSize_ = std::max(blocks_.empty() ? kFirstBlockBytes : kBlockBytes, most);
            blocks_.push_back(populatedBlock(blockSize_));
            firsts_.push_back(count_);
            used_ = 0;
        }
        char* block = blocks_.back().get();
        if (count_ % kStride == 0) {
            marks_.push_back(Mark{block + used_, blocks_.size() - 1});
        }
        used_ = static_cast<std::size_t>(wire::bytes(block + used_, record) - block);
        return count_++;
    }
    Status commit() override { return Status::ok(); }
    Status sync() override { return Status::ok(); }
    std::uint64_t end() const override { return count_; }
    Result<std::unique_ptr<Cursor>> open(std::uint64_t from) override {
        return std::unique_ptr<Cursor>(new MemCursor(*this, from));
    }

private:
    static constexpr std::size_t kFirstBlockBytes = std::size_t{64} << 10;
    static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
    static constexpr std::uint64_t kStride = 32;
    struct Unmap {
        std::size_t bytes;
        void operator()(char* p) const { munmap(p, bytes); }
    };
    using Block = std::unique_ptr<char[], Unmap>;
    /// A block mapped with its pages: one call instead of a page fault per 4 KiB.
    static Block populatedBlock(std::size_t bytes) {
        void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p == MAP_FAILED) {
            throw std::bad_alloc();
        }
        return Block(static_cast<char*>(p), Unmap{bytes});
    }
    /// The record whose length is at `p` (written by append, so read without the bounds
    /// checks of a Reader).
    static std::string_view read(const char* p) {
        std::uint64_t n = 0;
        for (int shift = 0;; shift += 7) {
            auto b = static_cast<std::uint8_t>(*p++);
            n |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (b < 0x80) {
                break;
            }
        }
        return {p, static_cast<std::size_t>(n)};
    }
    /// Moves `at`, where record `seq` would follow the one before it in blocks_[block],
    /// to the next block's start if `seq` is the first record there.
    void hop(std::uint64_t seq, std::size_t& block, const char*& at) const {
        if (block + 1 < blocks_.size() && seq == firsts_[block + 1]) {
            ++block;
            at = blocks_[block].get();
        }
    }
    /// Where record `seq` (< count_) is, and its block.
    const char* find(std::uint64_t seq, std::size_t& block) const {
        const Mark& m = marks_[static_cast<std::size_t>(seq / kStride)];
        const char* at = m.at;
        block = m.block;
        for (std::uint64_t s = seq / kStride * kStride; s < seq; ++s) {
            std::string_view r = read(at);
            at = r.data() + r.size();
            hop(s + 1, block, at);
        }
        return at;
    }

    /// Where a record (one in kStride) is.
    struct Mark {
        const char* at;
        std::size_t block;
    };
    std::vector<Block> blocks_;
    std::vector<std::uint64_t> firsts_;  // of each block, the first record in it
    std::vector<Mark> marks_;            // record kStride * i is at marks_[i]
    std::size_t blockSize_ = 0, used_ = 0;
    std::uint64_t count_ = 0;  // records
};

}  // namespace flow::rt::engine
