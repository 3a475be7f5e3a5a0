// codegen/cpp/expr_emitter.cpp - IR expressions as C++ expressions and the statements they
// need (see kernel_emitter.h).
#include "codegen/cpp/kernel_emitter.h"
#include "codegen/stdlib_signatures.h"
#include "support/internal_error.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace flow::cppgen {

namespace {

using ir::Op;
using Kind = Value::Kind;

Value intLiteral(std::int64_t v) {
    if (v == std::numeric_limits<std::int64_t>::min()) {
        return {"INT64_MIN", Kind::Name};
    }
    return {std::to_string(v), v < 0 ? Kind::Compound : Kind::Name};
}

Value floatLiteral(double v) {
    if (std::isnan(v)) {
        return {"__builtin_nan(\"\")", Kind::Atomic};
    }
    if (std::isinf(v)) {
        return v > 0 ? Value{"__builtin_inf()", Kind::Atomic}
                     : Value{"-__builtin_inf()", Kind::Compound};
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    FLOW_ASSERT(ec == std::errc(), "cannot print a double");
    std::string s(buf, end);
    if (s.find_first_of(".e") == std::string::npos) {
        s += ".0";  // "2" would be an int
    }
    return {s, std::signbit(v) ? Kind::Compound : Kind::Name};
}

/// `.field` of the row `row` points at (`&a0` reads `a0.field`).
std::string fieldOf(const Value& row, const std::string& field) {
    if (row.code.size() > 1 && row.code[0] == '&' &&
        row.code.find_first_of(".-()[] ") == std::string::npos) {
        return row.code.substr(1) + "." + field;
    }
    return paren(row) + "->" + field;
}

/// `.member` of a value (an optional's `has` or `value`).
std::string memberOf(const Value& v, const char* member) {
    return paren(v) + "." + member;
}

bool isIntLike(const ir::Type& t) {
    return !t.isRow() && (t.scalar == ir::Scalar::Int || t.scalar == ir::Scalar::Timestamp ||
                          t.scalar == ir::Scalar::Duration || t.scalar == ir::Scalar::Enum);
}

const char* envelopeField(std::int32_t f) {
    static const char* const kNames[] = {"id",        "time",        "seq",
                                         "causation", "correlation", "version"};
    return f >= 0 && f < 6 ? kNames[f] : nullptr;
}

/// Whether `e` reads a kernel argument (a defaults kernel's value must not).
bool readsArguments(const ir::Expr& e) {
    if (e.op == Op::Arg || e.op == Op::Env) {
        return true;
    }
    for (const auto& a : e.args) {
        if (readsArguments(*a)) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string paren(const Value& v) {
    return v.kind == Kind::Compound ? "(" + v.code + ")" : v.code;
}

std::string KernelEmitter::argName(std::int32_t arg) {
    FLOW_ASSERT(arg >= 0 && static_cast<std::size_t>(arg) < k_.args.size(),
                "kernel argument out of range");
    usesArg_[static_cast<std::size_t>(arg)] = true;
    return "a" + std::to_string(arg);
}

void KernelEmitter::fail(const char* code, std::int32_t site) {
    p_->emit({{"ctx", ctx()}, {"code", code}, {"site", site}}, R"cc(
        return flowrt_fail($ctx$, $code$, $site$);
    )cc");
}

Value KernelEmitter::lazy(const ir::Expr& e, std::string& prelude) {
    CodePrinter capture;
    CodePrinter* saved = p_;
    p_ = &capture;
    Value v = expr(e);
    p_ = saved;
    prelude = capture.take();
    if (!prelude.empty() && prelude.back() == '\n') {
        prelude.pop_back();
    }
    return v;
}

Value KernelEmitter::name(const Value& v, const ir::Type& type) {
    if (v.kind == Kind::Name) {
        return v;
    }
    std::string t = temp();
    std::string decl = type.isRow() ? valueType(cx_, type) : "const " + valueType(cx_, type);
    p_->emit({{"type", decl}, {"t", t}, {"value", v.code}}, R"cc(
        $type$ $t$ = $value$;
    )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::zero(const ir::Type& t) {
    if (t.isRow()) {
        return {"nullptr", Kind::Name};
    }
    if (t.optional) {
        return {valueType(cx_, t) + "{}", Kind::Name};
    }
    switch (t.scalar) {
    case ir::Scalar::Bool:
        return {"false", Kind::Name};
    case ir::Scalar::Float:
        return {"0.0", Kind::Name};
    case ir::Scalar::String:
        return {"FlowStr{\"\", 0}", Kind::Name};
    default:
        return {"0", Kind::Name};
    }
}

Value KernelEmitter::convert(const Value& v, const ir::Type& from, const ir::Type& to) {
    if (!to.isRow() && !from.isRow() && to.optional && !from.optional) {
        return {valueType(cx_, to) + "{true, " + v.code + "}", Kind::Atomic};
    }
    return v;
}

std::string KernelEmitter::localRow(std::int32_t layout, const std::vector<Value>& values) {
    const ir::Layout& l = cx_.layout(layout);
    if (values.size() != l.fields.size()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": " + std::to_string(values.size()) +
                  " values for a row of layout #" + std::to_string(layout) + ", which has " +
                  std::to_string(l.fields.size()) + " fields");
    }
    std::string row = temp();
    p_->emit({{"type", cx_.structName(layout)}, {"row", row}}, R"cc(
        $type$ $row${};
    )cc");
    for (std::size_t i = 0; i < values.size() && i < l.fields.size(); ++i) {
        p_->emit({{"row", row},
                  {"field", cx_.fieldName(layout, static_cast<std::int32_t>(i))},
                  {"value", values[i].code}},
                 R"cc(
                     $row$.$field$ = $value$;
                 )cc");
    }
    return row;
}

Value KernelEmitter::fieldDefault(std::int32_t layout, std::int32_t field) {
    const ir::Type& type = cx_.layout(layout).fields[static_cast<std::size_t>(field)].type;
    std::int32_t k = cx_.defaultsOf[static_cast<std::size_t>(layout)];
    if (k >= 0) {
        for (const auto& s : cx_.program.kernels[static_cast<std::size_t>(k)].body) {
            if (s->op == ir::StmtOp::Set && s->field == field && s->value) {
                if (readsArguments(*s->value)) {
                    cx_.error("kernel #" + std::to_string(k) + ": a default reads an argument");
                    break;
                }
                return convert(expr(*s->value), s->value->type, type);
            }
        }
    }
    return zero(type);
}

// ---- One function per kind of expression ------------------------------------------------

Value KernelEmitter::expr(const ir::Expr& e) {
    switch (e.op) {
    case Op::Const:
        return constant(e);
    case Op::None:
        return zero(e.type);
    case Op::Arg:
        return arg(e);
    case Op::Env: {
        const char* f = envelopeField(e.field);
        if (f == nullptr) {
            cx_.error("kernel #" + std::to_string(k_.id) + ": envelope field out of range");
            return zero(e.type);
        }
        return {argName(e.arg) + "." + f, Kind::Name};
    }
    case Op::Lookup:
        return lookup(e);
    case Op::Query:
        return query(e);
    case Op::RowField:
        return rowField(e);
    case Op::RowPresent: {
        Value row = expr(*e.args[0]);
        if (!e.args[0]->type.optional) {
            return {"true", Kind::Name};  // an argument's row is always there
        }
        return {paren(row) + " != nullptr", Kind::Compound};
    }
    case Op::RowEq: {
        Value a = expr(*e.args[0]);
        Value b = expr(*e.args[1]);
        std::int32_t layout =
            e.args[0]->type.layout >= 0 ? e.args[0]->type.layout : e.args[1]->type.layout;
        return {"rowEq(" + ctx() + ", " + std::to_string(layout) + ", " + a.code + ", " + b.code +
                    ")",
                Kind::Atomic};
    }
    case Op::IsNone: {
        Value v = expr(*e.args[0]);
        if (!e.args[0]->type.optional) {
            return {"false", Kind::Name};
        }
        return {"!" + memberOf(v, "has"), Kind::Compound};
    }
    case Op::Wrap:
        return convert(expr(*e.args[0]), e.args[0]->type, e.type);
    case Op::Unwrap: {
        Value v = expr(*e.args[0]);
        if (!e.args[0]->type.optional || e.type.isRow()) {
            return v;
        }
        return {memberOf(v, "value"), v.kind == Kind::Name ? Kind::Name : Kind::Atomic};
    }
    case Op::Not:
        return {"!" + paren(expr(*e.args[0])), Kind::Compound};
    case Op::Neg:
        return negate(e);
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
        return arithmetic(e);
    case Op::Div:
    case Op::Mod:
        return divide(e);
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
        return compare(e);
    case Op::And:
    case Op::Or:
        return logical(e);
    case Op::ToFloat:
        return {"static_cast<double>(" + expr(*e.args[0]).code + ")", Kind::Atomic};
    case Op::Coalesce:
        return coalesce(e);
    case Op::Matches:
        return matches(e);
    case Op::Call:
        return call(e);
    }
    FLOW_UNREACHABLE("unknown IR op");
}

Value KernelEmitter::constant(const ir::Expr& e) {
    const ir::Type& t = e.type;
    Value v;
    switch (t.scalar) {
    case ir::Scalar::Bool:
        v = {e.constant.b ? "true" : "false", Kind::Name};
        break;
    case ir::Scalar::Float:
        v = floatLiteral(e.constant.f);
        break;
    case ir::Scalar::String:
        v = {"FlowStr{" + stringLiteral(e.constant.s) + ", " + std::to_string(e.constant.s.size()) +
                 "}",
             Kind::Name};
        break;
    default:
        v = intLiteral(e.constant.i);
        break;
    }
    ir::Type plain = t;
    plain.optional = false;
    return convert(v, plain, t);
}

Value KernelEmitter::arg(const ir::Expr& e) {
    const ir::KernelArg& a = k_.args[static_cast<std::size_t>(e.arg)];
    std::string n = argName(e.arg);
    if (a.envelope) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": an envelope read as a row");
        return zero(e.type);
    }
    if (e.field < 0) {
        return {a.optional ? n : "&" + n, Kind::Name};  // the whole row, as a pointer
    }
    std::string f = cx_.fieldName(a.layout, e.field);
    return {n + (a.optional ? "->" : ".") + f, Kind::Name};
}

Value KernelEmitter::lookup(const ir::Expr& e) {
    if (e.table < 0 || static_cast<std::size_t>(e.table) >= cx_.program.tables.size()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": lookup of a table out of range");
        return zero(e.type);
    }
    const ir::Table& t = cx_.program.tables[static_cast<std::size_t>(e.table)];
    std::vector<Value> keys;
    for (const auto& a : e.args) {
        keys.push_back(expr(*a));
    }
    std::string key = localRow(t.keyLayout, keys);
    std::string row = temp();
    p_->emit({{"row", row},
              {"type", cx_.structName(t.rowLayout)},
              {"ctx", ctx()},
              {"table", e.table},
              {"key", key}},
             R"cc(
                 const auto* $row$ = static_cast<const $type$*>(flowrt_lookup($ctx$, $table$, &$key$));
             )cc");
    return {row, Kind::Name};
}

Value KernelEmitter::query(const ir::Expr& e) {
    if (e.query < 0 || static_cast<std::size_t>(e.query) >= cx_.program.queries.size()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": call of a query out of range");
        return zero(e.type);
    }
    const ir::Query& q = cx_.program.queries[static_cast<std::size_t>(e.query)];
    std::int32_t outLayout = e.type.isRow() ? e.type.layout : q.result;
    if (outLayout < 0) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": query #" + std::to_string(e.query) +
                  " has no result layout");
        return zero(e.type);
    }
    std::vector<Value> params;
    for (const auto& a : e.args) {
        params.push_back(expr(*a));
    }
    std::string in = localRow(q.params, params);
    std::string out = temp();
    std::string status = temp();
    p_->emit({{"type", cx_.structName(outLayout)},
              {"out", out},
              {"status", status},
              {"ctx", ctx()},
              {"query", e.query},
              {"in", in}},
             R"cc(
                 $type$ $out${};
                 const int32_t $status$ = flowrt_query($ctx$, $query$, &$in$, &$out$);
                 if ($status$ != FLOW_OK && $status$ != FLOW_FALSE) {
                     return $status$;
                 }
             )cc");
    if (!e.type.isRow()) {
        return {out + "." + cx_.fieldName(outLayout, 0), Kind::Name};
    }
    std::string row = temp();
    p_->emit({{"type", cx_.structName(outLayout)}, {"row", row}, {"status", status}, {"out", out}},
             R"cc(
                 const $type$* $row$ = $status$ == FLOW_OK ? &$out$ : nullptr;
             )cc");
    return {row, Kind::Name};
}

