// runtime/tests/fault_fs.h - a file system that simulates power loss, a full disk and EIO.
//
// It wraps the real one and remembers, per file, how much has been fdatasync'd and
// whether its directory entry was synced. crash() then does what a power loss may do:
// unsynced bytes vanish and files whose entry was never synced disappear.
// (RocksDB's FaultInjectionTestFS idea.)
#pragma once

#include "flow/rt/file_system.h"

#include <cstdio>
#include <map>
#include <random>
#include <set>

namespace flow::rt::testing {

class FaultFs final : public FileSystem {
public:
    /// Fail (as a crash) at the n-th mutating operation; -1: never.
    void crashAtOperation(long n) { crashAt_ = n; }
    /// Writes beyond this many more bytes fail with ENOSPC after a partial write.
    void limitBytes(long long bytes) { bytesLeft_ = bytes; }
    void failSyncs(bool on) { failSyncs_ = on; }
    bool crashed() const { return crashed_; }
    long operations() const { return ops_; }

    /// Power loss: drop unsynced bytes and unsynced new files, then work normally again.
    void crash() {
        for (auto& [path, st] : files_) {
            if (!st.entryDurable) {
                (void)real().removeFile(path);
                continue;
            }
            auto f = real().openWritable(path);
            if (f) {
                (void)(*f)->truncate(st.synced);
            }
            st.size = st.synced;
        }
        for (auto it = files_.begin(); it != files_.end();) {
            it = it->second.entryDurable ? std::next(it) : files_.erase(it);
        }
        crashed_ = false;
        crashAt_ = -1;
        ops_ = 0;
    }

    Result<std::unique_ptr<File>> openWritable(const std::string& path) override {
        return open(path, true);
    }
    Result<std::unique_ptr<File>> openMutable(const std::string& path) override {
        return open(path, false);
    }
    Result<std::unique_ptr<File>> open(const std::string& path, bool append);
    Result<std::unique_ptr<File>> openReadable(const std::string& path) override {
        return real().openReadable(path);
    }
    Status readFile(const std::string& path, std::string& out) override {
        return real().readFile(path, out);
    }
    Status writeFileAtomic(const std::string& path, std::string_view data) override {
        FLOW_RT_TRY(step());
        std::string tmp = path + ".tmp";
        {
            auto f = real().openWritable(tmp);
            if (!f) {
                return f.status();
            }
            FLOW_RT_TRY((*f)->truncate(0));
            FLOW_RT_TRY((*f)->append(data));
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0) {
            return Status::io("rename '" + tmp + "'");
        }
        files_[path] = {data.size(), data.size(), true};
        return Status::ok();
    }
    Status listDir(const std::string& dir, std::vector<std::string>& names) override {
        return real().listDir(dir, names);
    }
    Status removeFile(const std::string& path) override {
        FLOW_RT_TRY(step());
        files_.erase(path);
        return real().removeFile(path);
    }
    Status createDirs(const std::string& dir) override { return real().createDirs(dir); }
    Status syncDir(const std::string& dir) override {
        FLOW_RT_TRY(step());
        for (auto& [path, st] : files_) {
            if (parentDir(path) == dir) {
                st.entryDurable = true;
            }
        }
        return Status::ok();
    }
    bool exists(const std::string& path) override { return real().exists(path); }

    struct FileState {
        std::uint64_t size = 0;
        std::uint64_t synced = 0;
        bool entryDurable = false;
    };
    std::map<std::string, FileState> files_;

    Status step() {
        if (crashed_) {
            return Status::io("simulated crash");
        }
        if (ops_++ >= crashAt_ && crashAt_ >= 0) {
            crashed_ = true;
            return Status::io("simulated crash");
        }
        return Status::ok();
    }
    long long bytesLeft_ = -1;
    bool failSyncs_ = false;
    std::mt19937_64 rng_{7};

private:
    static FileSystem& real() { return posixFileSystem(); }
    long crashAt_ = -1;
    long ops_ = 0;
    bool crashed_ = false;
};

class FaultFile final : public File {
public:
    FaultFile(FaultFs& fs, std::string path, std::unique_ptr<File> inner)
        : fs_(fs), path_(std::move(path)), inner_(std::move(inner)) {}

    Status append(std::string_view data) override {
        Status s = fs_.step();
        if (!s) {
            // Crash in the middle of a write: a random prefix reached the page cache.
            std::size_t n = data.empty() ? 0 : fs_.rng_() % (data.size() + 1);
            if (fs_.crashed() && n > 0 && inner_->append(data.substr(0, n)).isOk()) {
                fs_.files_[path_].size += n;
            }
            return s;
        }
        if (fs_.bytesLeft_ >= 0 && static_cast<long long>(data.size()) > fs_.bytesLeft_) {
            auto n = static_cast<std::size_t>(fs_.bytesLeft_);
            (void)inner_->append(data.substr(0, n));
            fs_.files_[path_].size += n;
            fs_.bytesLeft_ = 0;
            return Status::io("write '" + path_ + "': No space left on device");
        }
        if (fs_.bytesLeft_ >= 0) {
            fs_.bytesLeft_ -= static_cast<long long>(data.size());
        }
        FLOW_RT_TRY(inner_->append(data));
        fs_.files_[path_].size += data.size();
        return Status::ok();
    }
    Status sync() override {
        FLOW_RT_TRY(fs_.step());
        if (fs_.failSyncs_) {
            return Status::io("fdatasync '" + path_ + "': Input/output error");
        }
        // No real fdatasync: durability is what this class simulates, and crash()
        // applies it. (It also keeps hundreds of crash points fast.)
        auto& st = fs_.files_[path_];
        st.synced = st.size;
        return Status::ok();
    }
    Status truncate(std::uint64_t size) override {
        FLOW_RT_TRY(fs_.step());
        FLOW_RT_TRY(inner_->truncate(size));
        auto& st = fs_.files_[path_];
        st.size = size;
        st.synced = std::min(st.synced, size);
        return Status::ok();
    }
    Status readAt(std::uint64_t offset, std::size_t n, std::string& out) override {
        return inner_->readAt(offset, n, out);
    }
    Status writeAt(std::uint64_t offset, std::string_view data) override {
        FLOW_RT_TRY(fs_.step());
        FLOW_RT_TRY(inner_->writeAt(offset, data));
        auto& st = fs_.files_[path_];
        st.size = std::max<std::uint64_t>(st.size, offset + data.size());
        return Status::ok();
    }
    Result<std::uint64_t> size() override { return inner_->size(); }

private:
    FaultFs& fs_;
    std::string path_;
    std::unique_ptr<File> inner_;
};

inline Result<std::unique_ptr<File>> FaultFs::open(const std::string& path, bool append) {
    FLOW_RT_TRY(step());
    bool existed = real().exists(path);
    auto f = append ? real().openWritable(path) : real().openMutable(path);
    if (!f) {
        return f.status();
    }
    auto it = files_.find(path);
    if (it == files_.end()) {
        auto sz = (*f)->size();
        std::uint64_t size = sz ? *sz : 0;
        // A file that existed before we started watching is durable as it is.
        files_[path] = {size, existed ? size : 0, existed};
    }
    return std::unique_ptr<File>(new FaultFile(*this, path, std::move(*f)));
}

}  // namespace flow::rt::testing
