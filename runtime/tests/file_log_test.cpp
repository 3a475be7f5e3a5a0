// runtime/tests/file_log_test.cpp - the file log: acknowledgement, recovery, corruption, faults.
#include "fault_fs.h"
#include "flow/rt/event_log.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace flow::rt;
using flow::rt::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string recordFor(std::uint64_t i, std::size_t size = 100) {
    std::string r = "record-" + std::to_string(i) + "-";
    while (r.size() < size) {
        r += static_cast<char>('a' + (i + r.size()) % 26);
    }
    return r;
}

LogOptions smallSegments(FsyncPolicy p = FsyncPolicy::Always) {
    LogOptions o;
    o.fsync = p;
    o.segmentBytes = 4096;
    o.indexIntervalBytes = 512;
    return o;
}

std::unique_ptr<FileLog> openLog(const std::string& dir, LogOptions o) {
    auto r = FileLog::open(dir, o);
    INFO(r.status().toString());
    REQUIRE(r.isOk());
    return std::move(*r);
}

/// Every record from `from`, through a reader; stops at the end or on an error.
Status readAll(const std::string& dir, std::vector<std::pair<std::uint64_t, std::string>>& out,
               std::uint64_t from = 0, ReaderOptions ro = {}) {
    out.clear();
    auto r = LogReader::open(dir, from, ro);
    if (!r) {
        return r.status();
    }
    for (;;) {
        std::string rec;
        std::uint64_t seq = 0;
        Status s = (*r)->next(rec, seq);
        if (s.code() == StatusCode::Unavailable) {
            return Status::ok();
        }
        if (!s) {
            return s;
        }
        out.emplace_back(seq, rec);
    }
}

void writeRecords(const std::string& dir, std::uint64_t n, LogOptions o = smallSegments()) {
    auto log = openLog(dir, o);
    for (std::uint64_t i = 0; i < n; ++i) {
        auto seq = log->append(recordFor(i, 50 + i % 90));
        REQUIRE(seq.isOk());
        REQUIRE(*seq == i);
    }
    REQUIRE(log->sync().isOk());
}

std::string lastSegment(const std::string& dir) {
    std::string last;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string n = e.path().filename().string();
        if (n.size() == 24 && n.ends_with(".seg") && n > last) {
            last = n;
        }
    }
    return joinPath(dir, last);
}

}  // namespace

TEST_CASE("appended records are read back in order across segments and reopenings") {
    TempDir d;
    writeRecords(d.path, 300);
    std::vector<std::pair<std::uint64_t, std::string>> got;
    REQUIRE(readAll(d.path, got).isOk());
    REQUIRE(got.size() == 300);
    for (std::uint64_t i = 0; i < 300; ++i) {
        CHECK(got[i].first == i);
        CHECK(got[i].second == recordFor(i, 50 + i % 90));
    }
    std::size_t segments = 0;
    for (const auto& e : fs::directory_iterator(d.path)) {
        segments += e.path().extension() == ".seg" ? 1 : 0;
    }
    CHECK(segments > 5);
    // Reopen: numbering continues; a reader from the middle starts there (via the index).
    {
        auto log = openLog(d.path, smallSegments());
        CHECK(log->endSeq() == 300);
        CHECK(log->recovery().truncatedBytes == 0);
        REQUIRE(log->append("after").isOk());
        REQUIRE(log->commit().isOk());
        CHECK(log->durableSeq() == 301);
    }
    REQUIRE(readAll(d.path, got, 150).isOk());
    REQUIRE(got.size() == 151);
    CHECK(got.front().first == 150);
    CHECK(got.back().second == "after");
}