Value KernelEmitter::rowField(const ir::Expr& e) {
    const ir::Expr& rowExpr = *e.args[0];
    std::int32_t layout = rowExpr.type.layout;
    const ir::Layout& l = cx_.layout(layout);
    if (e.field < 0 || static_cast<std::size_t>(e.field) >= l.fields.size()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": field of a row out of range");
        return zero(e.type);
    }
    const ir::Type& fieldType = l.fields[static_cast<std::size_t>(e.field)].type;
    Value row = name(expr(rowExpr), rowExpr.type);
    Value present =
        convert({fieldOf(row, cx_.fieldName(layout, e.field)), Kind::Name}, fieldType, e.type);
    if (!rowExpr.type.optional) {
        return present;
    }
    std::string prelude;
    CodePrinter capture;
    CodePrinter* saved = p_;
    p_ = &capture;
    Value absent =
        e.orDefault ? convert(fieldDefault(layout, e.field), fieldType, e.type) : zero(e.type);
    p_ = saved;
    prelude = capture.take();
    if (prelude.empty()) {
        return {row.code + " != nullptr ? " + paren(present) + " : " + paren(absent),
                Kind::Compound};
    }
    prelude.pop_back();
    std::string t = temp();
    p_->emit({{"type", valueType(cx_, e.type)},
              {"t", t},
              {"row", row.code},
              {"present", present.code},
              {"prelude", prelude},
              {"absent", absent.code}},
             R"cc(
                 $type$ $t${};
                 if ($row$ != nullptr) {
                     $t$ = $present$;
                 } else {
                     $prelude$
                     $t$ = $absent$;
                 }
             )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::negate(const ir::Expr& e) {
    const ir::Expr& x = *e.args[0];
    if (!isIntLike(e.type)) {
        return {"-" + paren(expr(x)), Kind::Compound};
    }
    if (x.op == Op::Const && !x.type.optional &&
        x.constant.i != std::numeric_limits<std::int64_t>::min()) {
        return intLiteral(-x.constant.i);  // a negative literal, as written
    }
    Value v = expr(x);
    std::string t = temp();
    p_->emit({{"t", t},
              {"v", v.code},
              {"fail",
               [&] {
                   fail("FLOW_ERR_OVERFLOW", e.site);
               }}},
             R"cc(
                 int64_t $t$ = 0;
                 if (__builtin_sub_overflow(0, $v$, &$t$)) {
                     $fail$
                 }
             )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::arithmetic(const ir::Expr& e) {
    Value a = expr(*e.args[0]);
    Value b = expr(*e.args[1]);
    const char* op = e.op == Op::Add ? " + " : e.op == Op::Sub ? " - " : " * ";
    if (e.type.optional || e.type.isRow()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": arithmetic on an optional value");
        return zero(e.type);
    }
    if (e.type.is(ir::Scalar::Float)) {
        return {paren(a) + op + paren(b), Kind::Compound};
    }
    if (e.type.is(ir::Scalar::String)) {
        return {"flowrt_str_concat(" + ctx() + ", " + a.code + ", " + b.code + ")", Kind::Atomic};
    }
    const char* builtin = e.op == Op::Add   ? "__builtin_add_overflow"
                          : e.op == Op::Sub ? "__builtin_sub_overflow"
                                            : "__builtin_mul_overflow";
    std::string t = temp();
    p_->emit({{"t", t},
              {"builtin", builtin},
              {"a", a.code},
              {"b", b.code},
              {"fail",
               [&] {
                   fail("FLOW_ERR_OVERFLOW", e.site);
               }}},
             R"cc(
                 int64_t $t$ = 0;
                 if ($builtin$($a$, $b$, &$t$)) {
                     $fail$
                 }
             )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::divide(const ir::Expr& e) {
    const ir::Expr& lhs = *e.args[0];
    const ir::Expr& rhs = *e.args[1];
    if (!isIntLike(e.type)) {
        Value a = expr(lhs);
        Value b = expr(rhs);
        return {paren(a) + (e.op == Op::Div ? " / " : " % ") + paren(b), Kind::Compound};
    }
    Value a = name(expr(lhs), lhs.type);
    Value b = name(expr(rhs), rhs.type);
    bool constDivisor = rhs.op == Op::Const && !rhs.type.optional;
    std::int64_t divisor = rhs.constant.i;
    bool constDividend = lhs.op == Op::Const && !lhs.type.optional;
    if (constDivisor && divisor == 0) {
        fail("FLOW_ERR_DIV_ZERO", e.site);  // and nothing after it runs
        return {"0", Kind::Name};
    }
    if (!constDivisor) {
        p_->emit({{"b", b.code},
                  {"fail",
                   [&] {
                       fail("FLOW_ERR_DIV_ZERO", e.site);
                   }}},
                 R"cc(
            if ($b$ == 0) {
                $fail$
            }
        )cc");
    }
    bool maybeMinusOne = !constDivisor || divisor == -1;
    bool maybeMin = !constDividend || lhs.constant.i == std::numeric_limits<std::int64_t>::min();
    std::string t = temp();
    if (e.op == Op::Div) {
        if (maybeMinusOne && maybeMin) {
            // INT64_MIN / -1 does not fit.
            p_->emit({{"a", a.code},
                      {"b", b.code},
                      {"fail",
                       [&] {
                           fail("FLOW_ERR_OVERFLOW", e.site);
                       }}},
                     R"cc(
                         if ($a$ == INT64_MIN && $b$ == -1) {
                             $fail$
                         }
                     )cc");
        }
        p_->emit({{"t", t}, {"a", a.code}, {"b", b.code}}, R"cc(
            const int64_t $t$ = $a$ / $b$;
        )cc");
    } else if (maybeMinusOne) {
        // x % -1 is 0, and INT64_MIN % -1 must not trap.
        p_->emit({{"t", t}, {"a", a.code}, {"b", b.code}}, R"cc(
            const int64_t $t$ = $b$ == -1 ? 0 : $a$ % $b$;
        )cc");
    } else {
        p_->emit({{"t", t}, {"a", a.code}, {"b", b.code}}, R"cc(
            const int64_t $t$ = $a$ % $b$;
        )cc");
    }
    return {t, Kind::Name};
}

Value KernelEmitter::equal(const Value& a, const ir::Type& at, const Value& b, const ir::Type& bt) {
    if (at.optional || bt.optional || at.is(ir::Scalar::String)) {
        ir::Type common = at.optional ? at : bt;
        return {"eq(" + convert(a, at, common).code + ", " + convert(b, bt, common).code + ")",
                Kind::Atomic};
    }
    return {paren(a) + " == " + paren(b), Kind::Compound};
}

Value KernelEmitter::compare(const ir::Expr& e) {
    const ir::Type& at = e.args[0]->type;
    const ir::Type& bt = e.args[1]->type;
    Value a = expr(*e.args[0]);
    Value b = expr(*e.args[1]);
    if (e.op == Op::Eq || e.op == Op::Ne) {
        Value eq = equal(a, at, b, bt);
        if (e.op == Op::Eq) {
            return eq;
        }
        if (eq.kind == Kind::Compound) {
            return {paren(a) + " != " + paren(b), Kind::Compound};
        }
        return {"!" + eq.code, Kind::Compound};
    }
    const char* op = e.op == Op::Lt   ? " < "
                     : e.op == Op::Le ? " <= "
                     : e.op == Op::Gt ? " > "
                                      : " >= ";
    if (at.optional || bt.optional) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": ordering of optional values");
        return {"false", Kind::Name};
    }
    if (at.is(ir::Scalar::String)) {
        return {"flowrt_str_cmp(" + a.code + ", " + b.code + ")" + op + "0", Kind::Compound};
    }
    return {paren(a) + op + paren(b), Kind::Compound};
}

