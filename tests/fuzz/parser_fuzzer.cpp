// fuzz/parser_fuzzer.cpp - libFuzzer target: any bytes through the parser and sema.
//
// The input is one Flow file (with the real standard library). Whatever the bytes,
// the front end must report diagnostics or succeed: no crash, no hang, no assert.
#include "parse/parser.h"
#include "sema/sema.h"
#include "stdlib_embedded.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flow;
    SourceManager sources;
    DiagnosticEngine diags(sources);
    ast::Program program;
    parse::ParseOptions options;
    FileId id =
        sources.addFile("fuzz.flow", std::string(reinterpret_cast<const char*>(data), size));
    auto file = parse::parseFile(sources.file(id), program, diags, options);
    if (!file) {
        return 0;
    }
    file->moduleName = "fuzz";
    program.files.push_back(std::move(file));
    parse::ParseOptions stdlibOptions;
    stdlibOptions.stdlib = true;
    for (const auto& s : stdlib::embeddedSources()) {
        FileId lib = sources.addFile(s.path, s.text);
        auto libFile = parse::parseFile(sources.file(lib), program, diags, stdlibOptions);
        if (libFile) {
            libFile->isStdlib = true;
            program.files.push_back(std::move(libFile));
        }
    }
    auto result = sema::analyze(program, diags);
    // Render everything: the renderer is part of what bad input reaches.
    (void)diags.renderAllText();
    return 0;
}
