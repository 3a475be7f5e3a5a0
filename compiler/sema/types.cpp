// sema/types.cpp - the types of Flow expressions and the row types of events and tables.
#include "sema/types.h"

#include "sema/symbols.h"

namespace flow::sema {

std::string Type::spelling() const {
    std::string s;
    switch (kind_) {
    case TypeKind::Error:
        return "<error>";
    case TypeKind::Bool:
        s = "bool";
        break;
    case TypeKind::Int:
        s = "int";
        break;
    case TypeKind::Float:
        s = "float";
        break;
    case TypeKind::String:
        s = "string";
        break;
    case TypeKind::Timestamp:
        s = "timestamp";
        break;
    case TypeKind::Duration:
        s = "duration";
        break;
    case TypeKind::Enum:
        s = enum_ ? enum_->qualifiedName() : "enum";
        break;
    case TypeKind::Row:
        s = "row " + (row_ ? row_->name : std::string("?"));
        break;
    case TypeKind::None:
        return "none";
    case TypeKind::List:
        return "list of row " + (row_ ? row_->name : std::string("?"));
    case TypeKind::Var:
        s = std::string(1, var_);
        break;
    }
    if (optional_) {
        s += '?';
    }
    return s;
}

std::string Type::str() const {
    if (kind_ == TypeKind::Row && row_ != nullptr) {
        return std::string("row '") + row_->name + (optional_ ? "'?" : "'");
    }
    if (kind_ == TypeKind::List && row_ != nullptr) {
        return "a list of row '" + row_->name + "'";
    }
    if (kind_ == TypeKind::None) {
        return "'none'";
    }
    return "'" + spelling() + "'";
}

bool assignable(const Type& value, const Type& target) {
    if (value.isError() || target.isError()) {
        return true;
    }
    if (value.kind() == TypeKind::None) {
        return target.isOptional();
    }
    if (value == target) {
        return true;
    }
    return target.isOptional() && !value.isOptional() && value == target.nonOptional();
}

const Column* RowType::find(const std::string& field) const {
    for (const Column& c : columns) {
        if (c.name == field) {
            return &c;
        }
    }
    return nullptr;
}

int RowType::indexOf(const std::string& field) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == field) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::vector<const Column*> RowType::keys() const {
    std::vector<const Column*> out;
    for (const Column& c : columns) {
        if (c.isKey) {
            out.push_back(&c);
        }
    }
    return out;
}

const std::vector<EnvelopeField>& envelopeFields() {
    static const std::vector<EnvelopeField> fields = {
        {"id", TypeKind::String},
        {"time", TypeKind::Timestamp},
        {"seq", TypeKind::Int},
        {"causation", TypeKind::String},
        {"correlation", TypeKind::String},
        {"version", TypeKind::Int},
    };
    return fields;
}

}  // namespace flow::sema
