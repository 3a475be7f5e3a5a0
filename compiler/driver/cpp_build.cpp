// driver/cpp_build.cpp - `flowc build --backend cpp`: generated C++ to an executable,
// through a content-addressed cache.
//
// Cache layout: CACHE/cpp/<key>/{the generated files,program,build.log}. An
// entry is built in CACHE/cpp/<key>.tmp-<pid> and renamed into place when complete, so
// concurrent builds of one program never see half an entry. A hit touches its entry; a
// miss trims the least recently used entries to $FLOW_CACHE_MAX_SIZE (as ccache does:
// without a bound, every runtime rebuild left a full set of stale executables behind).
#include "driver/cpp_build.h"

#include "driver/build_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace flow::driver {

namespace {

namespace fs = std::filesystem;

constexpr const char* kExecutable = "program";
constexpr const char* kLog = "build.log";

/// Two FNV-1a hashes with different bases: 128 bits, plenty for a cache key.
class KeyHash {
public:
    void add(std::string_view s) {
        for (char c : s) {
            auto b = static_cast<unsigned char>(c);
            a_ = (a_ ^ b) * 0x100000001b3ULL;
            b_ = (b_ ^ b) * 0x100000001b3ULL;
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        a_ = (a_ ^ 0xffU) * 0x100000001b3ULL;
        b_ = (b_ ^ 0xfeU) * 0x100000001b3ULL;
    }
    std::string hex() const {
        char buf[33];
        std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(a_),
                      static_cast<unsigned long long>(b_));
        return buf;
    }

private:
    std::uint64_t a_ = 0xcbf29ce484222325ULL;
    std::uint64_t b_ = 0x84222325cbf29ce4ULL;
};

std::vector<std::string> splitWords(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) {
        out.push_back(w);
    }
    return out;
}

/// The compiler: $CXX (words split at blanks, so "ccache g++" works), else CMake's.
std::vector<std::string> compilerCommand() {
    const char* env = std::getenv("CXX");
    if (env != nullptr) {
        auto words = splitWords(env);
        if (!words.empty()) {
            return words;
        }
    }
    return {build_config::kCxx};
}

