// ast/ast.cpp - small helpers shared by every AST user.
#include "ast/decl.h"
#include "ast/expr.h"

namespace flow::ast {

std::string QualifiedName::str() const {
    std::string out;
    for (const Ident& p : parts) {
        if (!out.empty()) {
            out += '.';
        }
        out += p.name;
    }
    return out;
}

const char* spelling(UnaryOp op) {
    return op == UnaryOp::Not ? "!" : "-";
}

const char* spelling(BinaryOp op) {
    switch (op) {
    case BinaryOp::Mul:
        return "*";
    case BinaryOp::Div:
        return "/";
    case BinaryOp::Mod:
        return "%";
    case BinaryOp::Add:
        return "+";
    case BinaryOp::Sub:
        return "-";
    case BinaryOp::Lt:
        return "<";
    case BinaryOp::Le:
        return "<=";
    case BinaryOp::Gt:
        return ">";
    case BinaryOp::Ge:
        return ">=";
    case BinaryOp::Eq:
        return "==";
    case BinaryOp::Ne:
        return "!=";
    case BinaryOp::And:
        return "&&";
    case BinaryOp::Or:
        return "||";
    }
    return "?";
}

int precedence(BinaryOp op) {
    switch (op) {
    case BinaryOp::Mul:
    case BinaryOp::Div:
    case BinaryOp::Mod:
        return 6;
    case BinaryOp::Add:
    case BinaryOp::Sub:
        return 5;
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
        return 4;
    case BinaryOp::Eq:
    case BinaryOp::Ne:
        return 3;
    case BinaryOp::And:
        return 2;
    case BinaryOp::Or:
        return 1;
    }
    return 0;
}

const char* spelling(AssignOp op) {
    switch (op) {
    case AssignOp::Set:
        return "=";
    case AssignOp::Add:
        return "+=";
    case AssignOp::Sub:
        return "-=";
    }
    return "=";
}

std::optional<QualifiedName> asQualifiedName(const Expr& e) {
    if (const auto* n = dynCast<NameExpr>(&e)) {
        QualifiedName q;
        q.parts.push_back({n->name, n->range});
        q.range = n->range;
        return q;
    }
    if (const auto* m = dynCast<MemberExpr>(&e)) {
        auto q = asQualifiedName(*m->base);
        if (!q) {
            return std::nullopt;
        }
        q->parts.push_back(m->member);
        q->range = m->range;
        return q;
    }
    return std::nullopt;
}

}  // namespace flow::ast
