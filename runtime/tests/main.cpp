// runtime/tests/main.cpp - the Catch2 runner, which doubles as the crash tests' worker.
//
// The crash tests need their worker in a fresh process (RocksDB's background threads do
// not survive fork()), so they re-execute this binary with FLOW_CRASH_WORKER set.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

int runCrashWorker(const char* spec);  // crash_test.cpp

int main(int argc, char** argv) {
    if (const char* spec = std::getenv("FLOW_CRASH_WORKER")) {
        return runCrashWorker(spec);
    }
    return Catch::Session().run(argc, argv);
}
