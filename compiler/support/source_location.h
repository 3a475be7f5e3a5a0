// support/source_location.h - positions and spans in source files.
#pragma once

#include <cstdint>

namespace flow {

/// Index of a file in the SourceManager; 0 is "no file".
using FileId = std::uint32_t;

/// A byte offset in one file. Line and column are computed on demand by the
/// SourceManager, so locations stay small (8 bytes) in every AST node.
struct SourceLocation {
    FileId file = 0;
    std::uint32_t offset = 0;

    bool valid() const { return file != 0; }
    friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// A half-open byte range [begin, end) in one file.
struct SourceRange {
    SourceLocation begin;
    std::uint32_t end = 0;

    bool valid() const { return begin.valid(); }
    SourceLocation endLocation() const { return {begin.file, end}; }
    friend bool operator==(const SourceRange&, const SourceRange&) = default;
};

/// The range covering both `a` and `b` (which must be in the same file).
inline SourceRange spanning(SourceRange a, SourceRange b) {
    if (!a.valid()) {
        return b;
    }
    if (!b.valid() || a.begin.file != b.begin.file) {
        return a;
    }
    SourceRange r;
    r.begin = a.begin.offset <= b.begin.offset ? a.begin : b.begin;
    r.end = a.end >= b.end ? a.end : b.end;
    return r;
}

/// 1-based line and column (column in bytes, as clang and GCC print it).
struct LineColumn {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

}  // namespace flow
