// ast/visitor.h - walks every expression of a declaration, in source order.
#pragma once

#include "ast/decl.h"

#include <functional>

namespace flow::ast {

/// Calls `fn(expr, depth)` on every expression reachable from `d`, parents before
/// children, in source order. `depth` counts enclosing expressions.
void forEachExpr(const Decl& d, const std::function<void(const Expr&, int)>& fn);
void forEachExpr(const Expr& e, const std::function<void(const Expr&, int)>& fn, int depth = 0);
void forEachExpr(const Block& b, const std::function<void(const Expr&, int)>& fn);
void forEachExpr(const Query& q, const std::function<void(const Expr&, int)>& fn);

}  // namespace flow::ast
