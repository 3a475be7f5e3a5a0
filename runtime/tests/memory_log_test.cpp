// runtime/tests/memory_log_test.cpp - the log of a run without a data directory: every
// record read back as it was appended, by a cursor opened anywhere, across blocks.
#include "../src/engine/logs.h"

#include <catch2/catch.hpp>

#include <random>

using namespace flow::rt;
using flow::rt::engine::Cursor;
using flow::rt::engine::MemoryLog;

namespace {

/// A record of `size` bytes that says which it is.
std::string recordOf(std::uint64_t i, std::size_t size) {
    std::string r(size, '\0');
    for (std::size_t k = 0; k < size; ++k) {
        r[k] = static_cast<char>((i * 131 + k * 7) & 0xFF);
    }
    return r;
}

/// Reads `log` from `from` to its end, checking each record against `want`.
void readBack(MemoryLog& log, std::uint64_t from, const std::vector<std::string>& want) {
    auto cursor = log.open(from);
    REQUIRE(cursor);
    std::string record;
    std::uint64_t seq = 0;
    for (std::uint64_t i = from; i < want.size(); ++i) {
        REQUIRE((*cursor)->next(record, seq).isOk());
        REQUIRE(seq == i);
        REQUIRE(record == want[i]);
    }
    CHECK((*cursor)->next(record, seq).code() == StatusCode::Unavailable);
}

}  // namespace

TEST_CASE("memory log: records of every size, read from any position") {
    MemoryLog log;
    std::vector<std::string> want;
    std::mt19937_64 rng(7);
    // Lengths of one and two varint bytes, empty records, and records bigger than a
    // block (64 KiB first, then 1 MiB): many blocks, records ending at their edges.
    for (std::uint64_t i = 0; i < 6000; ++i) {
        std::size_t size = rng() % 3000;
        if (i % 97 == 0) {
            size = 0;
        } else if (i % 1000 == 500) {
            size = (std::size_t{1} << 20) + rng() % 1000;
        } else if (i % 5 == 0) {
            size = rng() % 128;
        }
        want.push_back(recordOf(i, size));
        auto seq = log.append(want.back());
        REQUIRE(seq);
        REQUIRE(*seq == i);
    }
    REQUIRE(log.end() == want.size());
    for (std::uint64_t from : {0, 1, 31, 32, 33, 63, 64, 65, 499, 500, 501, 5999}) {
        readBack(log, from, want);
    }
    for (int k = 0; k < 50; ++k) {
        readBack(log, rng() % want.size(), want);
    }
    readBack(log, want.size(), want);      // at the end: nothing
    readBack(log, want.size() + 5, want);  // past it: nothing
}

TEST_CASE("memory log: a cursor at the end reads what is appended after") {
    MemoryLog log;
    std::vector<std::string> want;
    auto cursor = log.open(0);
    REQUIRE(cursor);
    std::string record;
    std::uint64_t seq = 0;
    CHECK((*cursor)->next(record, seq).code() == StatusCode::Unavailable);
    std::uint64_t read = 0;
    // Each round appends a few records (crossing into new blocks now and then: the
    // next record may start a block the cursor has not seen), then reads them all.
    for (std::uint64_t round = 0; round < 400; ++round) {
        for (std::uint64_t k = 0; k < round % 7; ++k) {
            const std::uint64_t i = want.size();
            want.push_back(recordOf(i, (i * 7919) % 9000));
            REQUIRE(*log.append(want.back()) == i);
        }
        for (; read < want.size(); ++read) {
            REQUIRE((*cursor)->next(record, seq).isOk());
            REQUIRE(seq == read);
            REQUIRE(record == want[read]);
        }
        CHECK((*cursor)->next(record, seq).code() == StatusCode::Unavailable);
    }
    REQUIRE(want.size() > 1000);  // (several blocks: about 4.5 KB a record)
}
