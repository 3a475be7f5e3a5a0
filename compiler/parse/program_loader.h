// parse/program_loader.h - reads the root file and everything it imports, in order.
#pragma once

#include "ast/decl.h"
#include "parse/parser.h"
#include "support/diagnostic_engine.h"
#include "support/source_manager.h"

#include <string>
#include <vector>

namespace flow::parse {

struct EmbeddedFile {
    std::string path;  // shown in diagnostics, e.g. "<stdlib>/builtins.flow"
    std::string text;
};

/// Loads `roots` and their imports (paths relative to the importing file), reporting
/// missing files (E0204), import cycles (E0205), oversized files (E0901) and parse
/// errors. Each file is parsed once however often it is imported. `embedded` files
/// (the standard library) are appended with `isStdlib` set.
ast::Program loadProgram(const std::vector<std::string>& roots,
                         const std::vector<EmbeddedFile>& embedded, SourceManager& sources,
                         DiagnosticEngine& diags, const ParseOptions& options);

/// Reads a file for the driver: false (with `error` set) if it cannot be read.
bool readFile(const std::string& path, std::size_t maxBytes, std::string& text, std::string& error,
              bool& tooLarge, std::size_t& size);

}  // namespace flow::parse
