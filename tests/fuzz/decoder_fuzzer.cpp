// fuzz/decoder_fuzzer.cpp - libFuzzer target: untrusted bytes through the envelope and row
// decoders. Whatever the bytes: no crash, no out-of-bounds read, and anything accepted
// re-encodes to exactly the same bytes (the format has one encoding per value).
#include "flow/rt/codec.h"
#include "flow/rt/envelope.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

flow::rt::Schema schema() {
    using flow::rt::FieldType;
    flow::rt::Schema s;
    s.name = "Fuzz.Event";
    s.fields = {
        {"id", FieldType::String, false, {}},  {"n", FieldType::Int, false, {}},
        {"f", FieldType::Float, true, {}},     {"b", FieldType::Bool, false, {}},
        {"t", FieldType::Timestamp, true, {}}, {"e", FieldType::Enum, false, {"A", "B", "C"}},
        {"s", FieldType::String, true, {}},    {"d", FieldType::Duration, false, {}}};
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flow::rt;
    static const Schema s = schema();
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    Envelope env;
    std::string_view payload;
    if (decodeEnvelope(bytes, env, payload).isOk()) {
        std::string again;
        encodeEnvelope(env, payload, again);
        if (again != bytes) {
            std::abort();
        }
        bytes = payload;
    }
    Row row;
    if (decodeRow(s, bytes, row).isOk()) {
        std::string again;
        if (!encodeRow(s, row, again).isOk() || again != bytes) {
            std::abort();
        }
    }
    return 0;
}