std::string quoteForShell(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-+=/.,:@%") == std::string::npos) {
        return s;
    }
    std::string out = "'";
    for (char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string commandLine(const std::vector<std::string>& argv) {
    std::string out;
    for (const std::string& a : argv) {
        out += (out.empty() ? "" : " ") + quoteForShell(a);
    }
    return out;
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool writeFile(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

/// Copies the cached executable to `output` through a temporary name and a rename, so
/// `output` is never half written.
int install(const fs::path& cached, const std::string& output) {
    fs::path out(output);
    fs::path tmp = out;
    tmp += ".flowc-tmp-" + std::to_string(getpid());
    std::error_code ec;
    fs::copy_file(cached, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) {
        fs::permissions(tmp,
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec,
                        ec);
    }
    if (!ec) {
        fs::rename(tmp, out, ec);
    }
    if (ec) {
        fs::remove(tmp);
        std::cerr << "flowc: error: cannot write '" << output << "': " << ec.message() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int runLogged(const std::vector<std::string>& argv, const std::string& log, std::string& error) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, STDIN_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        error = std::string("cannot run '") + argv[0] + "': " + std::strerror(rc);
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            error = std::string("waitpid: ") + std::strerror(errno);
            return -1;
        }
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    error = "'" + argv[0] + "' was killed by signal " + std::to_string(WTERMSIG(status));
    return -1;
}

std::string cacheDirectory() {
    if (const char* dir = std::getenv("FLOW_CACHE_DIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return (fs::path(xdg) / "flow").string();
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return (fs::path(home) / ".cache" / "flow").string();
    }
    return "";
}

int buildExecutable(const std::vector<cppgen::GeneratedFile>& files, const std::string& output) {
    std::string cached = cachedExecutable(files);
    return cached.empty() ? 1 : install(cached, output);
}

std::string cachedExecutable(const std::vector<cppgen::GeneratedFile>& files) {
    std::string cacheRoot = cacheDirectory();
    if (cacheRoot.empty()) {
        std::cerr << "flowc: error: no cache directory: set FLOW_CACHE_DIR or HOME\n";
        return "";
    }
    fs::path cppCache = fs::absolute(fs::path(cacheRoot) / "cpp");

    std::vector<std::string> command = compilerCommand();
    for (const char* f : build_config::kFlags) {
        command.emplace_back(f);
    }
    command.emplace_back(std::string("-I") + build_config::kRuntimeInclude);

    // The key: the sources, the command (less the paths of this entry), and the size and
    // time of each library, so a rebuilt runtime is a miss.
    KeyHash key;
    key.add("flowc-cpp-build-1");
    for (const std::string& w : command) {
        key.add(w);
    }
    for (const cppgen::GeneratedFile& f : files) {
        key.add(f.name);
        key.add(f.text);
    }
    for (const char* item : build_config::kLinkItems) {
        key.add(item);
        struct stat st {};
        if (item[0] == '/' && stat(item, &st) == 0) {
            key.add(std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
                    std::to_string(st.st_mtim.tv_nsec));
        }
    }
    fs::path entry = cppCache / key.hex();
    fs::path cached = entry / kExecutable;
    std::error_code ec;
    if (fs::is_regular_file(cached, ec)) {
        fs::last_write_time(entry, fs::file_time_type::clock::now(), ec);  // used: keep it
        return cached.string();
    }

    if (fs::exists(entry, ec)) {
        fs::remove_all(entry, ec);  // an entry without its executable: build it again
    }
    fs::path tmp = cppCache / (key.hex() + ".tmp-" + std::to_string(getpid()));
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);
    if (ec) {
        std::cerr << "flowc: error: cannot create '" << tmp.string() << "': " << ec.message()
                  << "\n";
        return "";
    }
    for (const cppgen::GeneratedFile& f : files) {
        if (!writeFile(tmp / f.name, f.text)) {
            std::cerr << "flowc: error: cannot write '" << (tmp / f.name).string() << "'\n";
            return "";
        }
    }
    for (const cppgen::GeneratedFile& f : files) {
        if (f.name.size() > 4 && f.name.substr(f.name.size() - 4) == ".cpp") {
            command.push_back((tmp / f.name).string());
        }
    }
    command.emplace_back("-o");
    command.push_back((tmp / kExecutable).string());
    for (const char* item : build_config::kLinkItems) {
        command.emplace_back(item);
    }
    std::string error;
    int status = runLogged(command, (tmp / kLog).string(), error);
    if (status != 0) {
        std::cerr << "flowc: internal compiler error: the generated C++ did not build\n"
                  << "  command: " << commandLine(command) << "\n";
        if (!error.empty()) {
            std::cerr << "  " << error << "\n";
        } else {
            std::cerr << "  exit status " << status << "; the compiler said:\n"
                      << readAll(tmp / kLog);
        }
        std::cerr << "  (the sources are kept in " << tmp.string() << ")\n";
        return "";
    }
    fs::rename(tmp, entry, ec);
    if (ec) {
        // Another flowc finished the same entry first: use it.
        fs::remove_all(tmp, ec);
    }
    trimCache(cppCache, cacheMaxBytes(), entry);
    return cached.string();
}

std::optional<std::uint64_t> parseByteSize(std::string_view text) {
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (n > (std::uint64_t{1} << 50)) {
            return std::nullopt;  // past any disk
        }
        n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::string_view unit = text.substr(i);
    int shift = 0;
    if (unit == "k" || unit == "K") {
        shift = 10;
    } else if (unit == "M") {
        shift = 20;
    } else if (unit == "G") {
        shift = 30;
    } else if (!unit.empty()) {
        return std::nullopt;
    }
    return n << shift;
}

std::uint64_t cacheMaxBytes() {
    constexpr std::uint64_t kDefault = std::uint64_t{4} << 30;
    const char* text = std::getenv("FLOW_CACHE_MAX_SIZE");
    if (text == nullptr || *text == '\0') {
        return kDefault;
    }
    if (std::optional<std::uint64_t> n = parseByteSize(text)) {
        return *n;
    }
    std::cerr << "flowc: warning: FLOW_CACHE_MAX_SIZE='" << text
              << "' is not a size (such as 500M or 4G); using 4G\n";
    return kDefault;
}

void trimCache(const fs::path& dir, std::uint64_t maxBytes, const fs::path& keep,
               std::chrono::seconds grace, std::chrono::seconds staleBuilds) {
    struct Entry {
        fs::path path;
        fs::file_time_type used;
        std::uint64_t bytes = 0;
    };
    const fs::file_time_type now = fs::file_time_type::clock::now();
    std::vector<Entry> entries;
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code fileEc;
        if (!it->is_directory(fileEc)) {
            continue;
        }
        Entry e{it->path(), fs::last_write_time(it->path(), fileEc), 0};
        if (fileEc) {
            continue;
        }
        if (e.path.filename().string().find(".tmp-") != std::string::npos) {
            if (now - e.used > staleBuilds) {
                fs::remove_all(e.path, fileEc);
            }
            continue;  // a build in progress, or a failed one kept for its report
        }
        for (fs::recursive_directory_iterator f(e.path, fileEc), fend; !fileEc && f != fend;
             f.increment(fileEc)) {
            std::error_code sizeEc;
            if (f->is_regular_file(sizeEc)) {
                std::uintmax_t size = f->file_size(sizeEc);
                e.bytes += sizeEc ? 0 : size;
            }
        }
        total += e.bytes;
        entries.push_back(std::move(e));
    }
    if (maxBytes == 0 || total <= maxBytes) {
        return;
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.used < b.used; });
    for (const Entry& e : entries) {
        if (total <= maxBytes) {
            break;
        }
        if (e.path == keep || now - e.used < grace) {
            continue;
        }
        std::error_code removeEc;
        fs::remove_all(e.path, removeEc);
        if (!removeEc) {
            total -= e.bytes;
        }
    }
}

}  // namespace flow::driver
