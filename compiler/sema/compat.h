// sema/compat.h - `flowc compat OLD NEW`: can a new program take over an old one's logs?
#pragma once

#include "sema/symbols.h"
#include "support/diagnostic_engine.h"

namespace flow::sema {

/// Checks that `neu` can read every event `old` may have stored: each event of `old`
/// is still declared, each of its versions with the same fields in the same order
/// (name, type, key), and each enum those versions use keeps its values in order
/// (stored as indices; new values may only be appended). Newer versions in `neu` are
/// held to E0601/E0602 by its own analysis. Reports E0603 at `neu`'s declaration, or
/// at `old`'s when `neu` has none. Returns the number of event versions compared.
int checkCompat(const SemaResult& old, const SemaResult& neu, DiagnosticEngine& diags);

}  // namespace flow::sema
