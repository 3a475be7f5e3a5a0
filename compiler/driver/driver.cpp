// driver/driver.cpp - the flowc command line: check, fmt, graph, the --emit dumps, and
// building, running and testing programs on either backend.
#include "driver/driver.h"

#include "ast/ast_printer.h"
#include "ast/formatter.h"
#include "codegen/cpp/cpp_emitter.h"
#include "codegen/llvm/llvm_emitter.h"
#include "driver/cpp_build.h"
#include "driver/graph.h"
#include "driver/llvm_build.h"
#include "ir/ir_printer.h"
#include "ir/ir_verifier.h"
#include "lower/ast_to_ir.h"
#include "parse/parser.h"
#include "parse/program_loader.h"
#include "sema/compat.h"
#include "sema/sema.h"
#include "stdlib_embedded.h"
#include "support/diagnostic_engine.h"
#include "support/text.h"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <regex>
#include <sys/wait.h>
#include <unistd.h>

namespace flow::driver {

namespace {

namespace fs = std::filesystem;

struct Options {
    std::string diagnostics = "text";
    std::string color = "auto";
    std::size_t errorLimit = 50;
    parse::ParseOptions parse;
    std::string emit;
    bool verifyDiagnostics = false;
    llvmgen::Options llvm;  // --llvm-opt
};

/// One compilation: the sources, the diagnostics, the AST and (after sema) its result.
struct Compilation {
    SourceManager sources;
    DiagnosticEngine diags{sources};
    ast::Program program;
    std::unique_ptr<sema::SemaResult> sema;
};

std::vector<parse::EmbeddedFile> stdlibFiles() {
    std::vector<parse::EmbeddedFile> out;
    for (const auto& s : stdlib::embeddedSources()) {
        out.push_back({s.path, s.text});
    }
    return out;
}

/// Parses `files` and their imports, then (if parsing succeeded and `runSema`) runs sema.
/// Returns false if any error was reported.
bool compile(const std::vector<std::string>& files, const Options& opts, Compilation& c,
             bool runSema) {
    c.program = parse::loadProgram(files, stdlibFiles(), c.sources, c.diags, opts.parse);
    if (c.diags.hasErrors() || !runSema) {
        return !c.diags.hasErrors();
    }
    c.sema = sema::analyze(c.program, c.diags);
    return !c.diags.hasErrors();
}

bool useColor(const Options& opts) {
    if (opts.color == "always") {
        return true;
    }
    if (opts.color == "never") {
        return false;
    }
    const char* term = std::getenv("TERM");
    return isatty(STDERR_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr && term != nullptr &&
           std::string(term) != "dumb";
}

nlohmann::ordered_json locationJson(const SourceManager& sources, SourceRange r) {
    nlohmann::ordered_json j;
    if (!r.valid()) {
        return j;
    }
    LineColumn b = sources.lineColumn(r.begin);
    LineColumn e = sources.lineColumn(r.endLocation());
    j["file"] = sources.file(r.begin.file).path();
    j["line"] = b.line;
    j["column"] = b.column;
    j["endLine"] = e.line;
    j["endColumn"] = e.column;
    return j;
}

void printDiagnostics(const Compilation& c, const Options& opts) {
    if (opts.diagnostics == "json") {
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (const Diagnostic* d : c.diags.sorted()) {
            nlohmann::ordered_json j = locationJson(c.sources, d->range);
            j["severity"] = severityName(d->severity);
            j["code"] = diagInfo(d->code).code;
            j["message"] = d->message;
            nlohmann::ordered_json notes = nlohmann::ordered_json::array();
            for (const DiagNote& n : d->notes) {
                nlohmann::ordered_json nj = locationJson(c.sources, n.range);
                nj["message"] = n.message;
                notes.push_back(nj);
            }
            j["notes"] = notes;
            all.push_back(j);
        }
        std::cerr << all.dump(2) << "\n";
        return;
    }
    std::cerr << c.diags.renderAllText(useColor(opts), opts.errorLimit);
}

// ---- --verify-diagnostics ------------------------------------------------------------------

struct Expectation {
    FileId file;
    std::uint32_t line;
    Severity severity;
    std::string text;
    std::uint32_t written;  // the line the comment is on
    bool matched = false;
};

/// Reads `// expected-error@+1 {{text}}` (also `-note`, `-warning`, `@-N`, `@N`) from
/// every loaded file, MLIR style.
std::vector<Expectation> readExpectations(const SourceManager& sources) {
    static const std::regex re(R"(expected-(error|warning|note)(@([+-]?)(\d+))?\s*\{\{(.*?)\}\})");
    std::vector<Expectation> out;
    for (FileId id = 1; id <= sources.fileCount(); ++id) {
        const SourceFile& f = sources.file(id);
        for (std::uint32_t line = 1; line <= f.lineCount(); ++line) {
            std::string text(f.lineText(line));
            for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
                 it != std::sregex_iterator(); ++it) {
                const std::smatch& m = *it;
                Expectation e;
                e.file = id;
                e.written = line;
                e.severity = m[1] == "error"     ? Severity::Error
                             : m[1] == "warning" ? Severity::Warning
                                                 : Severity::Note;
                e.line = line;
                if (m[2].matched) {
                    auto n = static_cast<std::uint32_t>(std::stoul(m[4]));
                    e.line = m[3] == "+" ? line + n : m[3] == "-" ? line - n : n;
                }
                e.text = m[5];
                out.push_back(std::move(e));
            }
        }
    }
    return out;
}

int verifyDiagnostics(const Compilation& c) {
    std::vector<Expectation> expected = readExpectations(c.sources);
    std::vector<std::string> problems;
    auto match = [&](FileId file, std::uint32_t line, Severity sev, const std::string& text) {
        for (Expectation& e : expected) {
            if (!e.matched && e.severity == sev && e.file == file && e.line == line &&
                text.find(e.text) != std::string::npos) {
                e.matched = true;
                return true;
            }
        }
        return false;
    };
    for (const Diagnostic* d : c.diags.sorted()) {
        std::string text = d->message + " [" + diagInfo(d->code).code + "]";
        FileId file = d->range.begin.file;
        std::uint32_t line = d->range.valid() ? c.sources.lineColumn(d->range.begin).line : 0;
        if (!match(file, line, d->severity, text)) {
            problems.push_back(c.sources.describe(d->range.begin) + ": unexpected " +
                               severityName(d->severity) + ": " + text);
        }
        for (const DiagNote& n : d->notes) {
            FileId nf = n.range.valid() ? n.range.begin.file : file;
            std::uint32_t nl = n.range.valid() ? c.sources.lineColumn(n.range.begin).line : line;
            match(nf, nl, Severity::Note, n.message);  // notes need not all be expected
        }
    }
    for (const Expectation& e : expected) {
        if (!e.matched) {
            problems.push_back(c.sources.file(e.file).path() + ":" + std::to_string(e.written) +
                               ": expected " + severityName(e.severity) + " on line " +
                               std::to_string(e.line) + " not produced: {{" + e.text + "}}");
        }
    }
    for (const std::string& p : problems) {
        std::cerr << p << "\n";
    }
    if (!problems.empty()) {
        std::cerr << problems.size() << " diagnostic mismatch" << (problems.size() == 1 ? "" : "es")
                  << "\n";
        return 1;
    }
    return 0;
}

// ---- Subcommands ---------------------------------------------------------------------------

/// Lowers a program sema accepted, and verifies the IR. A verifier failure is an
/// internal compiler error, never the user's: it is reported as such.
std::unique_ptr<ir::Program> lowerChecked(const Compilation& c) {
    auto program = lower::lowerProgram(c.program, *c.sema, c.sources);
    auto problems = ir::verify(*program);
    if (!problems.empty()) {
        std::cerr << "flowc: internal compiler error: the IR failed verification:\n";
        for (const std::string& p : problems) {
            std::cerr << "  " << p << "\n";
        }
        return nullptr;
    }
    return program;
}

/// The C++ backend's files for a lowered program, or nullopt after reporting an internal
/// compiler error. The header names `root` relative to the working directory.
std::optional<std::vector<cppgen::GeneratedFile>> generateCpp(const ir::Program& program,
                                                              const std::string& root) {
    cppgen::Options options;
    std::error_code ec;
    fs::path relative = fs::proximate(root, ec);
    options.sourcePath = ec ? fs::path(root).filename().string() : relative.generic_string();
    cppgen::Output out = cppgen::generateCpp(program, options);
    if (!out.errors.empty()) {
        std::cerr << "flowc: internal compiler error: the C++ backend cannot translate the IR:\n";
        for (const std::string& e : out.errors) {
            std::cerr << "  " << e << "\n";
        }
        return std::nullopt;
    }
    return std::move(out.files);
}

std::optional<std::vector<cppgen::GeneratedFile>> generateCpp(const Compilation& c,
                                                              const std::string& root) {
    auto program = lowerChecked(c);
    if (!program) {
        return std::nullopt;
    }
    return generateCpp(*program, root);
}

int cmdEmit(const std::vector<std::string>& files, const Options& opts) {
    Compilation c;
    if (opts.emit == "tokens") {
        bool ok = true;
        for (const std::string& f : files) {
            std::string text, error;
            bool tooLarge = false;
            std::size_t size = 0;
            if (!parse::readFile(f, opts.parse.limits.maxFileBytes, text, error, tooLarge, size)) {
                c.diags.report(DiagCode::E0204, SourceRange{}, f, error);
                ok = false;
                continue;
            }
            FileId id = c.sources.addFile(f, text);
            if (tooLarge) {
                c.diags.report(DiagCode::E0901, {{id, 0}, 0}, size, opts.parse.limits.maxFileBytes);
                ok = false;
                continue;
            }
            std::string out;
            ok = parse::dumpTokens(c.sources.file(id), c.diags, out, opts.parse) && ok;
            std::cout << out;
        }
        printDiagnostics(c, opts);
        return ok ? 0 : 1;
    }
    bool wantSema = opts.emit == "sema";
    bool wantIr = opts.emit == "ir";
    bool wantCpp = opts.emit == "cpp";
    bool wantLlvm = opts.emit == "llvm";
    if (opts.emit != "ast" && !wantSema && !wantIr && !wantCpp && !wantLlvm) {
        std::cerr << "flowc: error: --emit=" << opts.emit
                  << " is not available (choose tokens, ast, sema, ir, cpp or llvm)\n";
        return 2;
    }
    if ((wantCpp || wantLlvm) && files.size() != 1) {
        std::cerr << "flowc: error: --emit=" << opts.emit
                  << " takes one file (the program's root)\n";
        return 2;
    }
    bool ok = compile(files, opts, c, wantSema || wantIr || wantCpp || wantLlvm);
    printDiagnostics(c, opts);
    if (!ok) {
        return 1;
    }
    if (wantCpp) {
        auto generated = generateCpp(c, files[0]);
        if (!generated) {
            return 1;
        }
        for (const cppgen::GeneratedFile& f : *generated) {
            std::cout << "// ---- " << f.name << "\n" << f.text;
        }
        return 0;
    }
    if (wantLlvm) {
        auto program = lowerChecked(c);
        if (!program) {
            return 1;
        }
        llvmgen::TextOutput out = llvmgen::emitLlvmText(*program, opts.llvm);
        if (!out.errors.empty()) {
            std::cerr << "flowc: internal compiler error: the LLVM backend cannot translate the "
                         "IR:\n";
            for (const std::string& e : out.errors) {
                std::cerr << "  " << e << "\n";
            }
            return 1;
        }
        std::cout << out.text;
        return 0;
    }
    if (wantIr) {
        auto program = lowerChecked(c);
        if (!program) {
            return 1;
        }
        std::cout << ir::printProgram(*program);
        return 0;
    }
    std::cout << (wantSema ? sema::printSema(c.program, *c.sema, c.sources)
                           : ast::printAst(c.program, c.sources));
    return 0;
}

/// A compilation that lives until the process exits. Tearing down a large AST and its
/// side tables one node at a time takes longer than the OS needs to reclaim the whole
/// heap, so `check` and `graph` never free theirs (clang's -disable-free and
/// BuryPointer). The pointer stays reachable from a static, so leak checkers stay quiet.
Compilation& processLifetimeCompilation() {
    static auto* buried = new std::vector<Compilation*>;  // never destroyed either
    buried->push_back(new Compilation);
    return *buried->back();
}

int cmdCheck(const std::vector<std::string>& files, const Options& opts) {
    Compilation& c = processLifetimeCompilation();
    bool ok = compile(files, opts, c, true);
    if (opts.verifyDiagnostics) {
        return verifyDiagnostics(c);
    }
    printDiagnostics(c, opts);
    return ok ? 0 : 1;
}

bool writeAtomically(const std::string& path, const std::string& text, std::string& error) {
    std::string tmp = path + ".flowfmt.tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            error = "cannot write '" + tmp + "'";
            return false;
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        error = ec.message();
        fs::remove(tmp, ec);
        return false;
    }
    return true;
}

int cmdFmt(const std::vector<std::string>& files, bool check, bool toStdout, const Options& opts) {
    int status = 0;
    for (const std::string& path : files) {
        Compilation c;
        std::string text, error;
        bool tooLarge = false;
        std::size_t size = 0;
        if (!parse::readFile(path, opts.parse.limits.maxFileBytes, text, error, tooLarge, size)) {
            c.diags.report(DiagCode::E0204, SourceRange{}, path, error);
            printDiagnostics(c, opts);
            status = 1;
            continue;
        }
        FileId id = c.sources.addFile(path, text);
        if (tooLarge) {
            c.diags.report(DiagCode::E0901, {{id, 0}, 0}, size, opts.parse.limits.maxFileBytes);
            printDiagnostics(c, opts);
            status = 1;
            continue;
        }
        auto file = parse::parseFile(c.sources.file(id), c.program, c.diags, opts.parse);
        if (!file) {
            printDiagnostics(c, opts);
            status = 1;
            continue;
        }
        std::string formatted = ast::formatFile(*file, c.sources.file(id));
        if (toStdout) {
            std::cout << formatted;
            continue;
        }
        if (formatted == text) {
            continue;
        }
        if (check) {
            std::cerr << path << ": not formatted (run 'flowc fmt " << path << "')\n";
            status = 1;
            continue;
        }
        if (!writeAtomically(path, formatted, error)) {
            std::cerr << "flowc: error: " << path << ": " << error << "\n";
            status = 1;
        }
    }
    return status;
}

int cmdGenCpp(const std::string& file, const std::string& dir, const Options& opts) {
    Compilation c;
    bool ok = compile({file}, opts, c, true);
    printDiagnostics(c, opts);
    if (!ok) {
        return 1;
    }
    auto generated = generateCpp(c, file);
    if (!generated) {
        return 1;
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        std::cerr << "flowc: error: cannot create '" << dir << "': " << ec.message() << "\n";
        return 1;
    }
    for (const cppgen::GeneratedFile& f : *generated) {
        std::string path = (fs::path(dir) / f.name).string();
        std::string error;
        if (!writeAtomically(path, f.text, error)) {
            std::cerr << "flowc: error: " << path << ": " << error << "\n";
            return 1;
        }
    }
    return 0;
}

int cmdBuild(const std::string& file, const std::string& output, const std::string& backend,
             const Options& opts) {
    Compilation c;
    bool ok = compile({file}, opts, c, true);
    printDiagnostics(c, opts);
    if (!ok) {
        return 1;
    }
    if (backend == "llvm") {
        auto program = lowerChecked(c);
        return program ? buildLlvmExecutable(*program, output, opts.llvm) : 1;
    }
    auto generated = generateCpp(c, file);
    if (!generated) {
        return 1;
    }
    return buildExecutable(*generated, output);
}

/// A checked program lowered to the IR, or null after its diagnostics or an internal
/// compiler error have been reported.
std::unique_ptr<ir::Program> loweredProgram(const std::string& file, const Options& opts) {
    Compilation c;
    bool ok = compile({file}, opts, c, true);
    printDiagnostics(c, opts);
    if (!ok) {
        return nullptr;
    }
    return lowerChecked(c);
}

/// Replaces this process with `argv[0]` run with `argv` (flushing our output first);
/// returns 1 after reporting why only if that fails.
int execArgs(std::vector<std::string> argv) {
    std::vector<char*> raw;
    for (std::string& a : argv) {
        raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    std::cout.flush();
    std::cerr.flush();
    execv(raw[0], raw.data());
    std::cerr << "flowc: error: cannot run '" << argv[0] << "': " << std::strerror(errno) << "\n";
    return 1;
}

/// The program's executable in the build cache, compiled on a miss; empty after the
/// error has been reported.
std::string programExecutable(const ir::Program& program, const std::string& file) {
    auto generated = generateCpp(program, file);
    if (!generated) {
        return "";
    }
    return cachedExecutable(*generated);
}

/// `flowc run|dump|trace FILE ARGS...`. On the LLVM backend (the default) the kernels
/// are JIT-compiled and the program runs in this process; on the C++ backend this process
/// is replaced by the program's cached executable running `EXE COMMAND ARGS...`, so
/// signals reach the program itself. Either way the program sees the same command line.
int runProgram(const std::string& file, const std::string& backend, const std::string& command,
               const std::vector<std::string>& args, const Options& opts) {
    auto program = loweredProgram(file, opts);
    if (!program) {
        return 1;
    }
    if (backend == "llvm") {
        std::vector<std::string> argv = {command};
        argv.insert(argv.end(), args.begin(), args.end());
        return runJitted(*program, argv, opts.llvm);
    }
    std::string exe = programExecutable(*program, file);
    if (exe.empty()) {
        return 1;
    }
    std::vector<std::string> argv = {exe, command};
    argv.insert(argv.end(), args.begin(), args.end());
    return execArgs(argv);
}

/// What one file's test blocks printed on one backend.
struct TestOutput {
    std::vector<std::string> lines;  // every line but the closing summary
    long passed = 0;
    long failed = 0;
    bool summarised = false;  // the "N passed, M failed" line came
    int signal = 0;           // the signal that stopped the program, or 0

    friend bool operator==(const TestOutput&, const TestOutput&) = default;
};

/// Reads a test run's output from `in` to its end.
TestOutput readTestOutput(FILE* in) {
    static const std::regex kSummary(R"(^(\d+) passed, (\d+) failed$)");
    TestOutput out;
    std::string line;
    char buf[4096];
    while (std::fgets(buf, sizeof(buf), in) != nullptr) {
        line += buf;
        if (line.empty() || line.back() != '\n') {
            continue;
        }
        line.pop_back();
        std::smatch m;
        if (std::regex_match(line, m, kSummary)) {
            out.passed += std::stol(m[1]);
            out.failed += std::stol(m[2]);
            out.summarised = true;
        } else {
            out.lines.push_back(line);
        }
        line.clear();
    }
    if (!line.empty()) {
        out.lines.push_back(line);  // a last line without its newline
    }
    return out;
}

std::vector<std::string> testArgs(const std::string& filter) {
    std::vector<std::string> args = {"test"};
    if (!filter.empty()) {
        args.emplace_back("--filter");
        args.push_back(filter);
    }
    return args;
}

/// The output of `child` run in a forked process with its stdout read here; nullopt if
/// the process cannot be made. `child` returns the exit status (or never returns).
std::optional<TestOutput> testsInChild(const std::function<int()>& child) {
    int fds[2];
    if (pipe(fds) != 0) {
        std::cerr << "flowc: error: pipe: " << std::strerror(errno) << "\n";
        return std::nullopt;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        std::cerr << "flowc: error: fork: " << std::strerror(errno) << "\n";
        close(fds[0]);
        close(fds[1]);
        return std::nullopt;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[1]);
        int status = child();
        std::cout.flush();
        std::fflush(nullptr);
        _exit(status);
    }
    close(fds[1]);
    FILE* in = fdopen(fds[0], "r");
    if (in == nullptr) {
        close(fds[0]);
        waitpid(pid, nullptr, 0);
        return std::nullopt;
    }
    TestOutput out = readTestOutput(in);
    std::fclose(in);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status) != 0) {
        out.signal = WTERMSIG(status);
    }
    return out;
}

