// flow/rt/file_system.h - the file operations the log and stores use, behind an interface
// so tests can inject power loss, a full disk or I/O errors.
#pragma once

#include "flow/rt/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flow::rt {

/// A file opened for appending (the writer's view) or reading.
class File {
public:
    virtual ~File() = default;
    /// Writes all of `data` at the end, or fails (a partial write leaves the partial
    /// bytes in the file; the caller stops and recovery truncates them).
    virtual Status append(std::string_view data) = 0;
    /// fdatasync: everything appended so far survives power loss once this returns ok.
    virtual Status sync() = 0;
    virtual Status truncate(std::uint64_t size) = 0;
    /// Reads up to `n` bytes at `offset` (fewer at the end of the file).
    virtual Status readAt(std::uint64_t offset, std::size_t n, std::string& out) = 0;
    /// Overwrites bytes at `offset` (the small durable-position marker only).
    virtual Status writeAt(std::uint64_t offset, std::string_view data) = 0;
    virtual Result<std::uint64_t> size() = 0;
};

class FileSystem {
public:
    virtual ~FileSystem() = default;
    /// Opens for appending and reading, creating the file if it does not exist.
    virtual Result<std::unique_ptr<File>> openWritable(const std::string& path) = 0;
    /// Opens for in-place writes with writeAt (not appending), creating it if needed.
    virtual Result<std::unique_ptr<File>> openMutable(const std::string& path) = 0;
    virtual Result<std::unique_ptr<File>> openReadable(const std::string& path) = 0;
    virtual Status readFile(const std::string& path, std::string& out) = 0;
    /// Replaces `path` atomically: write a temporary file, fsync it, rename it over
    /// `path`, fsync the directory. Readers see the old or the new content, never a mix.
    virtual Status writeFileAtomic(const std::string& path, std::string_view data) = 0;
    virtual Status listDir(const std::string& dir, std::vector<std::string>& names) = 0;
    virtual Status removeFile(const std::string& path) = 0;
    virtual Status createDirs(const std::string& dir) = 0;
    /// fsync a directory, so created, renamed and removed entries survive power loss.
    virtual Status syncDir(const std::string& dir) = 0;
    virtual bool exists(const std::string& path) = 0;
};

/// The real POSIX file system.
FileSystem& posixFileSystem();

std::string joinPath(const std::string& dir, const std::string& name);
std::string parentDir(const std::string& path);

}  // namespace flow::rt
