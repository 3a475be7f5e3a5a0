// fuzz/decoder_fuzzer.cpp - libFuzzer target: untrusted bytes through the envelope and row
// decoders. Whatever the bytes: no crash, no out-of-bounds read, and anything accepted
// re-encodes to exactly the same bytes (the format has one encoding per value); an
// envelope of the older format 1 re-encodes, in format 2, to the same envelope. Format 3
// records are read with a dictionary of two types; the bytes are also tried as the file
// form of a dictionary.
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

flow::rt::LogTypes types() {
    flow::rt::LogTypes t;
    (void)t.add("Fuzz.Event");
    (void)t.add("Fuzz.Other");
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flow::rt;
    static const Schema s = schema();
    static const LogTypes dictionary = types();
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    LogTypes file;
    if (LogTypes::decode(bytes, "fuzz", file).isOk() && file.encode() != bytes) {
        std::abort();
    }
    Envelope env;
    std::string_view payload;
    if (decodeEnvelope(bytes, env, payload, &dictionary).isOk()) {
        std::string again;
        encodeEnvelope(env, payload, again);
        if (bytes[0] == kEnvelopeFormat1) {
            Envelope back;
            std::string_view rest;
            if (!decodeEnvelope(again, back, rest).isOk() || rest != payload || back.id != env.id ||
                back.causation != env.causation || back.correlation != env.correlation ||
                back.time != env.time || back.seq != env.seq || back.version != env.version ||
                back.ingest != env.ingest || back.depth != env.depth || back.type != env.type ||
                back.key != env.key) {
                std::abort();
            }
        } else if (again != bytes) {
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
