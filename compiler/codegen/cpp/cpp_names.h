// codegen/cpp/cpp_names.h - the only ways user text reaches generated C++: mangle() for
// identifiers, stringLiteral() for strings (and commentPath() for the file header).
//
// Identifiers. mangle(s) is `f_` followed by s, where ASCII letters and digits other
// than `Z` stand for themselves, `_` stands for itself unless it would follow another
// `_` (C++ reserves `__`), `.` becomes `Z_`, and every other byte is `Z` and two
// lowercase hex digits (`Z5f` for a second `_`, `Z5a` for `Z`, `Zc3Za9` for `é`). The
// mapping is injective (`Z` is never literal and always starts an escape), and its
// results never collide with C++ keywords, `main`, `errno` or library macros, since
// none starts with `f_`. The generator's own names (`ctx`, `args`, `a0`, `t3`,
// `flow_kernels`, `kernels`, `events`, ...) never start with `f_` either. A name the
// compiler joins from several user names (kernel `k3_Stock_Inventory_defaults`) can be a
// user's name too (a module `k3_Stock_Inventory_defaults`), so such names are declared in
// a namespace of their own (flow_gen::kernels).
//
// Strings. stringLiteral(s) is a C++ narrow string literal with the bytes of s:
// printable ASCII as itself except `"`, `\`, `?` (no trigraph can form) and the `/` of
// `*/`; `\n`, `\t`, `\r`; every other byte (controls, NUL, UTF-8) as a three-digit
// octal escape, which no following character can extend. No `\x` escape is ever
// written.
#pragma once

#include <string>
#include <string_view>

namespace flow::cppgen {

std::string mangle(std::string_view name);

/// The inverse of mangle(), for tests and tools: false if `mangled` is not something
/// mangle() writes.
bool demangle(std::string_view mangled, std::string& name);

std::string stringLiteral(std::string_view bytes);

/// A path as it may appear in a `//` comment: characters outside `[A-Za-z0-9._/+-]`
/// become `_`, so no user text can end the comment, continue it onto the next line
/// (a trailing `\`) or form a trigraph.
std::string commentPath(std::string_view path);

}  // namespace flow::cppgen