Value KernelEmitter::logical(const ir::Expr& e) {
    bool isAnd = e.op == Op::And;
    Value a = expr(*e.args[0]);
    std::string prelude;
    Value b = lazy(*e.args[1], prelude);
    if (prelude.empty()) {
        return {paren(a) + (isAnd ? " && " : " || ") + paren(b), Kind::Compound};
    }
    std::string t = temp();
    p_->emit({{"t", t},
              {"a", a.code},
              {"test", isAnd ? t : "!" + t},
              {"prelude", prelude},
              {"b", b.code}},
             R"cc(
                 bool $t$ = $a$;
                 if ($test$) {
                     $prelude$
                     $t$ = $b$;
                 }
             )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::coalesce(const ir::Expr& e) {
    const ir::Type& at = e.args[0]->type;
    Value a = expr(*e.args[0]);
    if (!at.optional) {
        return convert(a, at, e.type);
    }
    a = name(a, at);
    std::string prelude;
    Value b = convert(lazy(*e.args[1], prelude), e.args[1]->type, e.type);
    Value present = e.type.optional ? a : Value{a.code + ".value", Kind::Name};
    if (prelude.empty()) {
        return {a.code + ".has ? " + paren(present) + " : " + paren(b), Kind::Compound};
    }
    std::string t = temp();
    p_->emit({{"type", valueType(cx_, e.type)},
              {"t", t},
              {"a", a.code},
              {"present", present.code},
              {"prelude", prelude},
              {"b", b.code}},
             R"cc(
                 $type$ $t${};
                 if ($a$.has) {
                     $t$ = $present$;
                 } else {
                     $prelude$
                     $t$ = $b$;
                 }
             )cc");
    return {t, Kind::Name};
}

Value KernelEmitter::matches(const ir::Expr& e) {
    const ir::Expr& subject = *e.args[0];
    Value row = name(expr(subject), subject.type);
    std::int32_t layout = subject.type.layout;
    const ir::Layout& l = cx_.layout(layout);
    struct Part {
        std::string prelude;
        Value test;
    };
    std::vector<Part> parts;
    if (subject.type.optional) {
        parts.push_back({"", {row.code + " != nullptr", Kind::Compound}});
    }
    for (std::size_t i = 0; i < e.fields.size() && i + 1 < e.args.size(); ++i) {
        std::int32_t f = e.fields[i];
        if (f < 0 || static_cast<std::size_t>(f) >= l.fields.size()) {
            cx_.error("kernel #" + std::to_string(k_.id) + ": matches a field out of range");
            return {"false", Kind::Name};
        }
        Part part;
        Value v = lazy(*e.args[i + 1], part.prelude);
        part.test = equal({fieldOf(row, cx_.fieldName(layout, f)), Kind::Name},
                          l.fields[static_cast<std::size_t>(f)].type, v, e.args[i + 1]->type);
        parts.push_back(std::move(part));
    }
    if (parts.empty()) {
        return {"true", Kind::Name};
    }
    bool simple = true;
    for (const Part& part : parts) {
        simple = simple && part.prelude.empty();
    }
    if (simple) {
        if (parts.size() == 1) {
            return parts[0].test;
        }
        std::string code;
        for (const Part& part : parts) {
            code += (code.empty() ? "" : " && ") + paren(part.test);
        }
        return {code, Kind::Compound};
    }
    std::string t = temp();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Part& part = parts[i];
        if (i == 0) {
            p_->emit({{"prelude", part.prelude}, {"t", t}, {"test", part.test.code}}, R"cc(
                $prelude$
                bool $t$ = $test$;
            )cc");
            continue;
        }
        p_->emit({{"prelude", part.prelude}, {"t", t}, {"test", part.test.code}}, R"cc(
            if ($t$) {
                $prelude$
                $t$ = $test$;
            }
        )cc");
    }
    return {t, Kind::Name};
}

