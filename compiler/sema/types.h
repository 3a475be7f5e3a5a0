// sema/types.h - the types of Flow expressions and the row types of events and tables.
#pragma once

#include "support/source_location.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flow::ast {
struct Expr;
}

namespace flow::sema {

struct EnumInfo;
struct RowType;

enum class TypeKind : std::uint8_t {
    Error,  // after a reported error: compatible with everything, so errors do not cascade
    Bool,
    Int,
    Float,
    String,
    Timestamp,
    Duration,
    Enum,
    Row,
    None,  // the type of the `none` literal: fits any optional
    List,  // the result of a `from` query: rows of `row`
    Var,   // a type variable in a builtin signature (`T`)
};

/// A small value: kind, optional flag, and the enum or row it names.
class Type {
public:
    Type() = default;
    static Type error() { return Type(TypeKind::Error); }
    static Type boolean() { return Type(TypeKind::Bool); }
    static Type integer() { return Type(TypeKind::Int); }
    static Type floating() { return Type(TypeKind::Float); }
    static Type string() { return Type(TypeKind::String); }
    static Type timestamp() { return Type(TypeKind::Timestamp); }
    static Type duration() { return Type(TypeKind::Duration); }
    static Type none() { return Type(TypeKind::None); }
    static Type enumOf(const EnumInfo* e) {
        Type t(TypeKind::Enum);
        t.enum_ = e;
        return t;
    }
    static Type rowOf(const RowType* r) {
        Type t(TypeKind::Row);
        t.row_ = r;
        return t;
    }
    static Type listOf(const RowType* r) {
        Type t(TypeKind::List);
        t.row_ = r;
        return t;
    }
    static Type var(char name) {
        Type t(TypeKind::Var);
        t.var_ = name;
        return t;
    }

    TypeKind kind() const { return kind_; }
    bool isOptional() const { return optional_; }
    bool isError() const { return kind_ == TypeKind::Error; }
    bool isNumeric() const {
        return !optional_ && (kind_ == TypeKind::Int || kind_ == TypeKind::Float);
    }
    bool is(TypeKind k) const { return !optional_ && kind_ == k; }
    const EnumInfo* enumInfo() const { return enum_; }
    const RowType* row() const { return row_; }
    char varName() const { return var_; }

    Type optional() const {
        Type t = *this;
        if (kind_ != TypeKind::Error && kind_ != TypeKind::None && kind_ != TypeKind::List) {
            t.optional_ = true;
        }
        return t;
    }
    Type nonOptional() const {
        Type t = *this;
        t.optional_ = false;
        return t;
    }
    /// A scalar can be a key, a column, or compared with `<`.
    bool isScalar() const {
        return kind_ == TypeKind::Bool || kind_ == TypeKind::Int || kind_ == TypeKind::Float ||
               kind_ == TypeKind::String || kind_ == TypeKind::Timestamp ||
               kind_ == TypeKind::Duration || kind_ == TypeKind::Enum;
    }

    /// "'int'", "'string?'", "'Orders.OrderState'", "row 'Orders.OrderStatus'".
    std::string str() const;
    /// The bare spelling, without quotes: "int", "string?".
    std::string spelling() const;

    friend bool operator==(const Type& a, const Type& b) {
        return a.kind_ == b.kind_ && a.optional_ == b.optional_ && a.enum_ == b.enum_ &&
               a.row_ == b.row_ && a.var_ == b.var_;
    }

private:
    explicit Type(TypeKind k) : kind_(k) {}
    TypeKind kind_ = TypeKind::Error;
    bool optional_ = false;
    char var_ = 0;
    const EnumInfo* enum_ = nullptr;
    const RowType* row_ = nullptr;
};

/// `value` can be stored where `target` is expected: equal types, `T` into `T?`, and
/// `none` into any optional. No other implicit conversion (LANGUAGE.md §3).
bool assignable(const Type& value, const Type& target);

struct Column {
    std::string name;
    Type type;
    bool isKey = false;
    const ast::Expr* defaultValue = nullptr;
    SourceRange range;
};

/// The fields of an event version, a table row, a stream or a query result.
struct RowType {
    enum class Kind : std::uint8_t { Event, Table, Select };
    Kind kind = Kind::Select;
    std::string name;  // "Orders.OrderPlaced", "Orders.OrderStatus", "Orders.BigOrders"
    std::vector<Column> columns;

    const Column* find(const std::string& field) const;
    int indexOf(const std::string& field) const;
    std::vector<const Column*> keys() const;
};

/// Envelope fields every event carries besides its declared ones (LANGUAGE.md §4).
struct EnvelopeField {
    const char* name;
    TypeKind kind;
};
const std::vector<EnvelopeField>& envelopeFields();

}  // namespace flow::sema
