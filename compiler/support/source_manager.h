// support/source_manager.h - owns the text of every source file and maps offsets to lines.
#pragma once

#include "support/source_location.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flow {

/// One loaded file: its display path (as the user or the importing file named it,
/// never made absolute) and its bytes.
class SourceFile {
public:
    SourceFile(FileId id, std::string path, std::string text);

    FileId id() const { return id_; }
    const std::string& path() const { return path_; }
    std::string_view text() const { return text_; }

    LineColumn lineColumn(std::uint32_t offset) const;
    /// The text of 1-based line `line`, without its line terminator.
    std::string_view lineText(std::uint32_t line) const;
    std::uint32_t lineCount() const { return static_cast<std::uint32_t>(lineStarts_.size()); }

private:
    FileId id_;
    std::string path_;
    std::string text_;
    std::vector<std::uint32_t> lineStarts_;
};

class SourceManager {
public:
    SourceManager();
    SourceManager(const SourceManager&) = delete;
    SourceManager& operator=(const SourceManager&) = delete;

    /// Adds a file whose text is already in memory (tests, the embedded stdlib).
    FileId addFile(std::string path, std::string text);

    const SourceFile& file(FileId id) const { return *files_.at(id); }
    std::size_t fileCount() const { return files_.size() - 1; }

    LineColumn lineColumn(SourceLocation loc) const;
    std::string describe(SourceLocation loc) const;  // "path:line:col"

private:
    std::vector<std::unique_ptr<SourceFile>> files_;  // index 0 is unused
};

}  // namespace flow
