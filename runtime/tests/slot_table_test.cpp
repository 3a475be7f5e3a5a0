// runtime/tests/slot_table_test.cpp - the in-memory state tables' hash map (SlotTable).
#include "flow/rt/slot_table.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>

using namespace flow::rt;

namespace {

/// A hash that puts keys into 8 buckets only: long probe sequences, full of tombstones.
struct CrowdedHash {
    std::size_t operator()(const std::string& s) const { return s.size() % 8; }
};

/// A value that counts the live ones: none may be leaked or destroyed twice.
struct Counted {
    static inline int live = 0;
    std::string text;
    Counted() { ++live; }
    explicit Counted(std::string t) : text(std::move(t)) { ++live; }
    Counted(const Counted& o) : text(o.text) { ++live; }
    Counted(Counted&& o) noexcept : text(std::move(o.text)) { ++live; }
    Counted& operator=(const Counted&) = default;
    Counted& operator=(Counted&&) noexcept = default;
    ~Counted() { --live; }
};

/// A value that makes a slot larger than a cache line, as a state table's are: such a
/// table fills up to seven eighths, and `prefetch` reads its control bytes.
struct BigCounted : Counted {
    using Counted::Counted;
    char padding[96] = {};
};

template <typename Table>
std::map<std::string, std::string> contents(const Table& t) {
    std::map<std::string, std::string> m;
    t.forEach([&](const std::string& k, const Counted& v) { CHECK(m.emplace(k, v.text).second); });
    return m;
}

/// At most three quarters of the slots taken, seven eighths while `t` scans its control
/// bytes (big slots).
template <typename Table>
bool withinLoad(const Table& t) {
    return t.scansCtrl() ? t.capacity() * 7 >= t.size() * 8 : t.capacity() * 3 >= t.size() * 4;
}

/// Slot arrays of this size or more are in reserved blocks and grow in place: every
/// table in the tests that use it (the default is 2 MiB).
constexpr std::size_t kAllInBlocks = 1;

template <typename Hash, std::size_t BlockFrom = kHugePageBytes, typename V = Counted>
void randomOperations(std::uint64_t seed, int keys) {
    std::mt19937_64 rng(seed);
    std::map<std::string, std::string> model;
    {
        SlotTable<std::string, V, Hash, std::equal_to<std::string>, BlockFrom> t;
        CHECK(t.scansCtrl() == (sizeof(V) > sizeof(Counted)));
        for (int step = 0; step < 20'000; ++step) {
            // Long keys too, so that the keys' own heap blocks are moved and freed.
            std::string key = "key-" + std::to_string(rng() % keys) +
                              (rng() % 4 == 0 ? std::string(40, 'x') : "");
            std::string value = std::to_string(step);
            switch (rng() % 8) {
            case 0: {
                auto [v, made] = t.tryEmplace(key);
                CHECK(made == (model.count(key) == 0));
                CHECK(v->text == (made ? "" : model[key]));
                v->text = value;
                model[key] = value;
                break;
            }
            case 1: {
                // The key in another form (a view of it), made into a std::string only
                // when it is not there.
                const std::string_view view = key;
                int makes = 0;
                auto [entry, made] = t.tryEmplaceWith(
                    t.hashOf(key), [&](const std::string& k) { return k == view; },
                    [&] {
                        ++makes;
                        return std::string(view);
                    });
                CHECK(made == (model.count(key) == 0));
                CHECK(makes == (made ? 1 : 0));
                CHECK(*entry.first == key);
                CHECK(entry.second->text == (made ? "" : model[key]));
                entry.second->text = value;
                model[key] = value;
                break;
            }
            case 2:
                t.insertOrAssign(key, V(value));
                model[key] = value;
                break;
            case 3:
            case 4:
                CHECK(t.erase(key) == (model.erase(key) == 1));
                break;
            case 5:
                if (rng() % 500 == 0) {
                    t.clear();
                    model.clear();
                    CHECK(t.capacity() == 0);
                }
                break;
            default: {
                V* v = t.find(key);
                auto it = model.find(key);
                REQUIRE((v != nullptr) == (it != model.end()));
                if (v != nullptr) {
                    CHECK(v->text == it->second);
                }
                // The same, by the key in another form.
                const std::string_view view = key;
                CHECK(t.findWith(t.hashOf(key), [&](const std::string& k) { return k == view; }) ==
                      v);
            }
            }
            REQUIRE(t.size() == model.size());
            CHECK(withinLoad(t));
            if (step % 1000 == 0) {
                CHECK(contents(t) == model);
            }
            t.prefetch(key);  // a hint: never changes anything
        }
        CHECK(contents(t) == model);
        CHECK(Counted::live == static_cast<int>(model.size()));
    }
    CHECK(Counted::live == 0);
}

}  // namespace

TEST_CASE("a slot table agrees with std::map on random operations") {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        INFO("seed " << seed);
        randomOperations<absl::Hash<std::string>>(seed, 300);
        randomOperations<CrowdedHash>(seed, 60);
        randomOperations<absl::Hash<std::string>, kHugePageBytes, BigCounted>(seed, 300);
        randomOperations<CrowdedHash, kHugePageBytes, BigCounted>(seed, 60);
    }
}

TEST_CASE("a slot table that grows in place agrees with std::map on random operations") {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        INFO("seed " << seed);
        randomOperations<absl::Hash<std::string>, kAllInBlocks>(seed, 300);
        randomOperations<absl::Hash<std::string>, kAllInBlocks>(seed, 3000);
        randomOperations<CrowdedHash, kAllInBlocks>(seed, 60);
        randomOperations<absl::Hash<std::string>, kAllInBlocks, BigCounted>(seed, 3000);
    }
}

