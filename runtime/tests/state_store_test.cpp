// runtime/tests/state_store_test.cpp - memory and RocksDB stores: equal behaviour, atomic
// checkpoints, refusal of damaged snapshots, stable table names.
#include "fault_fs.h"
#include "flow/rt/state_store.h"
#include "flow/rt/table_codecs.h"
#include "temp_dir.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>

using namespace flow::rt;
using flow::rt::testing::TempDir;

namespace {

std::unique_ptr<Store> open(const std::string& kind, const std::string& dir, StoreOptions o = {}) {
    if (kind == "memory") {
        return openMemoryStore(dir, o);
    }
    auto r = openRocksStore(dir, o);
    INFO(r.status().toString());
    REQUIRE(r.isOk());
    return std::move(*r);
}

std::map<std::int64_t, std::int64_t> contents(StateTable<std::int64_t, std::int64_t>& t) {
    std::map<std::int64_t, std::int64_t> m;
    t.forEach([&](const std::int64_t& k, const std::int64_t& v) { m[k] = v; });
    return m;
}

}  // namespace

TEST_CASE("memory and RocksDB stores agree on random operations, checkpoints and restarts") {
    for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
        TempDir dm, dr;
        std::mt19937_64 rng(seed);
        std::map<std::int64_t, std::int64_t> model, checkpointed;
        std::string metaModel;
        auto mem = open("memory", dm.path);
        auto rocks = open("rocksdb", dr.path, StoreOptions{nullptr, 50, 100, false});
        auto* tm = &mem->table<std::int64_t, std::int64_t>(
            "svc.counts", scalarCodec<std::int64_t, std::int64_t>());
        auto* tr = &rocks->table<std::int64_t, std::int64_t>(
            "svc.counts", scalarCodec<std::int64_t, std::int64_t>());
        REQUIRE_FALSE(mem->load()->has_value());
        REQUIRE_FALSE(rocks->load()->has_value());
        for (int step = 0; step < 3000; ++step) {
            auto key = static_cast<std::int64_t>(rng() % 200) - 100;
            switch (rng() % 10) {
            case 0:
            case 1: {
                bool em = tm->erase(key), er = tr->erase(key);
                REQUIRE(em == er);
                REQUIRE(em == (model.erase(key) > 0));
                break;
            }
            case 2: {
                std::string meta = "step-" + std::to_string(step);
                REQUIRE(mem->checkpoint(meta).isOk());
                REQUIRE(rocks->checkpoint(meta).isOk());
                checkpointed = model;
                metaModel = meta;
                break;
            }
            case 3:
                if (rng() % 20 == 0) {
                    // Crash: reopen both; they come back at the last checkpoint.
                    mem.reset();
                    rocks.reset();
                    mem = open("memory", dm.path);
                    rocks = open("rocksdb", dr.path, StoreOptions{nullptr, 50, 100, false});
                    tm = &mem->table<std::int64_t, std::int64_t>(
                        "svc.counts", scalarCodec<std::int64_t, std::int64_t>());
                    tr = &rocks->table<std::int64_t, std::int64_t>(
                        "svc.counts", scalarCodec<std::int64_t, std::int64_t>());
                    auto lm = mem->load();
                    auto lr = rocks->load();
                    REQUIRE(lm.isOk());
                    REQUIRE(lr.isOk());
                    REQUIRE(lm->has_value() == !metaModel.empty());
                    if (!metaModel.empty()) {
                        CHECK((*lm)->meta == metaModel);
                        CHECK((*lr)->meta == metaModel);
                    }
                    model = checkpointed;
                }
                break;
            default: {
                bool cm = false, cr = false;
                std::int64_t delta = static_cast<std::int64_t>(rng() % 7) - 3;
                tm->upsert(key, &cm) += delta;
                tr->upsert(key, &cr) += delta;
                REQUIRE(cm == cr);
                REQUIRE(cm == (model.count(key) == 0));
                model[key] += delta;
                break;
            }
            }
            const std::int64_t* fm = tm->find(key);
            const std::int64_t* fr = tr->find(key);
            REQUIRE((fm == nullptr) == (fr == nullptr));
            if (fm != nullptr) {
                REQUIRE(*fm == *fr);
            }
        }
        CHECK(contents(*tm) == model);
        CHECK(contents(*tr) == model);
        CHECK(tm->size() == model.size());
        CHECK(tr->size() == model.size());
    }
}

