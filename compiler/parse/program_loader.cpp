// parse/program_loader.cpp - reads the root file and everything it imports, in order.
#include "parse/program_loader.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

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

/// Loads the files of a program in waves: the roots, then every file they import, and
/// so on. Reading and registering files happens on this thread; the files of one wave
/// are lexed and parsed on all cores. Everything that depends on order — the order of
/// files in the program, expression ids, which import reports a missing file or a
/// cycle — follows the files and imports as written, never the timing of threads.
class Loader {
public:
    Loader(SourceManager& sources, DiagnosticEngine& diags, const ParseOptions& options)
        : sources_(sources), diags_(diags), options_(options) {}

    void load(const std::vector<std::string>& roots) {
        std::vector<Pending> wave;
        for (const std::string& r : roots) {
            wave.push_back({fs::path(r).lexically_normal().string(), {}});
        }
        while (!wave.empty()) {
            std::vector<FileId> toParse;
            for (const Pending& p : wave) {
                if (FileId id = admit(p)) {
                    toParse.push_back(id);
                }
            }
            parseAll(toParse);
            std::vector<Pending> next;
            for (FileId id : toParse) {
                auto it = parsed_.find(id);
                if (it == parsed_.end()) {
                    continue;
                }
                const std::string& from = sources_.file(id).path();
                for (const ast::Import& imp : it->second->imports) {
                    std::string target =
                        (fs::path(from).parent_path() / imp.path).lexically_normal().string();
                    if (byPath_.count(target) == 0 && !queued(next, target)) {
                        next.push_back({target, imp.range});
                    }
                }
            }
            wave = std::move(next);
        }
    }

    /// The parsed files in program order (depth-first from the roots, imports in the
    /// order written), with imports resolved, cycles reported and ids renumbered.
    void finish(const std::vector<std::string>& roots, ast::Program& program) {
        for (const std::string& r : roots) {
            auto it = byPath_.find(fs::path(r).lexically_normal().string());
            if (it != byPath_.end()) {
                visit(it->second, program);
            }
        }
        std::uint32_t next = 0;
        for (const auto& f : program.files) {
            for (ast::Expr* e : f->exprs) {
                e->id = next++;
            }
        }
        program.exprCount = next;
    }

private:
    struct Pending {
        std::string path;
        SourceRange via;  // the import that named it first
    };

    static bool queued(const std::vector<Pending>& v, const std::string& path) {
        for (const Pending& p : v) {
            if (p.path == path) {
                return true;
            }
        }
        return false;
    }

    /// Reads and registers one file; returns its id if it is to be parsed.
    FileId admit(const Pending& p) {
        if (byPath_.count(p.path) != 0) {
            return 0;
        }
        if (byPath_.size() >= options_.limits.maxFiles) {
            // Reported once: every further import is over the same limit.
            if (!tooManyFiles_) {
                diags_.report(DiagCode::E0903, p.via, options_.limits.maxFiles);
                tooManyFiles_ = true;
            }
            return 0;
        }
        std::string text, error;
        bool tooLarge = false;
        std::size_t size = 0;
        if (!readFile(p.path, options_.limits.maxFileBytes, text, error, tooLarge, size)) {
            diags_.report(DiagCode::E0204, p.via, p.path, error);
            byPath_[p.path] = 0;
            return 0;
        }
        FileId id = sources_.addFile(p.path, std::move(text));
        byPath_[p.path] = id;
        if (tooLarge) {
            diags_.report(DiagCode::E0901, {{id, 0}, 0}, size, options_.limits.maxFileBytes);
            return 0;
        }
        return id;
    }

    struct Result {
        std::unique_ptr<ast::File> file;
        std::unique_ptr<DiagnosticEngine> diags;
    };

    /// Parses the files on up to as many threads as there are cores. No file is added
    /// to the SourceManager meanwhile, so reading it from several threads is safe.
    void parseAll(const std::vector<FileId>& ids) {
        std::vector<Result> results(ids.size());
        auto work = [&](std::size_t i) {
            ast::Program scratch;  // ids are renumbered in finish()
            results[i].diags = std::make_unique<DiagnosticEngine>(sources_);
            results[i].file =
                parse::parseFile(sources_.file(ids[i]), scratch, *results[i].diags, options_);
        };
        std::size_t threads =
            std::min<std::size_t>(ids.size(), std::max(1u, std::thread::hardware_concurrency()));
        if (threads <= 1) {
            for (std::size_t i = 0; i < ids.size(); ++i) {
                work(i);
            }
        } else {
            std::atomic<std::size_t> nextIndex{0};
            std::vector<std::thread> pool;
            for (std::size_t t = 0; t < threads; ++t) {
                pool.emplace_back([&] {
                    for (std::size_t i = nextIndex++; i < ids.size(); i = nextIndex++) {
                        work(i);
                    }
                });
            }
            for (std::thread& t : pool) {
                t.join();
            }
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            diags_.absorb(*results[i].diags);
            if (results[i].file) {
                results[i].file->moduleName = results[i].file->module
                                                  ? results[i].file->module->name
                                                  : baseName(sources_.file(ids[i]).path());
                parsed_[ids[i]] = std::move(results[i].file);
            }
        }
    }

    void visit(FileId id, ast::Program& program) {
        auto it = parsed_.find(id);
        if (it == parsed_.end() || it->second == nullptr) {
            return;  // not parsed (errors), or already placed
        }
        ast::File* file = it->second.get();
        program.files.push_back(std::move(it->second));
        stack_.push_back(id);
        const std::string& from = sources_.file(id).path();
        for (ast::Import& imp : file->imports) {
            std::string target =
                (fs::path(from).parent_path() / imp.path).lexically_normal().string();
            auto found = byPath_.find(target);
            imp.resolved = found == byPath_.end() ? 0 : found->second;
            if (imp.resolved == 0) {
                continue;
            }
            auto onStack = std::find(stack_.begin(), stack_.end(), imp.resolved);
            if (onStack != stack_.end()) {
                std::string chain;
                for (auto s = onStack; s != stack_.end(); ++s) {
                    chain += sources_.file(*s).path() + " -> ";
                }
                chain += sources_.file(imp.resolved).path();
                diags_.report(DiagCode::E0205, imp.range, chain);
                continue;
            }
            visit(imp.resolved, program);
        }
        stack_.pop_back();
    }

    SourceManager& sources_;
    DiagnosticEngine& diags_;
    const ParseOptions& options_;
    std::map<std::string, FileId> byPath_;  // 0: could not be read
    std::map<FileId, std::unique_ptr<ast::File>> parsed_;
    std::vector<FileId> stack_;
    bool tooManyFiles_ = false;
};

}  // namespace

ast::Program loadProgram(const std::vector<std::string>& roots,
                         const std::vector<EmbeddedFile>& embedded, SourceManager& sources,
                         DiagnosticEngine& diags, const ParseOptions& options) {
    ast::Program program;
    Loader loader(sources, diags, options);
    loader.load(roots);
    loader.finish(roots, program);
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
