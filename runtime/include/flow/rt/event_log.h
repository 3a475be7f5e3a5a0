// flow/rt/event_log.h - the embedded durable event log: segmented, checksummed, recoverable.
//
// DATA/<service>/log/ holds segments `<base seq>.seg`, each a header and then frames
//   [u32 length][u32 checksum][u64 seq][record]
// (checksum: XXH3-64 of seq and record seeded with the length, low 32 bits)
// a sparse offset index `<base seq>.idx` for every sealed segment, and `durable`, the
// position up to which records are acknowledged, which readers in other processes use
// as their high watermark. See docs/runtime.md for the recovery rules. The log does not
// look inside records; the engine keeps the dictionary its records' types are numbered
// by in the same directory (`types`, LogTypes in envelope.h).
#pragma once

#include "flow/rt/file_system.h"
#include "flow/rt/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace flow::rt {

enum class FsyncPolicy : std::uint8_t {
    Always,  // every commit() is fdatasync'd before it returns
    Batch,   // group commit: one fdatasync per batchBytes or batchMicros
    Never,   // acknowledged once written to the OS (survives a process crash only)
};

const char* fsyncPolicyName(FsyncPolicy p);
bool parseFsyncPolicy(const std::string& s, FsyncPolicy& out);

struct LogOptions {
    FsyncPolicy fsync = FsyncPolicy::Batch;
    std::uint64_t segmentBytes = 64u << 20;
    std::uint64_t batchBytes = 1u << 20;  // Batch: sync once this much is unsynced ...
    std::int64_t batchMicros = 2000;      // ... or the oldest unsynced record is this old
    std::uint64_t writeBufferBytes = 1u << 20;
    std::uint64_t retentionBytes = 0;  // sealed segments beyond this are deleted; 0 keeps all
    std::uint32_t maxRecordBytes = 16u << 20;
    std::uint32_t indexIntervalBytes = 4096;
    bool salvage = false;      // skip (and report) corrupt records instead of failing
    FileSystem* fs = nullptr;  // null: the POSIX file system
};

/// What opening the log found and repaired.
struct RecoveryReport {
    std::uint64_t truncatedBytes = 0;  // a torn tail removed from the last segment
    std::string truncatedFile;
    std::uint64_t truncatedAt = 0;
    std::vector<std::string> salvaged;  // "FILE: skipped N bytes at byte offset X"
    std::uint64_t records = 0;          // records in the log after recovery
};

class FileLog {
public:
    /// Opens (creating if needed) and recovers the log in `dir`: a torn tail is
    /// truncated; a corrupt record before the tail is a Corruption error naming the
    /// file and byte offset, unless `salvage` is set.
    static Result<std::unique_ptr<FileLog>> open(const std::string& dir, LogOptions options);
    ~FileLog();
    FileLog(const FileLog&) = delete;
    FileLog& operator=(const FileLog&) = delete;

    /// Buffers one record and returns its seq. It is acknowledged (durable as the
    /// policy defines) only once durableSeq() is past it.
    Result<std::uint64_t> append(std::string_view record);
    /// Writes buffered records to the OS and makes them durable as the policy says.
    Status commit();
    /// Writes and fdatasyncs everything appended, whatever the policy.
    Status sync();
    /// True if records are written but wait for a Batch fsync; commit() again by
    /// `syncDeadlineMicros()` (a steady-clock time) to acknowledge them.
    bool hasUnsynced() const;
    std::int64_t syncDeadlineMicros() const;

    std::uint64_t endSeq() const { return nextSeq_; }
    std::uint64_t durableSeq() const { return durableSeq_; }
    std::uint64_t firstSeq() const;
    /// Bytes in the active segment, buffered records included (the next append rolls
    /// to a new segment when it would pass LogOptions::segmentBytes).
    std::uint64_t activeSegmentBytes() const { return segments_.back().size; }
    /// After a failed write or fsync the log acknowledges nothing more; reopen it.
    bool failed() const { return failed_; }
    const RecoveryReport& recovery() const { return report_; }
    const std::string& dir() const { return dir_; }

    struct Segment {
        std::uint64_t base = 0;
        std::uint64_t end = 0;   // one past the last seq in the segment
        std::uint64_t size = 0;  // bytes, including the header
        std::vector<std::pair<std::uint64_t, std::uint64_t>> index;  // (seq, byte offset)
    };

private:
    FileLog(std::string dir, LogOptions options);
    Status recover();
    Status startSegment(std::uint64_t base);
    Status roll();
    Status writeOut();
    Status syncNow();
    Status writeMarker();
    Status fail(Status s);
    void applyRetention();

    std::string dir_;
    LogOptions opt_;
    FileSystem* fs_;
    std::vector<Segment> segments_;
    std::unique_ptr<File> active_;
    std::unique_ptr<File> marker_;
    std::string buf_;
    std::uint64_t nextSeq_ = 0;
    std::uint64_t writtenSeq_ = 0;   // records below this are written to the OS
    std::uint64_t durableSeq_ = 0;   // records below this are acknowledged
    std::uint64_t writtenSize_ = 0;  // bytes of the active segment written to the OS
    std::uint64_t unsyncedBytes_ = 0;
    std::int64_t oldestUnsynced_ = 0;
    std::uint64_t lastIndexPos_ = 0;
    bool failed_ = false;
    RecoveryReport report_;
};

struct ReaderOptions {
    FileSystem* fs = nullptr;
    /// Read only acknowledged records (up to the `durable` marker). Off, a reader may
    /// see records a power loss could still remove.
    bool durableOnly = true;
    std::size_t readChunkBytes = 1u << 20;
    std::uint32_t maxRecordBytes = 16u << 20;
};

/// Reads a log from a position; works in the writer's process or any other.
class LogReader {
public:
    static Result<std::unique_ptr<LogReader>> open(const std::string& dir, std::uint64_t fromSeq,
                                                   ReaderOptions options = {});
    ~LogReader();
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;

    /// The next record at or after the position. Unavailable at the end of what is
    /// acknowledged (call again later); Corruption names the file and byte offset;
    /// OutOfRange if retention removed the position.
    Status next(std::string& record, std::uint64_t& seq);
    std::uint64_t position() const { return next_; }

private:
    LogReader(std::string dir, std::uint64_t from, ReaderOptions options);
    Status openSegmentFor(std::uint64_t seq);
    Status readMarker();

    std::string dir_;
    ReaderOptions opt_;
    FileSystem* fs_;
    std::uint64_t next_;
    std::uint64_t segBase_ = 0;
    std::string segPath_;
    std::unique_ptr<File> file_;
    std::uint64_t filePos_ = 0;  // bytes of the segment consumed into buf_
    std::string buf_;
    std::size_t bufPos_ = 0;
    // The writer's acknowledged end, from the marker.
    bool haveMarker_ = false;
    std::uint64_t markSeq_ = 0;
    std::uint64_t markSeg_ = 0;
    std::uint64_t markOffset_ = 0;
};

/// File names, exposed for tools and tests.
std::string segmentFileName(std::uint64_t base);
std::string indexFileName(std::uint64_t base);
inline constexpr std::size_t kSegmentHeaderBytes = 20;
inline constexpr std::size_t kFrameHeaderBytes = 16;

}  // namespace flow::rt