TEST_CASE("RocksDB writes nothing between checkpoints") {
    TempDir d;
    {
        auto s = open("rocksdb", d.path);
        auto& t =
            s->table<std::string, std::int64_t>("t", scalarCodec<std::string, std::int64_t>());
        REQUIRE_FALSE(s->load()->has_value());
        t.upsert("a") = 1;
        REQUIRE(s->checkpoint("one").isOk());
        t.upsert("a") = 2;
        t.upsert("b") = 3;
        CHECK(t.size() == 2);
        // Dropped without a checkpoint, as in a crash.
    }
    auto s = open("rocksdb", d.path);
    auto& t = s->table<std::string, std::int64_t>("t", scalarCodec<std::string, std::int64_t>());
    auto cp = s->load();
    REQUIRE(cp.isOk());
    REQUIRE(cp->has_value());
    CHECK((*cp)->meta == "one");
    REQUIRE(t.find("a") != nullptr);
    CHECK(*t.find("a") == 1);
    CHECK(t.find("b") == nullptr);
}

TEST_CASE("a snapshot is replaced atomically: a crash during a checkpoint keeps the old one") {
    TempDir d;
    testing::FaultFs ffs;
    StoreOptions o;
    o.fs = &ffs;
    {
        auto s = openMemoryStore(d.path, o);
        auto& t =
            s->table<std::int64_t, std::int64_t>("t", scalarCodec<std::int64_t, std::int64_t>());
        for (std::int64_t i = 0; i < 1000; ++i) {
            t.upsert(i) = i;
        }
        REQUIRE(s->checkpoint("first").isOk());
        for (std::int64_t i = 0; i < 1000; ++i) {
            t.upsert(i) = -i;
        }
        ffs.crashAtOperation(0);  // the very next write fails: power lost mid-checkpoint
        CHECK_FALSE(s->checkpoint("second").isOk());
    }
    ffs.crash();
    auto s = openMemoryStore(d.path, o);
    auto& t = s->table<std::int64_t, std::int64_t>("t", scalarCodec<std::int64_t, std::int64_t>());
    auto cp = s->load();
    REQUIRE(cp.isOk());
    REQUIRE(cp->has_value());
    CHECK((*cp)->meta == "first");
    CHECK(*t.find(7) == 7);
}

TEST_CASE("a damaged snapshot is refused, never half-loaded") {
    TempDir d;
    {
        auto s = openMemoryStore(d.path);
        auto& t =
            s->table<std::int64_t, std::int64_t>("t", scalarCodec<std::int64_t, std::int64_t>());
        for (std::int64_t i = 0; i < 50; ++i) {
            t.upsert(i) = i * i;
        }
        REQUIRE(s->checkpoint("m").isOk());
    }
    std::string path = joinPath(d.path, "snapshot");
    std::string good;
    REQUIRE(posixFileSystem().readFile(path, good).isOk());
    std::mt19937_64 rng(9);
    for (int trial = 0; trial < 500; ++trial) {
        std::string bad = good;
        if (trial % 5 == 0) {
            bad.resize(rng() % bad.size());
        } else {
            std::size_t at = rng() % bad.size();
            bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
        }
        REQUIRE(posixFileSystem().writeFileAtomic(path, bad).isOk());
        auto s = openMemoryStore(d.path);
        auto& t =
            s->table<std::int64_t, std::int64_t>("t", scalarCodec<std::int64_t, std::int64_t>());
        auto cp = s->load();
        REQUIRE_FALSE(cp.isOk());
        CHECK(cp.status().code() == StatusCode::Corruption);
        CHECK(cp.status().message().find(path) != std::string::npos);
        CHECK(t.size() == 0);
    }
}

TEST_CASE("state is kept by table name: renamed or new tables start empty, others keep theirs") {
    for (const char* kind : {"memory", "rocksdb"}) {
        TempDir d;
        {
            auto s = open(kind, d.path);
            s->table<std::string, std::int64_t>("Orders.Totals",
                                                scalarCodec<std::string, std::int64_t>())
                .upsert("ann") = 5;
            s->table<std::string, std::int64_t>("Orders.Old",
                                                scalarCodec<std::string, std::int64_t>())
                .upsert("x") = 1;
            REQUIRE(s->load().isOk());
            s->table<std::string, std::int64_t>("Orders.Totals",
                                                scalarCodec<std::string, std::int64_t>())
                .upsert("ann") = 5;
            s->table<std::string, std::int64_t>("Orders.Old",
                                                scalarCodec<std::string, std::int64_t>())
                .upsert("x") = 1;
            REQUIRE(s->checkpoint("v1").isOk());
        }
        auto s = open(kind, d.path);
        auto& totals = s->table<std::string, std::int64_t>(
            "Orders.Totals", scalarCodec<std::string, std::int64_t>());
        auto& fresh = s->table<std::string, std::int64_t>("Orders.New",
                                                          scalarCodec<std::string, std::int64_t>());
        auto cp = s->load();
        REQUIRE(cp.isOk());
        REQUIRE(cp->has_value());
        INFO(kind);
        REQUIRE(totals.find("ann") != nullptr);
        CHECK(*totals.find("ann") == 5);
        CHECK(fresh.size() == 0);
    }
}