TEST_CASE("acknowledgement follows the fsync policy") {
    TempDir d;
    SECTION("always: commit makes everything durable") {
        auto log = openLog(d.path, smallSegments(FsyncPolicy::Always));
        REQUIRE(log->append("a").isOk());
        CHECK(log->durableSeq() == 0);
        REQUIRE(log->commit().isOk());
        CHECK(log->durableSeq() == 1);
    }
    SECTION("batch: acknowledged at the group fsync") {
        LogOptions o = smallSegments(FsyncPolicy::Batch);
        o.batchBytes = 1 << 20;
        o.batchMicros = 60'000'000;
        auto log = openLog(d.path, o);
        REQUIRE(log->append("a").isOk());
        REQUIRE(log->commit().isOk());
        CHECK(log->durableSeq() == 0);
        CHECK(log->hasUnsynced());
        // Readers see only acknowledged records.
        std::vector<std::pair<std::uint64_t, std::string>> got;
        REQUIRE(readAll(d.path, got).isOk());
        CHECK(got.empty());
        REQUIRE(log->sync().isOk());
        CHECK(log->durableSeq() == 1);
        REQUIRE(readAll(d.path, got).isOk());
        CHECK(got.size() == 1);
    }
    SECTION("batch: a full batch is synced by commit") {
        LogOptions o = smallSegments(FsyncPolicy::Batch);
        o.segmentBytes = 1 << 20;
        o.batchBytes = 1000;
        o.batchMicros = 60'000'000;
        auto log = openLog(d.path, o);
        for (int i = 0; i < 20; ++i) {
            REQUIRE(log->append(recordFor(static_cast<std::uint64_t>(i))).isOk());
        }
        REQUIRE(log->commit().isOk());
        CHECK(log->durableSeq() == 20);
    }
    SECTION("never: acknowledged once written") {
        auto log = openLog(d.path, smallSegments(FsyncPolicy::Never));
        REQUIRE(log->append("a").isOk());
        REQUIRE(log->commit().isOk());
        CHECK(log->durableSeq() == 1);
    }
}

TEST_CASE("a torn tail is truncated at every byte of the last records, monotonically") {
    TempDir src;
    LogOptions o = smallSegments();
    o.segmentBytes = 1 << 20;  // one segment
    writeRecords(src.path, 12, o);
    std::string seg = lastSegment(src.path);
    std::string full;
    REQUIRE(posixFileSystem().readFile(seg, full).isOk());
    // Frame boundaries of the last four records.
    std::vector<std::uint64_t> ends;
    std::uint64_t pos = kSegmentHeaderBytes;
    for (std::uint64_t i = 0; i < 12; ++i) {
        pos += kFrameHeaderBytes + recordFor(i, 50 + i % 90).size();
        ends.push_back(pos);
    }
    REQUIRE(pos == full.size());
    std::uint64_t previous = 0;
    for (std::uint64_t cut = ends[7]; cut <= full.size(); ++cut) {
        TempDir d;
        fs::copy_file(seg, joinPath(d.path, fs::path(seg).filename().string()));
        fs::resize_file(joinPath(d.path, fs::path(seg).filename().string()), cut);
        auto log = openLog(d.path, o);
        std::uint64_t whole = static_cast<std::uint64_t>(
            std::upper_bound(ends.begin(), ends.end(), cut) - ends.begin());
        INFO("cut at " << cut);
        CHECK(log->endSeq() == whole);
        CHECK(log->recovery().truncatedBytes ==
              cut - (whole == 0 ? kSegmentHeaderBytes : ends[whole - 1]));
        CHECK(log->endSeq() >= previous);
        previous = log->endSeq();
        std::vector<std::pair<std::uint64_t, std::string>> got;
        REQUIRE(readAll(d.path, got).isOk());
        REQUIRE(got.size() == whole);
        for (std::uint64_t i = 0; i < whole; ++i) {
            CHECK(got[i].second == recordFor(i, 50 + i % 90));
        }
        // The log goes on from there.
        REQUIRE(log->append("next").isOk());
        REQUIRE(log->sync().isOk());
        CHECK(log->durableSeq() == whole + 1);
    }
}

TEST_CASE("zero-filled tails are torn tails") {
    TempDir d;
    LogOptions o = smallSegments();
    o.segmentBytes = 1 << 20;
    writeRecords(d.path, 5, o);
    std::string seg = lastSegment(d.path);
    auto size = fs::file_size(seg);
    for (std::uint64_t zeros : {1u, 15u, 16u, 17u, 4096u}) {
        fs::resize_file(seg, size + zeros);
        auto log = openLog(d.path, o);
        CHECK(log->endSeq() == 5);
        CHECK(log->recovery().truncatedBytes == zeros);
        CHECK(fs::file_size(seg) == size);
    }
}

TEST_CASE("damage followed by valid records is a hard error naming file and offset") {
    TempDir d;
    LogOptions o = smallSegments();
    o.segmentBytes = 1 << 20;
    writeRecords(d.path, 10, o);
    std::string seg = lastSegment(d.path);
    std::string data;
    REQUIRE(posixFileSystem().readFile(seg, data).isOk());
    std::uint64_t third = kSegmentHeaderBytes;
    for (std::uint64_t i = 0; i < 2; ++i) {
        third += kFrameHeaderBytes + recordFor(i, 50 + i % 90).size();
    }
    data[third + kFrameHeaderBytes + 3] ^= 0x10;  // a bit in the third record's body
    REQUIRE(posixFileSystem().writeFileAtomic(seg, data).isOk());
    auto r = FileLog::open(d.path, o);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::Corruption);
    CHECK(r.status().message() == seg + ": corrupt record at byte offset " + std::to_string(third));
    // The reader refuses it too.
    std::vector<std::pair<std::uint64_t, std::string>> got;
    ReaderOptions ro;
    ro.durableOnly = false;
    Status rs = readAll(d.path, got, 0, ro);
    CHECK(rs.code() == StatusCode::Corruption);
    CHECK(got.size() == 2);
    // Salvage skips exactly that record and reports it.
    o.salvage = true;
    auto log = openLog(d.path, o);
    REQUIRE(log->recovery().salvaged.size() == 1);
    CHECK(log->recovery().salvaged[0].find("at byte offset " + std::to_string(third)) !=
          std::string::npos);
    CHECK(log->endSeq() == 10);
}