TEST_CASE("a slot table of big slots is up to seven eighths full, one of small slots three "
          "quarters") {
    struct Big {
        std::uint64_t v = 0;
        char padding[120] = {};
    };
    SlotTable<std::uint64_t, Big> t;
    REQUIRE(t.scansCtrl());
    // 100,000 entries in 131,072 slots (three quarters would take 262,144).
    for (std::uint64_t k = 0; k < 100'000; ++k) {
        t.tryEmplace(k).first->v = k;
        t.prefetch(k + 1);  // reads the control bytes: never changes anything
    }
    CHECK(t.capacity() == 131'072);
    CHECK(t.scansCtrl());
    for (std::uint64_t k = 0; k < 100'000; ++k) {
        const Big* b = t.find(k);
        REQUIRE(b != nullptr);
        CHECK(b->v == k);
    }
    CHECK(t.find(100'000) == nullptr);
    // Small slots: three quarters.
    SlotTable<std::uint64_t, std::uint64_t> small;
    for (std::uint64_t k = 0; k < 100'000; ++k) {
        *small.tryEmplace(k).first = k;
    }
    CHECK_FALSE(small.scansCtrl());
    CHECK(small.capacity() == 262'144);
}

TEST_CASE("a slot table in a reserved block grows in place, then into a new block") {
    // One key in 500 has the last slot for its home, whatever the capacity: a long run
    // that wraps around the end, and entries far from their homes, for rehashInPlace
    // to move.
    struct LowHash {
        std::size_t operator()(std::uint64_t k) const {
            return k % 500 == 0 ? 0xe217c1e66c88cc3ull : k;  // times 0x9E37...7C15: all ones
        }
    };
    SlotTable<std::uint64_t, std::uint64_t, LowHash, std::equal_to<std::uint64_t>, kAllInBlocks> t;
    *t.tryEmplace(1).first = 1;
    const void* first = t.slotsData();
    std::size_t moves = 0;
    const void* at = first;
    for (std::uint64_t k = 2; k <= 300'000; ++k) {
        *t.tryEmplace(k).first = k * 2;
        if (k % 3 == 0) {
            CHECK(t.erase(k - 1));
        }
        if (t.slotsData() != at) {
            ++moves;
            at = t.slotsData();
        }
    }
    // 16 slots at first, reserved for 1024 times as many (rounded up to 2 MiB): the
    // table grows in place to 131,072 slots, then once into a new block, and in place again.
    CHECK(t.capacity() >= 262'144);
    CHECK(moves == 1);
    std::uint64_t n = 0;
    for (std::uint64_t k = 1; k <= 300'000; ++k) {
        const std::uint64_t* v = t.find(k);
        if (k % 3 == 2) {  // erased
            CHECK(v == nullptr);
        } else {
            REQUIRE(v != nullptr);
            CHECK(*v == (k == 1 ? 1 : k * 2));
            ++n;
        }
    }
    CHECK(n == t.size());
}

TEST_CASE("a slot table's entries stay where they are when others are erased") {
    SlotTable<std::string, Counted, CrowdedHash> t;
    for (int i = 0; i < 40; ++i) {
        t.tryEmplace("k" + std::to_string(i)).first->text = std::to_string(i);
    }
    Counted* kept = t.find("k39");  // at the end of its crowded probe sequence
    REQUIRE(kept != nullptr);
    for (int i = 0; i < 39; ++i) {
        CHECK(t.erase("k" + std::to_string(i)));
    }
    CHECK(t.find("k39") == kept);
    CHECK(kept->text == "39");
    CHECK(t.size() == 1);
}

TEST_CASE("a slot table reuses its tombstones and grows and shrinks with its entries") {
    SlotTable<std::uint64_t, std::uint64_t> t;
    // Many keys come and go, few stay: the table does not grow with the tombstones.
    for (std::uint64_t i = 0; i < 100'000; ++i) {
        *t.tryEmplace(i).first = i;
        if (i >= 5) {
            CHECK(t.erase(i - 5));
        }
    }
    CHECK(t.size() == 5);
    CHECK(t.capacity() <= 64);
    // Many keys at once: each is found, at most three quarters of the slots are taken.
    for (std::uint64_t i = 0; i < 200'000; ++i) {
        *t.tryEmplace(i).first = i * 3;
    }
    CHECK(t.size() == 200'000);
    CHECK(t.capacity() * 3 >= t.size() * 4);
    for (std::uint64_t i = 0; i < 200'000; ++i) {
        const std::uint64_t* v = t.find(i);
        REQUIRE(v != nullptr);
        CHECK(*v == i * 3);
    }
    CHECK(t.find(200'000) == nullptr);
    std::uint64_t sum = 0;
    t.forEach([&](const std::uint64_t& k, const std::uint64_t& v) { sum += v - 3 * k + 1; });
    CHECK(sum == 200'000);
}

TEST_CASE("a slot table with an empty value type is a set") {
    struct None {};
    SlotTable<std::uint64_t, None> t;
    std::set<std::uint64_t> model;
    std::mt19937_64 rng(7);
    for (int step = 0; step < 50'000; ++step) {
        std::uint64_t key = rng() % 5000;
        if (rng() % 3 == 0) {
            CHECK(t.erase(key) == (model.erase(key) == 1));
        } else {
            CHECK(t.tryEmplace(key).second == model.insert(key).second);
        }
        REQUIRE(t.size() == model.size());
    }
    for (std::uint64_t key = 0; key < 5000; ++key) {
        CHECK((t.find(key) != nullptr) == (model.count(key) == 1));
    }
    std::set<std::uint64_t> seen;
    t.forEach([&](const std::uint64_t& k, const None&) { CHECK(seen.insert(k).second); });
    CHECK(seen == model);
}
