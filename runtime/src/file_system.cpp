// runtime/src/file_system.cpp - POSIX files: append, fdatasync, atomic replace, directory sync.
#include "flow/rt/file_system.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace flow::rt {

std::string joinPath(const std::string& dir, const std::string& name) {
    if (dir.empty()) {
        return name;
    }
    return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string parentDir(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

namespace {

Status errnoStatus(const std::string& what, const std::string& path, int err) {
    return Status::io(what + " '" + path + "': " + std::strerror(err));
}

class PosixFile final : public File {
public:
    PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    ~PosixFile() override { ::close(fd_); }
    PosixFile(const PosixFile&) = delete;
    PosixFile& operator=(const PosixFile&) = delete;

    Status append(std::string_view data) override {
        while (!data.empty()) {
            ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return errnoStatus("write", path_, errno);
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return Status::ok();
    }

    Status sync() override {
        if (::fdatasync(fd_) != 0) {
            return errnoStatus("fdatasync", path_, errno);
        }
        return Status::ok();
    }

    Status truncate(std::uint64_t size) override {
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
            return errnoStatus("ftruncate", path_, errno);
        }
        return Status::ok();
    }

    Status readAt(std::uint64_t offset, std::size_t n, std::string& out) override {
        out.resize(n);
        std::size_t got = 0;
        while (got < n) {
            ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return errnoStatus("read", path_, errno);
            }
            if (r == 0) {
                break;
            }
            got += static_cast<std::size_t>(r);
        }
        out.resize(got);
        return Status::ok();
    }

    Status writeAt(std::uint64_t offset, std::string_view data) override {
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t r = ::pwrite(fd_, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return errnoStatus("write", path_, errno);
            }
            done += static_cast<std::size_t>(r);
        }
        return Status::ok();
    }

    Result<std::uint64_t> size() override {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) {
            return errnoStatus("stat", path_, errno);
        }
        return static_cast<std::uint64_t>(st.st_size);
    }

private:
    int fd_;
    std::string path_;
};

class PosixFileSystem final : public FileSystem {
public:
    Result<std::unique_ptr<File>> openWritable(const std::string& path) override {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            return errnoStatus("open", path, errno);
        }
        return std::unique_ptr<File>(new PosixFile(fd, path));
    }

    Result<std::unique_ptr<File>> openMutable(const std::string& path) override {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            return errnoStatus("open", path, errno);
        }
        return std::unique_ptr<File>(new PosixFile(fd, path));
    }

    Result<std::unique_ptr<File>> openReadable(const std::string& path) override {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return Status(errno == ENOENT ? StatusCode::NotFound : StatusCode::IoError,
                          "open '" + path + "': " + std::strerror(errno));
        }
        return std::unique_ptr<File>(new PosixFile(fd, path));
    }

    Status readFile(const std::string& path, std::string& out) override {
        auto f = openReadable(path);
        if (!f) {
            return f.status();
        }
        auto sz = (*f)->size();
        if (!sz) {
            return sz.status();
        }
        return (*f)->readAt(0, static_cast<std::size_t>(*sz), out);
    }

    Status writeFileAtomic(const std::string& path, std::string_view data) override {
        std::string tmp = path + ".tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            return errnoStatus("open", tmp, errno);
        }
        PosixFile f(fd, tmp);
        FLOW_RT_TRY(f.append(data));
        if (::fsync(fd) != 0) {
            return errnoStatus("fsync", tmp, errno);
        }
        if (::rename(tmp.c_str(), path.c_str()) != 0) {
            return errnoStatus("rename", tmp, errno);
        }
        return syncDir(parentDir(path));
    }

    Status listDir(const std::string& dir, std::vector<std::string>& names) override {
        names.clear();
        DIR* d = ::opendir(dir.c_str());
        if (d == nullptr) {
            return errnoStatus("opendir", dir, errno);
        }
        while (struct dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") {
                names.push_back(n);
            }
        }
        ::closedir(d);
        return Status::ok();
    }

    Status removeFile(const std::string& path) override {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return errnoStatus("unlink", path, errno);
        }
        return Status::ok();
    }

    Status createDirs(const std::string& dir) override {
        std::string partial;
        for (std::size_t i = 0; i <= dir.size(); ++i) {
            if (i == dir.size() || dir[i] == '/') {
                partial = dir.substr(0, i);
                if (!partial.empty() && ::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
                    return errnoStatus("mkdir", partial, errno);
                }
            }
        }
        return Status::ok();
    }

    Status syncDir(const std::string& dir) override {
        int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            return errnoStatus("open", dir, errno);
        }
        int rc = ::fsync(fd);
        int err = errno;
        ::close(fd);
        if (rc != 0) {
            return errnoStatus("fsync", dir, err);
        }
        return Status::ok();
    }

    bool exists(const std::string& path) override {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0;
    }
};

}  // namespace

FileSystem& posixFileSystem() {
    static PosixFileSystem fs;
    return fs;
}

std::string Status::toString() const {
    switch (code_) {
    case StatusCode::Ok:
        return "ok";
    case StatusCode::InvalidArgument:
        return "invalid argument: " + message_;
    case StatusCode::Corruption:
        return "corruption: " + message_;
    case StatusCode::IoError:
        return "I/O error: " + message_;
    case StatusCode::NotFound:
        return "not found: " + message_;
    case StatusCode::OutOfRange:
        return "out of range: " + message_;
    case StatusCode::Unavailable:
        return "unavailable: " + message_;
    case StatusCode::Failed:
        return "failed: " + message_;
    }
    return message_;
}

}  // namespace flow::rt
