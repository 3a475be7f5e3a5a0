// parse/program_loader.cpp - reads the root file and everything it imports, in order.
#include "parse/program_loader.h"

#include <filesystem>
#include <fstream>
#include <map>

namespace flow::parse {

namespace fs = std::filesystem;

bool readFile(const std::string& path, std::size_t maxBytes, std::string& text, std::string& error,
              bool& tooLarge, std::size_t& size) {
    tooLarge = false;
    size = 0;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        error = "is a directory";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::generic_category().message(errno == 0 ? ENOENT : errno);
        return false;
    }
    in.seekg(0, std::ios::end);
    auto end = in.tellg();
    in.seekg(0, std::ios::beg);
    if (end < 0) {
        error = "cannot read file";
        return false;
    }
    size = static_cast<std::size_t>(end);
    if (size > maxBytes) {
        tooLarge = true;
        // Keep the first line so the diagnostic can show where the file starts.
        std::string head(std::min<std::size_t>(size, 200), '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        text = head.substr(0, head.find('\n'));
        return true;
    }
    text.resize(size);
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (!in) {
        error = "cannot read file";
        return false;
    }
    return true;
}

namespace {

std::string baseName(const std::string& path) {
    return fs::path(path).stem().string();
}

class Loader {
public:
    Loader(SourceManager& sources, DiagnosticEngine& diags, const ParseOptions& options,
           ast::Program& program)
        : sources_(sources), diags_(diags), options_(options), program_(program) {}

    /// Loads `path` (already normalised) and, depth first, its imports. `via` is the
    /// import that named it, for diagnostics. Returns the file id, or 0.
    FileId load(const std::string& path, SourceRange via) {
        auto found = byPath_.find(path);
        if (found != byPath_.end()) {
            if (onStack(found->second)) {
                reportCycle(found->second, via);
            }
            return found->second;
        }
        if (byPath_.size() >= options_.limits.maxFiles) {
            // Reported once: every further import is over the same limit.
            if (!tooManyFiles_) {
                diags_.report(DiagCode::E0903, via, options_.limits.maxFiles);
                tooManyFiles_ = true;
            }
            return 0;
        }
        std::string text, error;
        bool tooLarge = false;
        std::size_t size = 0;
        if (!readFile(path, options_.limits.maxFileBytes, text, error, tooLarge, size)) {
            diags_.report(DiagCode::E0204, via, path, error);
            return 0;
        }
        FileId id = sources_.addFile(path, std::move(text));
        byPath_[path] = id;
        if (tooLarge) {
            diags_.report(DiagCode::E0901, {{id, 0}, 0}, size, options_.limits.maxFileBytes);
            return id;
        }
        auto file = parse::parseFile(sources_.file(id), program_, diags_, options_);
        if (!file) {
            return id;
        }
        file->moduleName = file->module ? file->module->name : baseName(path);
        ast::File* raw = file.get();
        program_.files.push_back(std::move(file));
        stack_.push_back({id, {}});
        for (ast::Import& imp : raw->imports) {
            stack_.back().via = imp.range;
            fs::path target = fs::path(path).parent_path() / imp.path;
            imp.resolved = load(target.lexically_normal().string(), imp.range);
        }
        stack_.pop_back();
        return id;
    }

private:
    struct Frame {
        FileId file;
        SourceRange via;  // the import being followed from this file
    };

    bool onStack(FileId id) const {
        for (const Frame& f : stack_) {
            if (f.file == id) {
                return true;
            }
        }
        return false;
    }

    void reportCycle(FileId target, SourceRange via) {
        std::string chain;
        bool in = false;
        for (const Frame& f : stack_) {
            in = in || f.file == target;
            if (in) {
                chain += sources_.file(f.file).path() + " -> ";
            }
        }
        chain += sources_.file(target).path();
        diags_.report(DiagCode::E0205, via, chain);
    }

    SourceManager& sources_;
    DiagnosticEngine& diags_;
    const ParseOptions& options_;
    ast::Program& program_;
    std::map<std::string, FileId> byPath_;
    std::vector<Frame> stack_;
    bool tooManyFiles_ = false;
};

}  // namespace

ast::Program loadProgram(const std::vector<std::string>& roots,
                         const std::vector<EmbeddedFile>& embedded, SourceManager& sources,
                         DiagnosticEngine& diags, const ParseOptions& options) {
    ast::Program program;
    Loader loader(sources, diags, options, program);
    for (const std::string& root : roots) {
        loader.load(fs::path(root).lexically_normal().string(), {});
    }
    ParseOptions stdlibOptions = options;
    stdlibOptions.stdlib = true;
    for (const EmbeddedFile& e : embedded) {
        FileId id = sources.addFile(e.path, e.text);
        auto file = parse::parseFile(sources.file(id), program, diags, stdlibOptions);
        if (file) {
            file->moduleName = "std";
            program.files.push_back(std::move(file));
        }
    }
    return program;
}

}  // namespace flow::parse