/// The test blocks in the program's cached C++ executable.
std::optional<TestOutput> cppTests(const std::string& exe, const std::string& filter) {
    return testsInChild([&exe, &filter] {
        std::vector<std::string> argv = {exe};
        for (std::string& a : testArgs(filter)) {
            argv.push_back(std::move(a));
        }
        return execArgs(argv);
    });
}

/// The test blocks with JIT-compiled kernels, in a child process (so a crash in a kernel
/// is reported like one in an executable, and one file's JIT never sees another's).
std::optional<TestOutput> llvmTests(const ir::Program& program, const std::string& filter,
                                    const Options& opts) {
    return testsInChild(
        [&program, &filter, &opts] { return runJitted(program, testArgs(filter), opts.llvm); });
}

/// Prints one file's test lines and adds its summary to the totals.
void reportTests(const std::string& file, const TestOutput& out, long& passed, long& failed) {
    for (const std::string& line : out.lines) {
        std::cout << line << "\n";
    }
    passed += out.passed;
    failed += out.failed;
    if (!out.summarised || out.signal != 0) {
        std::cout << "FAIL  " << file << ": the test program stopped without a summary"
                  << (out.signal != 0 ? " (signal " + std::to_string(out.signal) + ")" : "")
                  << "\n";
        ++failed;
    }
}