Value KernelEmitter::call(const ir::Expr& e) {
    const codegen::StdlibSignature* c = codegen::findStdlibSignature(e.callee);
    if (c == nullptr) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": the standard library has no function '" +
                  e.callee + "'");
        return zero(e.type);
    }
    std::string args;
    auto add = [&](const std::string& a) {
        args += (args.empty() ? "" : ", ") + a;
    };
    if (c->shape != codegen::CallShape::Pure) {
        add(ctx());
    }
    if (c->enumIdFirst) {
        add(std::to_string(e.args.empty() ? -1 : e.args[0]->type.enumId));
    }
    for (const auto& a : e.args) {
        add(expr(*a).code);
    }
    std::string fn = "flowrt_" + std::string(c->callee);
    if (c->shape != codegen::CallShape::Fallible) {
        std::string code = fn + "(" + args + ")";
        if (c->returnsFlag) {
            return {code + " != 0", Kind::Compound};
        }
        return {code, Kind::Atomic};
    }
    std::string t = temp();
    p_->emit(
        {{"type", valueType(cx_, e.type)}, {"t", t}, {"fn", fn}, {"args", args}, {"site", e.site}},
        R"cc(
                 $type$ $t${};
                 if ($fn$($args$, &$t$, $site$) != FLOW_OK) {
                     return FLOW_ERROR;
                 }
             )cc");
    return {t, Kind::Name};
}

}  // namespace flow::cppgen