TEST_CASE("dynamic rows are stored through the row codec") {
    Schema key{"K", 1, {{"product", FieldType::String, false, {}}}, 0};
    Schema value{"V",
                 1,
                 {{"available", FieldType::Int, false, {}}, {"note", FieldType::String, true, {}}},
                 -1};
    for (const char* kind : {"memory", "rocksdb"}) {
        TempDir d;
        {
            auto s = open(kind, d.path);
            auto& t = s->table<Row, Row>("Stock.Inventory", rowCodec(key, value));
            REQUIRE(s->load().isOk());
            t.upsert({Value{std::string("apple")}}) = {Value{std::int64_t{5}}, Value{}};
            t.upsert({Value{std::string("pear")}}) = {Value{std::int64_t{2}},
                                                      Value{std::string("ripe")}};
            REQUIRE(s->checkpoint("").isOk());
        }
        auto s = open(kind, d.path);
        auto& t = s->table<Row, Row>("Stock.Inventory", rowCodec(key, value));
        REQUIRE(s->load().isOk());
        const Row* pear = t.find({Value{std::string("pear")}});
        REQUIRE(pear != nullptr);
        CHECK((*pear)[1] == Value{std::string("ripe")});
        CHECK(t.size() == 2);
    }
}

TEST_CASE("rollback puts every table back as it was at beginUndo; keep keeps the changes") {
    for (const char* kind : {"memory", "rocksdb"}) {
        for (std::uint64_t seed : {1u, 2u, 3u}) {
            INFO(kind << " seed " << seed);
            TempDir d;
            std::mt19937_64 rng(seed);
            auto store = open(kind, d.path, StoreOptions{nullptr, 50, 100, false});
            auto* a = &store->table<std::int64_t, std::int64_t>(
                "svc.a", scalarCodec<std::int64_t, std::int64_t>());
            auto* b = &store->table<std::int64_t, std::int64_t>(
                "svc.b", scalarCodec<std::int64_t, std::int64_t>());
            REQUIRE_FALSE(store->load()->has_value());
            std::map<std::int64_t, std::int64_t> ma, mb;  // what was kept
            for (int round = 0; round < 300; ++round) {
                store->beginUndo();
                // A few changes, several to the same key, to both tables.
                for (int i = 0, n = static_cast<int>(rng() % 8); i < n; ++i) {
                    auto* t = rng() % 2 == 0 ? a : b;
                    auto key = static_cast<std::int64_t>(rng() % 20);
                    if (rng() % 3 == 0) {
                        t->erase(key);
                    } else {
                        t->upsert(key) += static_cast<std::int64_t>(rng() % 100);
                    }
                }
                if (rng() % 2 == 0) {
                    store->rollback();
                } else {
                    store->keep();
                    ma = contents(*a);
                    mb = contents(*b);
                }
                REQUIRE(contents(*a) == ma);
                REQUIRE(contents(*b) == mb);
                if (round % 50 == 49) {
                    REQUIRE(store->checkpoint("").isOk());
                }
            }
            // Changes outside an undo scope are not recorded: a later rollback keeps them.
            a->upsert(1000) = 1;
            store->beginUndo();
            a->upsert(1000) = 2;
            store->rollback();
            CHECK(*a->find(1000) == 1);
            // What a checkpoint after a rollback stores is the state before the scope.
            store->beginUndo();
            b->upsert(7) = -1;
            b->erase(3);
            store->rollback();
            auto before = contents(*b);
            REQUIRE(store->checkpoint("m").isOk());
            store.reset();
            auto again = open(kind, d.path, StoreOptions{nullptr, 50, 100, false});
            auto& b2 = again->table<std::int64_t, std::int64_t>(
                "svc.b", scalarCodec<std::int64_t, std::int64_t>());
            REQUIRE(again->load()->has_value());
            CHECK(contents(b2) == before);
        }
    }
}