TEST_CASE("random bit flips never yield a corrupt record") {
    TempDir src;
    writeRecords(src.path, 200);
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(src.path)) {
        files.push_back(e.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    std::mt19937_64 rng(1234);
    int hardErrors = 0, truncations = 0, clean = 0;
    const int kFlips = 400;
    for (int trial = 0; trial < kFlips; ++trial) {
        TempDir d;
        for (const std::string& f : files) {
            fs::copy_file(joinPath(src.path, f), joinPath(d.path, f));
        }
        const std::string& victim = files[rng() % files.size()];
        std::string path = joinPath(d.path, victim);
        std::string data;
        REQUIRE(posixFileSystem().readFile(path, data).isOk());
        if (data.empty()) {
            continue;
        }
        std::size_t at = rng() % data.size();
        data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
        REQUIRE(posixFileSystem().writeFileAtomic(path, data).isOk());
        auto log = FileLog::open(d.path, smallSegments());
        if (!log) {
            CHECK(log.status().code() == StatusCode::Corruption);
            CHECK(log.status().message().find(d.path) != std::string::npos);
            ++hardErrors;
            continue;
        }
        (*log)->recovery().truncatedBytes > 0 ? ++truncations : ++clean;
        std::vector<std::pair<std::uint64_t, std::string>> got;
        Status s = readAll(d.path, got);
        if (!s) {
            CHECK(s.code() == StatusCode::Corruption);
            ++hardErrors;
        }
        // Whatever was returned is exactly what was written.
        for (const auto& [seq, rec] : got) {
            REQUIRE(rec == recordFor(seq, 50 + seq % 90));
        }
    }
    INFO("hard errors " << hardErrors << ", truncations " << truncations << ", clean " << clean);
    CHECK(hardErrors + truncations + clean > 0);
    CHECK(hardErrors > 0);
}

TEST_CASE(
    "a simulated power loss at every operation leaves a prefix with every acknowledged record") {
    const int kRecords = 160;
    // Count the operations of one complete run first.
    long total = 0;
    {
        TempDir d;
        testing::FaultFs ffs;
        LogOptions o = smallSegments(FsyncPolicy::Always);
        o.segmentBytes = 1500;
        o.fs = &ffs;
        auto log = openLog(d.path, o);
        for (int i = 0; i < kRecords; ++i) {
            REQUIRE(log->append(recordFor(static_cast<std::uint64_t>(i))).isOk());
            if (i % 3 == 2) {
                REQUIRE(log->commit().isOk());
            }
        }
        REQUIRE(log->commit().isOk());
        total = ffs.operations();
    }
    REQUIRE(total > 0);
    int points = 0;
    for (FsyncPolicy policy : {FsyncPolicy::Always, FsyncPolicy::Batch}) {
        for (long crashAt = 0; crashAt < total + 5; ++crashAt) {
            TempDir d;
            testing::FaultFs ffs;
            ffs.crashAtOperation(crashAt);
            LogOptions o = smallSegments(policy);
            o.segmentBytes = 1500;
            o.batchBytes = 700;
            o.fs = &ffs;
            std::uint64_t acked = 0;
            {
                auto r = FileLog::open(d.path, o);
                if (r) {
                    auto& log = *r;
                    for (int i = 0; i < kRecords; ++i) {
                        if (!log->append(recordFor(static_cast<std::uint64_t>(i))).isOk()) {
                            break;
                        }
                        if (i % 3 == 2 && !log->commit().isOk()) {
                            break;
                        }
                        acked = log->durableSeq();
                    }
                    if (log->commit().isOk()) {
                        acked = log->durableSeq();
                    }
                }
            }
            ffs.crash();
            ++points;
            testing::FaultFs after;  // a healthy disk, without slow real fsyncs
            LogOptions plain = smallSegments(policy);
            plain.segmentBytes = 1500;
            plain.fs = &after;
            auto log = FileLog::open(d.path, plain);
            INFO("policy " << fsyncPolicyName(policy) << ", crash at operation " << crashAt);
            REQUIRE(log.isOk());
            std::vector<std::pair<std::uint64_t, std::string>> got;
            REQUIRE(readAll(d.path, got).isOk());
            CHECK(got.size() >= acked);
            for (std::size_t i = 0; i < got.size(); ++i) {
                REQUIRE(got[i].first == i);
                REQUIRE(got[i].second == recordFor(i));
            }
        }
    }
    INFO("crash points " << points);
    CHECK(points >= 500);
}

TEST_CASE("a full disk: an error, nothing unwritten acknowledged, clean recovery after") {
    TempDir d;
    testing::FaultFs ffs;
    LogOptions o = smallSegments(FsyncPolicy::Always);
    o.fs = &ffs;
    std::uint64_t acked = 0;
    {
        auto log = openLog(d.path, o);
        ffs.limitBytes(2000);
        Status last;
        for (int i = 0; i < 100; ++i) {
            auto s = log->append(recordFor(static_cast<std::uint64_t>(i)));
            if (!s) {
                last = s.status();
                break;
            }
            last = log->commit();
            if (!last) {
                break;
            }
            acked = log->durableSeq();
        }
        CHECK(last.code() == StatusCode::IoError);
        CHECK(last.message().find("No space left on device") != std::string::npos);
        CHECK(log->failed());
        CHECK(log->durableSeq() == acked);
        CHECK_FALSE(log->append("x").isOk());  // a failed log accepts nothing more
    }
    ffs.limitBytes(-1);  // space returns
    auto log = openLog(d.path, smallSegments());
    CHECK(log->endSeq() == acked);
    std::vector<std::pair<std::uint64_t, std::string>> got;
    REQUIRE(readAll(d.path, got).isOk());
    CHECK(got.size() == acked);
    REQUIRE(log->append("after").isOk());
    REQUIRE(log->sync().isOk());
}

TEST_CASE("a failed fsync is never taken for a success") {
    TempDir d;
    testing::FaultFs ffs;
    LogOptions o = smallSegments(FsyncPolicy::Always);
    o.fs = &ffs;
    auto log = openLog(d.path, o);
    REQUIRE(log->append("a").isOk());
    REQUIRE(log->commit().isOk());
    ffs.failSyncs(true);
    REQUIRE(log->append("b").isOk());
    CHECK_FALSE(log->commit().isOk());
    CHECK(log->durableSeq() == 1);
    ffs.failSyncs(false);
    // Even with the disk healthy again the log stays failed until reopened.
    CHECK_FALSE(log->commit().isOk());
    CHECK(log->durableSeq() == 1);
}

TEST_CASE("retention removes the oldest sealed segments") {
    TempDir d;
    LogOptions o = smallSegments();
    o.retentionBytes = 10000;
    writeRecords(d.path, 400, o);
    auto log = openLog(d.path, o);
    CHECK(log->firstSeq() > 0);
    auto r = LogReader::open(d.path, 0);
    REQUIRE_FALSE(r.isOk());
    CHECK(r.status().code() == StatusCode::OutOfRange);
    std::vector<std::pair<std::uint64_t, std::string>> got;
    REQUIRE(readAll(d.path, got, log->firstSeq()).isOk());
    CHECK(got.size() == 400 - log->firstSeq());
}

TEST_CASE("a reader in another process tails the writer") {
    TempDir d;
    auto log = openLog(d.path, smallSegments(FsyncPolicy::Always));
    int toChild[2];
    REQUIRE(::pipe(toChild) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        // Child: read 500 records as they arrive, then exit 0 if all were right.
        ::close(toChild[1]);
        auto r = LogReader::open(d.path, 0);
        if (!r) {
            ::_exit(2);
        }
        std::uint64_t want = 0;
        for (int spins = 0; want < 500 && spins < 2'000'000; ++spins) {
            std::string rec;
            std::uint64_t seq = 0;
            Status s = (*r)->next(rec, seq);
            if (s.code() == StatusCode::Unavailable) {
                ::usleep(100);
                continue;
            }
            if (!s || seq != want || rec != recordFor(want)) {
                ::_exit(3);
            }
            ++want;
        }
        ::_exit(want == 500 ? 0 : 4);
    }
    ::close(toChild[0]);
    for (std::uint64_t i = 0; i < 500; ++i) {
        REQUIRE(log->append(recordFor(i)).isOk());
        if (i % 7 == 0) {
            REQUIRE(log->commit().isOk());
        }
    }
    REQUIRE(log->commit().isOk());
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::close(toChild[1]);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
