// support/source_manager.cpp - owns the text of every source file and maps offsets to lines.
#include "support/source_manager.h"

#include <algorithm>

namespace flow {

SourceFile::SourceFile(FileId id, std::string path, std::string text)
    : id_(id), path_(std::move(path)), text_(std::move(text)) {
    lineStarts_.push_back(0);
    for (std::uint32_t i = 0; i < text_.size(); ++i) {
        if (text_[i] == '\n') {
            lineStarts_.push_back(i + 1);
        }
    }
}

LineColumn SourceFile::lineColumn(std::uint32_t offset) const {
    offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
    auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
    auto line = static_cast<std::uint32_t>(it - lineStarts_.begin());
    return {line, offset - lineStarts_[line - 1] + 1};
}

std::string_view SourceFile::lineText(std::uint32_t line) const {
    if (line == 0 || line > lineStarts_.size()) {
        return {};
    }
    std::uint32_t begin = lineStarts_[line - 1];
    std::uint32_t end = line < lineStarts_.size() ? lineStarts_[line] - 1
                                                  : static_cast<std::uint32_t>(text_.size());
    std::string_view s(text_.data() + begin, end - begin);
    if (!s.empty() && s.back() == '\r') {
        s.remove_suffix(1);
    }
    return s;
}

SourceManager::SourceManager() {
    files_.emplace_back();
}

FileId SourceManager::addFile(std::string path, std::string text) {
    auto id = static_cast<FileId>(files_.size());
    files_.push_back(std::make_unique<SourceFile>(id, std::move(path), std::move(text)));
    return id;
}

LineColumn SourceManager::lineColumn(SourceLocation loc) const {
    if (!loc.valid()) {
        return {};
    }
    return file(loc.file).lineColumn(loc.offset);
}

std::string SourceManager::describe(SourceLocation loc) const {
    if (!loc.valid()) {
        return "<unknown>";
    }
    LineColumn lc = lineColumn(loc);
    return file(loc.file).path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
}

}  // namespace flow