/// The whole output of a test run as text lines, with its summary (for comparisons).
std::vector<std::string> transcript(const TestOutput& out) {
    std::vector<std::string> lines = out.lines;
    if (out.summarised) {
        lines.push_back(std::to_string(out.passed) + " passed, " + std::to_string(out.failed) +
                        " failed");
    }
    if (out.signal != 0) {
        lines.push_back("(stopped by signal " + std::to_string(out.signal) + ")");
    }
    return lines;
}

/// `--backend both` found different outputs: says so, with the lines that differ (the
/// common beginning and end left out).
void reportDisagreement(const std::string& file, const TestOutput& cpp, const TestOutput& llvm) {
    std::vector<std::string> a = transcript(cpp);
    std::vector<std::string> b = transcript(llvm);
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && a[head] == b[head]) {
        ++head;
    }
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head &&
           a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
        ++tail;
    }
    std::cout << "FAIL  " << file
              << ": the backends disagree: the C++ backend printed (-), the LLVM backend (+)"
              << " from line " << head + 1 << ":\n";
    for (std::size_t i = head; i < a.size() - tail; ++i) {
        std::cout << "      - " << a[i] << "\n";
    }
    for (std::size_t i = head; i < b.size() - tail; ++i) {
        std::cout << "      + " << b[i] << "\n";
    }
}

