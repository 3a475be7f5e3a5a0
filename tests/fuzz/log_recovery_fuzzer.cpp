// fuzz/log_recovery_fuzzer.cpp - libFuzzer target: a segment file of arbitrary bytes, opened
// and read by the file log. No crash; recovery either refuses with an error or yields a
// log whose every record carries a valid checksum and increasing seqs.
#include "flow/rt/event_log.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

/// With FLOW_FUZZ_SEED_DIR set, writes valid segments (real records, a torn tail) into
/// that directory as seeds before fuzzing starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    using namespace flow::rt;
    const char* seedDir = std::getenv("FLOW_FUZZ_SEED_DIR");
    if (seedDir == nullptr) {
        return 0;
    }
    std::string tmp = std::string(seedDir) + "/.log";
    std::filesystem::remove_all(tmp);
    LogOptions o;
    o.fsync = FsyncPolicy::Never;
    auto log = FileLog::open(tmp, o);
    if (!log) {
        return 0;
    }
    for (int i = 0; i < 6; ++i) {
        (void)(*log)->append("record-" + std::to_string(i) +
                             std::string(static_cast<std::size_t>(i) * 7, 'x'));
    }
    (void)(*log)->sync();
    std::filesystem::copy_file(tmp + "/" + segmentFileName(0), std::string(seedDir) + "/segment",
                               std::filesystem::copy_options::overwrite_existing);
    auto size = std::filesystem::file_size(std::string(seedDir) + "/segment");
    std::filesystem::copy_file(tmp + "/" + segmentFileName(0), std::string(seedDir) + "/torn",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(std::string(seedDir) + "/torn", size - 5);
    std::filesystem::remove_all(tmp);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flow::rt;
    static const std::string dir = [] {
        char tmpl[] = "/dev/shm/flowfuzz-XXXXXX";
        char* made = ::mkdtemp(tmpl);
        return std::string(made != nullptr ? made : "/tmp");
    }();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    {
        std::ofstream f(dir + "/" + segmentFileName(0), std::ios::binary);
        f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    LogOptions o;
    o.fsync = FsyncPolicy::Never;
    o.maxRecordBytes = 1 << 16;
    auto log = FileLog::open(dir, o);
    if (!log) {
        return 0;
    }
    auto reader = LogReader::open(dir, 0);
    if (!reader) {
        return 0;
    }
    std::string rec;
    std::uint64_t seq = 0, last = 0;
    bool first = true;
    while ((*reader)->next(rec, seq).isOk()) {
        if (!first && seq <= last) {
            std::abort();
        }
        first = false;
        last = seq;
    }
    // The recovered log accepts appends.
    if (!(*log)->append("x").isOk() || !(*log)->commit().isOk()) {
        std::abort();
    }
    return 0;
}
