// ir/ir.cpp - ABI layouts and names of IR enums.
#include "ir/ir.h"

namespace flow::ir {

const char* scalarName(Scalar s) {
    switch (s) {
    case Scalar::Bool:
        return "bool";
    case Scalar::Int:
        return "int";
    case Scalar::Float:
        return "float";
    case Scalar::String:
        return "string";
    case Scalar::Timestamp:
        return "timestamp";
    case Scalar::Duration:
        return "duration";
    case Scalar::Enum:
        return "enum";
    }
    return "?";
}

const char* kernelKindName(KernelKind k) {
    switch (k) {
    case KernelKind::Defaults:
        return "defaults";
    case KernelKind::Handler:
        return "handler";
    case KernelKind::Key:
        return "key";
    case KernelKind::Reaction:
        return "reaction";
    case KernelKind::Command:
        return "command";
    case KernelKind::Predicate:
        return "predicate";
    case KernelKind::Project:
        return "project";
    case KernelKind::QueryExpr:
        return "query";
    case KernelKind::Upcast:
        return "upcast";
    case KernelKind::TestExpect:
        return "expect";
    }
    return "?";
}

const char* aggKindName(AggKind k) {
    switch (k) {
    case AggKind::Count:
        return "count";
    case AggKind::Sum:
        return "sum";
    case AggKind::Min:
        return "min";
    case AggKind::Max:
        return "max";
    case AggKind::Avg:
        return "avg";
    case AggKind::First:
        return "first";
    case AggKind::Last:
        return "last";
    }
    return "?";
}

namespace {

std::uint32_t scalarSize(Scalar s) {
    switch (s) {
    case Scalar::Bool:
        return 1;
    case Scalar::String:
        return 16;
    default:
        return 8;
    }
}

std::uint32_t roundUp(std::uint32_t n, std::uint32_t a) {
    return (n + a - 1) / a * a;
}

}  // namespace

std::uint32_t alignOf(const Type& t) {
    return t.is(Scalar::Bool) ? 1 : 8;
}

std::uint32_t sizeOf(const Type& t) {
    std::uint32_t v = scalarSize(t.scalar);
    if (!t.optional) {
        return v;
    }
    // A presence byte, then the value at its alignment.
    return roundUp(1, alignOf(t)) + v;
}

void computeLayout(Layout& l) {
    std::uint32_t offset = 0;
    for (Field& f : l.fields) {
        offset = roundUp(offset, alignOf(f.type));
        f.offset = offset;
        offset += sizeOf(f.type);
    }
    l.size = roundUp(offset == 0 ? 8 : offset, 8);
}

int Layout::find(const std::string& field) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == field) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

namespace {

/// Calls fn on every expression of `body` (operands before the expression that uses
/// them) and returns false at the first statement `stmt` refuses.
template <typename StmtFn, typename ExprFn>
bool allOf(const std::vector<StmtPtr>& body, StmtFn&& stmt, ExprFn&& expr) {
    auto visit = [&](const Expr& e, auto& self) -> bool {
        for (const ExprPtr& a : e.args) {
            if (a && !self(*a, self)) {
                return false;
            }
        }
        return expr(e);
    };
    for (const StmtPtr& s : body) {
        if (!stmt(*s)) {
            return false;
        }
        for (const Expr* e : {s->value.get(), s->cond.get()}) {
            if (e != nullptr && !visit(*e, visit)) {
                return false;
            }
        }
        for (const ExprPtr& v : s->values) {
            if (v && !visit(*v, visit)) {
                return false;
            }
        }
        if (!allOf(s->then, stmt, expr) || !allOf(s->otherwise, stmt, expr)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool isPure(const Kernel& k) {
    auto stmt = [](const Stmt& s) {
        return s.op == StmtOp::Set || s.op == StmtOp::Return || s.op == StmtOp::If;
    };
    auto expr = [](const Expr& e) {
        switch (e.op) {
        case Op::Neg:
        case Op::Add:
        case Op::Sub:
        case Op::Mul:
        case Op::Div:
        case Op::Mod:
            // Float arithmetic gives infinities and NaNs, never an error.
            return e.type.is(Scalar::Float) && !e.type.optional;
        case Op::Call:
        case Op::Query:
        case Op::Lookup:
            return false;
        default:
            return true;
        }
    };
    return allOf(k.body, stmt, expr);
}

bool readsEventIds(const Kernel& k) {
    auto stmt = [](const Stmt&) {
        return true;
    };
    auto expr = [](const Expr& e) {
        auto f = static_cast<EnvField>(e.field);
        return e.op != Op::Env ||
               (f != EnvField::Id && f != EnvField::Causation && f != EnvField::Correlation);
    };
    return !allOf(k.body, stmt, expr);
}

std::vector<FieldCopy> fieldCopies(const Program& p, const Kernel& k) {
    if ((k.kind != KernelKind::Key && k.kind != KernelKind::Project) || k.body.empty()) {
        return {};
    }
    auto layoutOfArg = [&](std::int32_t arg) -> const Layout* {
        if (arg < 0 || static_cast<std::size_t>(arg) >= k.args.size()) {
            return nullptr;
        }
        const KernelArg& a = k.args[static_cast<std::size_t>(arg)];
        if (a.envelope || a.layout < 0 || static_cast<std::size_t>(a.layout) >= p.layouts.size()) {
            return nullptr;
        }
        return &p.layouts[static_cast<std::size_t>(a.layout)];
    };
    std::vector<FieldCopy> copies;
    std::int32_t outArg = -1;
    for (const StmtPtr& s : k.body) {
        if (s->op != StmtOp::Set || !s->value || s->value->op != Op::Arg) {
            return {};
        }
        const Expr& v = *s->value;
        const Layout* outLayout = layoutOfArg(s->arg);
        const Layout* inLayout = layoutOfArg(v.arg);
        if (outLayout == nullptr || inLayout == nullptr ||
            !k.args[static_cast<std::size_t>(s->arg)].writable || v.arg == s->arg ||
            k.args[static_cast<std::size_t>(v.arg)].writable ||
            k.args[static_cast<std::size_t>(v.arg)].optional || (outArg >= 0 && s->arg != outArg) ||
            s->field < 0 || static_cast<std::size_t>(s->field) >= outLayout->fields.size() ||
            v.field < 0 || static_cast<std::size_t>(v.field) >= inLayout->fields.size()) {
            return {};
        }
        const Type& to = outLayout->fields[static_cast<std::size_t>(s->field)].type;
        const Type& from = inLayout->fields[static_cast<std::size_t>(v.field)].type;
        if (!(to == from) || !(v.type == to) || to.isRow()) {
            return {};
        }
        for (const FieldCopy& c : copies) {
            if (c.out == s->field) {
                return {};  // set twice: the last one wins, which a copy need not know
            }
        }
        outArg = s->arg;
        copies.push_back(FieldCopy{s->field, v.arg, v.field});
    }
    return copies;
}

}  // namespace flow::ir