/// `flowc test FILE...`: each file's test blocks run on the chosen backend (`both`: on
/// each, and any difference in what they print is a failure of its own); their lines
/// are passed through and the closing "N passed, M failed" lines summed into one.
int cmdTest(const std::vector<std::string>& files, const std::string& filter,
            const std::string& backend, const Options& opts) {
    long passed = 0, failed = 0;
    for (const std::string& file : files) {
        auto program = loweredProgram(file, opts);
        std::string exe;
        if (program && backend != "llvm") {
            exe = programExecutable(*program, file);
        }
        if (!program || (backend != "llvm" && exe.empty())) {
            std::cout << "FAIL  " << file << ": the program does not build\n";
            ++failed;
            continue;
        }
        std::optional<TestOutput> cpp, llvm;
        if (backend != "llvm") {
            cpp = cppTests(exe, filter);
            if (!cpp) {
                return 1;
            }
        }
        if (backend != "cpp") {
            llvm = llvmTests(*program, filter, opts);
            if (!llvm) {
                return 1;
            }
        }
        if (cpp && llvm && !(*cpp == *llvm)) {
            reportDisagreement(file, *cpp, *llvm);
            passed += cpp->passed;
            failed += cpp->failed + 1;
            continue;
        }
        reportTests(file, cpp ? *cpp : *llvm, passed, failed);
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}

/// `flowc compat OLD NEW`: both programs are checked in one source manager, so a
/// diagnostic can point into either file.
int cmdCompat(const std::string& oldFile, const std::string& newFile, const Options& opts) {
    Compilation c;
    ast::Program oldProgram =
        parse::loadProgram({oldFile}, stdlibFiles(), c.sources, c.diags, opts.parse);
    std::unique_ptr<sema::SemaResult> oldSema;
    if (!c.diags.hasErrors()) {
        oldSema = sema::analyze(oldProgram, c.diags);
    }
    bool oldOk = !c.diags.hasErrors();
    bool ok = compile({newFile}, opts, c, true) && oldOk;
    int compared = 0;
    if (ok) {
        compared = sema::checkCompat(*oldSema, *c.sema, c.diags);
    }
    printDiagnostics(c, opts);
    if (c.diags.hasErrors()) {
        return 1;
    }
    std::cout << newFile << " can read what " << oldFile << " stored (" << compared
              << " event version" << (compared == 1 ? "" : "s") << " compared)\n";
    return 0;
}

int cmdGraph(const std::string& file, const std::string& format, const Options& opts) {
    Compilation& c = processLifetimeCompilation();
    bool ok = compile({file}, opts, c, true);
    printDiagnostics(c, opts);
    if (!ok) {
        return 1;
    }
    GraphFormat f = format == "dot"    ? GraphFormat::Dot
                    : format == "json" ? GraphFormat::Json
                                       : GraphFormat::Mermaid;
    std::cout << renderGraph(*c.sema, f);
    return 0;
}

constexpr const char* kUsage =
    "usage: flowc check FILE...\n"
    "       flowc fmt [--check | --stdout] FILE...\n"
    "       flowc graph [--format dot|mermaid|json] FILE\n"
    "       flowc gen-cpp FILE -o DIR\n"
    "       flowc build FILE -o EXE [--backend cpp|llvm]\n"
    "       flowc run FILE [--data DIR] [--input EVENTS.jsonl]...\n"
    "       flowc test FILE... [--filter TEXT] [--backend llvm|cpp|both]\n"
    "       flowc dump FILE --data DIR [--events | TABLE...]\n"
    "       flowc trace FILE --data DIR ID\n"
    "       flowc compat OLD.flow NEW.flow\n"
    "       flowc [--emit=tokens|ast|sema|ir|cpp|llvm] FILE...\n"
    "run 'flowc --help' for every option\n";

/// A command-line mistake: the message, the usage, and exit status 2 (as for every
/// usage error, so scripts can tell it from a compile error, which exits 1).
int usageError(const std::string& message) {
    std::cerr << "flowc: error: " << message << "\n" << kUsage;
    return 2;
}

int listDiagnostics() {
    for (DiagCode code : allDiagCodes()) {
        const DiagInfo& info = diagInfo(code);
        std::cout << info.code << " " << severityName(info.severity) << " " << info.id << "\n";
    }
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    Options opts;
    CLI::App app{"flowc: the Flow compiler", "flowc"};
    app.fallthrough();
    app.set_version_flag("--version", "flowc 0.1.0");
    app.add_option("--diagnostics", opts.diagnostics, "Diagnostic format")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--color", opts.color, "Colour diagnostics")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_option("--error-limit", opts.errorLimit,
                   "Stop printing after N diagnostics (0: no limit)");
    app.add_option("--max-file-size", opts.parse.limits.maxFileBytes,
                   "Largest source file accepted, in bytes");
    app.add_option("--max-nesting", opts.parse.limits.maxNesting,
                   "Deepest bracket nesting accepted");
    app.add_option("--emit", opts.emit,
                   "Dump a stage instead of checking: tokens, ast, sema, ir, cpp or llvm");
    app.add_option("--llvm-opt", opts.llvm.optLevel,
                   "LLVM backend: 2 runs the O2 pipeline (the default), 0 none (for debugging)")
        ->check(CLI::IsMember({0, 2}));
    app.add_flag("--verify-diagnostics", opts.verifyDiagnostics,
                 "Compare diagnostics with // expected-error {{...}} comments (for tests)");
    bool list = false;
    app.add_flag("--list-diagnostics", list, "List every diagnostic code");
    std::vector<std::string> files;
    app.add_option("files", files, "Flow source files");

    auto* check =
        app.add_subcommand("check", "Check files and report diagnostics; exit 1 on any error");
    std::vector<std::string> checkFiles;
    check->add_option("files", checkFiles, "Flow source files")->required();

    auto* fmt = app.add_subcommand("fmt", "Format files in place in the canonical layout");
    std::vector<std::string> fmtFiles;
    bool fmtCheck = false, fmtStdout = false;
    fmt->add_flag("--check", fmtCheck, "Do not write; exit 1 if a file is not formatted");
    fmt->add_flag("--stdout", fmtStdout, "Print the formatted text instead of writing it");
    fmt->add_option("files", fmtFiles, "Flow source files")->required();

    auto* graph =
        app.add_subcommand("graph", "Print services, events, subscriptions and derived state");
    std::string graphFile, graphFormat = "mermaid";
    graph->add_option("file", graphFile, "Flow source file")->required();
    graph->add_option("--format", graphFormat, "dot, mermaid or json")
        ->check(CLI::IsMember({"dot", "mermaid", "json"}));

    auto* genCpp = app.add_subcommand("gen-cpp", "Write the program as C++ into DIR (program.h, "
                                                 "kernels.h, kernels.cpp, plan.cpp, main.cpp)");
    std::string genFile, genDir;
    genCpp->add_option("file", genFile, "Flow source file (the program's root)")->required();
    genCpp->add_option("-o,--output", genDir, "Directory for the generated files")->required();

    auto* compat = app.add_subcommand(
        "compat", "Check that NEW can read every event OLD stored (schema compatibility)");
    std::string compatOld, compatNew;
    compat->add_option("old", compatOld, "The deployed program")->required();
    compat->add_option("new", compatNew, "The program to deploy")->required();

    auto* build = app.add_subcommand("build", "Compile the program into one executable");
    std::string buildFile, buildOutput, backend = "cpp";
    build->add_option("file", buildFile, "Flow source file (the program's root)")->required();
    build->add_option("-o,--output", buildOutput, "The executable to write")->required();
    build->add_option("--backend", backend, "cpp (generated C++, the default) or llvm")
        ->check(CLI::IsMember({"cpp", "llvm"}));

    // run, dump and trace run the program with the same options as its executable
    // (runtime/src/engine/host.cpp): flowc checks them here and passes them on.
    std::vector<std::string> forwarded;
    auto forward = [&forwarded](const std::string& flag) {
        return [&forwarded, flag](const std::string& value) {
            forwarded.push_back(flag);
            forwarded.push_back(value);
        };
    };
    auto dataOptions = [&](CLI::App* sub, bool required) {
        auto* data = sub->add_option_function<std::string>("--data", forward("--data"),
                                                           "Data directory (logs and state)");
        if (required) {
            data->required();
        }
        sub->add_option_function<std::string>("--fsync", forward("--fsync"),
                                              "always, batch or never")
            ->check(CLI::IsMember({"always", "batch", "never"}));
        sub->add_option_function<std::string>("--store", forward("--store"), "memory or rocksdb")
            ->check(CLI::IsMember({"memory", "rocksdb"}));
        sub->add_flag_callback(
            "--salvage", [&forwarded] { forwarded.emplace_back("--salvage"); },
            "Skip and report corrupt log records instead of stopping");
    };
    std::string programFile, runBackend = "llvm";
    auto backendOption = [&runBackend](CLI::App* sub) {
        sub->add_option("--backend", runBackend,
                        "llvm (JIT-compiled in flowc, the default) or cpp (the C++ executable)")
            ->check(CLI::IsMember({"cpp", "llvm"}));
    };
    auto* runCmd = app.add_subcommand(
        "run", "Build the program and process input events until idle (no --data: print tables)");
    runCmd->add_option("file", programFile, "Flow source file (the program's root)")->required();
    dataOptions(runCmd, false);
    backendOption(runCmd);
    runCmd->add_option_function<std::vector<std::string>>(
        "--input",
        [&forwarded](const std::vector<std::string>& inputs) {
            for (const std::string& in : inputs) {
                forwarded.emplace_back("--input");
                forwarded.push_back(in);
            }
        },
        "Events as JSON lines (one file per --input)");
    runCmd
        ->add_option_function<std::string>("--on-bad-input", forward("--on-bad-input"),
                                           "skip or fail")
        ->check(CLI::IsMember({"skip", "fail"}));
    runCmd->add_option_function<std::string>("--on-error", forward("--on-error"), "skip or stop")
        ->check(CLI::IsMember({"skip", "stop"}));

    auto* dumpCmd = app.add_subcommand("dump", "Print tables as JSON lines, sorted by key");
    dumpCmd->add_option("file", programFile, "Flow source file (the program's root)")->required();
    dataOptions(dumpCmd, true);
    backendOption(dumpCmd);
    std::vector<std::string> dumpTables;
    dumpCmd->add_option("tables", dumpTables, "Tables to print (all if none)");
    dumpCmd->add_flag_callback(
        "--events", [&forwarded] { forwarded.emplace_back("--events"); },
        "Print every stored event (JSON lines) instead of tables");

    auto* traceCmd =
        app.add_subcommand("trace", "Print the causal narrative of one event or request");
    traceCmd->add_option("file", programFile, "Flow source file (the program's root)")->required();
    dataOptions(traceCmd, true);
    backendOption(traceCmd);
    std::string traceId;
    traceCmd->add_option("id", traceId, "Event or request id (32 hex digits)")->required();

    auto* testCmd = app.add_subcommand(
        "test", "Run the files' test blocks; prints 'N passed, M failed', exit 1 on a failure");
    std::vector<std::string> testFiles;
    std::string testFilter, testBackend = "llvm";
    testCmd->add_option("files", testFiles, "Flow source files")->required();
    testCmd->add_option("--filter", testFilter, "Only tests whose name contains this");
    testCmd
        ->add_option("--backend", testBackend,
                     "llvm (the default), cpp, or both (a difference in output is a failure)")
        ->check(CLI::IsMember({"cpp", "llvm", "both"}));

    app.require_subcommand(0, 1);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return app.exit(e);  // --help, --version
        }
        std::string message = e.what();  // CLI11 capitalises some messages; ours start lower-case
        if (!message.empty()) {
            message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
        }
        return usageError(message);
    }
    if (list) {
        return listDiagnostics();
    }
    if (*check) {
        if (!opts.emit.empty()) {
            return cmdEmit(checkFiles, opts);
        }
        return cmdCheck(checkFiles, opts);
    }
    if (*fmt) {
        return cmdFmt(fmtFiles, fmtCheck, fmtStdout, opts);
    }
    if (*graph) {
        return cmdGraph(graphFile, graphFormat, opts);
    }
    if (*compat) {
        return cmdCompat(compatOld, compatNew, opts);
    }
    if (*genCpp) {
        return cmdGenCpp(genFile, genDir, opts);
    }
    if (*build) {
        return cmdBuild(buildFile, buildOutput, backend, opts);
    }
    if (*runCmd) {
        return runProgram(programFile, runBackend, "run", forwarded, opts);
    }
    if (*dumpCmd) {
        forwarded.insert(forwarded.end(), dumpTables.begin(), dumpTables.end());
        return runProgram(programFile, runBackend, "dump", forwarded, opts);
    }
    if (*traceCmd) {
        forwarded.push_back(traceId);
        return runProgram(programFile, runBackend, "trace", forwarded, opts);
    }
    if (*testCmd) {
        return cmdTest(testFiles, testFilter, testBackend, opts);
    }
    if (files.empty()) {
        std::cerr << app.help();
        return 2;
    }
    // `flowc FILE...` checks (or dumps) files; a first word that is neither a file nor
    // looks like one is a mistyped subcommand, not a missing file.
    std::error_code ec;
    if (files[0].find_first_of("./") == std::string::npos && !fs::exists(files[0], ec)) {
        return usageError("unknown subcommand '" + files[0] + "'");
    }
    if (!opts.emit.empty()) {
        return cmdEmit(files, opts);
    }
    return cmdCheck(files, opts);
}

}  // namespace flow::driver
