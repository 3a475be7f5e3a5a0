// ast/expr.h - expression nodes, with source ranges and a dense id for sema side tables.
#pragma once

#include "support/source_location.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flow::ast {

struct Ident {
    std::string name;
    SourceRange range;
};

/// `a`, `Svc.Event`, `Svc.Enum.Value`: a dotted name as written.
struct QualifiedName {
    std::vector<Ident> parts;
    SourceRange range;

    std::string str() const;
    const Ident& last() const { return parts.back(); }
};

/// A type as written: `int`, `Reason`, `Orders.OrderState`, `string?`.
struct TypeRef {
    QualifiedName name;
    bool optional = false;
    SourceRange range;
};

enum class ExprKind : std::uint8_t {
    Int,
    Float,
    String,
    Bool,
    None,
    Duration,
    Timestamp,
    Name,
    Window,
    Member,
    Index,
    Call,
    Unary,
    Binary,
    Exists,
    Matches,
};

enum class UnaryOp : std::uint8_t { Not, Neg };
enum class BinaryOp : std::uint8_t { Mul, Div, Mod, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, And, Or };

const char* spelling(UnaryOp op);
const char* spelling(BinaryOp op);
/// Binding strength: higher binds tighter (Mul 7 ... Or 1).
int precedence(BinaryOp op);

struct Expr {
    Expr(ExprKind k, SourceRange r, std::uint32_t i) : kind(k), range(r), id(i) {}
    virtual ~Expr() = default;
    Expr(const Expr&) = delete;
    Expr& operator=(const Expr&) = delete;

    const ExprKind kind;
    SourceRange range;
    /// Dense per-program index into sema's side tables. Assigned while parsing and
    /// renumbered once when files parsed in parallel are put in program order.
    std::uint32_t id;
};

using ExprPtr = std::unique_ptr<Expr>;

template <typename T>
T* dynCast(Expr* e) {
    return e && e->kind == T::kKind ? static_cast<T*>(e) : nullptr;
}
template <typename T>
const T* dynCast(const Expr* e) {
    return e && e->kind == T::kKind ? static_cast<const T*>(e) : nullptr;
}

struct IntLit : Expr {
    static constexpr ExprKind kKind = ExprKind::Int;
    IntLit(SourceRange r, std::uint32_t i, std::int64_t v) : Expr(kKind, r, i), value(v) {}
    std::int64_t value;
};

struct FloatLit : Expr {
    static constexpr ExprKind kKind = ExprKind::Float;
    FloatLit(SourceRange r, std::uint32_t i, double v, std::string t)
        : Expr(kKind, r, i), value(v), text(std::move(t)) {}
    double value;
    std::string text;  // as written, so `flowc fmt` keeps it
};

struct StringLit : Expr {
    static constexpr ExprKind kKind = ExprKind::String;
    StringLit(SourceRange r, std::uint32_t i, std::string v)
        : Expr(kKind, r, i), value(std::move(v)) {}
    std::string value;  // decoded UTF-8
};

struct BoolLit : Expr {
    static constexpr ExprKind kKind = ExprKind::Bool;
    BoolLit(SourceRange r, std::uint32_t i, bool v) : Expr(kKind, r, i), value(v) {}
    bool value;
};

struct NoneLit : Expr {
    static constexpr ExprKind kKind = ExprKind::None;
    NoneLit(SourceRange r, std::uint32_t i) : Expr(kKind, r, i) {}
};

struct DurationLit : Expr {
    static constexpr ExprKind kKind = ExprKind::Duration;
    DurationLit(SourceRange r, std::uint32_t i, std::int64_t us, std::string t)
        : Expr(kKind, r, i), micros(us), text(std::move(t)) {}
    std::int64_t micros;
    std::string text;
};

struct TimestampLit : Expr {
    static constexpr ExprKind kKind = ExprKind::Timestamp;
    TimestampLit(SourceRange r, std::uint32_t i, std::int64_t us, std::string t)
        : Expr(kKind, r, i), micros(us), text(std::move(t)) {}
    std::int64_t micros;  // since the Unix epoch, UTC
    std::string text;     // with the leading '@'
};

/// A bare name: a variable, a field, a table, a service, an enum value, `count`.
struct NameExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Name;
    NameExpr(SourceRange r, std::uint32_t i, std::string n)
        : Expr(kKind, r, i), name(std::move(n)) {}
    std::string name;
};

/// The `window` keyword in `window.start` / `window.end`.
struct WindowExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Window;
    WindowExpr(SourceRange r, std::uint32_t i) : Expr(kKind, r, i) {}
};

struct MemberExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Member;
    MemberExpr(SourceRange r, std::uint32_t i, ExprPtr b, Ident m)
        : Expr(kKind, r, i), base(std::move(b)), member(std::move(m)) {}
    ExprPtr base;
    Ident member;
};

/// `T[k]` or `T[k1, k2]`.
struct IndexExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Index;
    IndexExpr(SourceRange r, std::uint32_t i, ExprPtr b, std::vector<ExprPtr> k)
        : Expr(kKind, r, i), base(std::move(b)), keys(std::move(k)) {}
    ExprPtr base;
    std::vector<ExprPtr> keys;
};

struct CallExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Call;
    CallExpr(SourceRange r, std::uint32_t i, ExprPtr c, std::vector<ExprPtr> a)
        : Expr(kKind, r, i), callee(std::move(c)), args(std::move(a)) {}
    ExprPtr callee;
    std::vector<ExprPtr> args;
};

struct UnaryExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Unary;
    UnaryExpr(SourceRange r, std::uint32_t i, UnaryOp o, ExprPtr e)
        : Expr(kKind, r, i), op(o), operand(std::move(e)) {}
    UnaryOp op;
    ExprPtr operand;
};

struct BinaryExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Binary;
    BinaryExpr(SourceRange r, std::uint32_t i, BinaryOp o, ExprPtr l, ExprPtr rh)
        : Expr(kKind, r, i), op(o), lhs(std::move(l)), rhs(std::move(rh)) {}
    BinaryOp op;
    SourceRange opRange;
    ExprPtr lhs;
    ExprPtr rhs;
};

struct ExistsExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Exists;
    ExistsExpr(SourceRange r, std::uint32_t i, ExprPtr e)
        : Expr(kKind, r, i), operand(std::move(e)) {}
    ExprPtr operand;
};

/// `name: value`, or just `name` (field punning: the value is the variable `name`).
struct FieldInit {
    Ident name;
    ExprPtr value;  // null when punned
    SourceRange range;
};

/// `{ a: 1, b }`: the fields of an emitted, given or matched record.
struct RecordLit {
    std::vector<FieldInit> fields;
    SourceRange range;
};

struct MatchesExpr : Expr {
    static constexpr ExprKind kKind = ExprKind::Matches;
    MatchesExpr(SourceRange r, std::uint32_t i, ExprPtr s, RecordLit rec)
        : Expr(kKind, r, i), subject(std::move(s)), record(std::move(rec)) {}
    ExprPtr subject;
    RecordLit record;
};

/// The dotted name an expression spells (`a.b.c`), if it is only names and members.
std::optional<QualifiedName> asQualifiedName(const Expr& e);

}  // namespace flow::ast
