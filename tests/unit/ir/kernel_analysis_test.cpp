// unit/ir/kernel_analysis_test.cpp - ir::isPure and ir::readsEventIds, which the runtime
// trusts: a pure `select` is projected when read instead of at each event, and event ids
// are formatted for kernels only when one reads them.
#include "ir/ir.h"

#include <catch2/catch.hpp>

#include <memory>
#include <utility>

using namespace flow;

namespace {

ir::ExprPtr expr(ir::Op op, ir::Type type, std::vector<ir::ExprPtr> args = {}) {
    auto e = std::make_unique<ir::Expr>();
    e->op = op;
    e->type = type;
    e->args = std::move(args);
    return e;
}

ir::ExprPtr arg(ir::Scalar s, bool optional = false) {
    auto e = expr(ir::Op::Arg, ir::Type::of(s, optional));
    e->arg = 0;
    e->field = 0;
    return e;
}

ir::ExprPtr env(ir::EnvField f, ir::Scalar s) {
    auto e = expr(ir::Op::Env, ir::Type::of(s));
    e->arg = 1;
    e->field = static_cast<std::int32_t>(f);
    return e;
}

ir::ExprPtr binary(ir::Op op, ir::Scalar s, bool optional = false) {
    std::vector<ir::ExprPtr> args;
    args.push_back(arg(s, optional));
    args.push_back(arg(s, optional));
    return expr(op, ir::Type::of(s, optional), std::move(args));
}

ir::StmtPtr set(ir::ExprPtr value) {
    auto s = std::make_unique<ir::Stmt>();
    s->op = ir::StmtOp::Set;
    s->arg = 2;
    s->field = 0;
    s->value = std::move(value);
    return s;
}

/// `if (cond) { out.f = value }`, the value nested one statement down.
ir::StmtPtr nested(ir::ExprPtr value) {
    auto s = std::make_unique<ir::Stmt>();
    s->op = ir::StmtOp::If;
    s->value = expr(ir::Op::Const, ir::Type::of(ir::Scalar::Bool));
    s->then.push_back(set(std::move(value)));
    return s;
}

ir::Kernel kernel(ir::StmtPtr body) {
    ir::Kernel k;
    k.kind = ir::KernelKind::Project;
    k.body.push_back(std::move(body));
    return k;
}

}  // namespace

TEST_CASE("isPure: copies, comparisons and float arithmetic are pure") {
    CHECK(ir::isPure(kernel(set(arg(ir::Scalar::String)))));
    CHECK(ir::isPure(kernel(set(binary(ir::Op::Add, ir::Scalar::Float)))));
    CHECK(ir::isPure(kernel(set(binary(ir::Op::Div, ir::Scalar::Float)))));
    CHECK(ir::isPure(kernel(set(binary(ir::Op::Lt, ir::Scalar::Int)))));
    CHECK(ir::isPure(kernel(nested(env(ir::EnvField::Time, ir::Scalar::Timestamp)))));
    CHECK(ir::isPure(ir::Kernel{}));
}

TEST_CASE("isPure: anything that may fail or read a table is not, however deep") {
    for (ir::Op op :
         {ir::Op::Neg, ir::Op::Add, ir::Op::Sub, ir::Op::Mul, ir::Op::Div, ir::Op::Mod}) {
        CAPTURE(static_cast<int>(op));
        CHECK_FALSE(ir::isPure(kernel(set(binary(op, ir::Scalar::Int)))));
        CHECK_FALSE(ir::isPure(kernel(nested(binary(op, ir::Scalar::Int)))));
        // Optional floats go through the runtime: not trusted either.
        CHECK_FALSE(ir::isPure(kernel(set(binary(op, ir::Scalar::Float, true)))));
    }
    CHECK_FALSE(ir::isPure(kernel(set(binary(ir::Op::Add, ir::Scalar::String)))));
    for (ir::Op op : {ir::Op::Call, ir::Op::Query, ir::Op::Lookup}) {
        CAPTURE(static_cast<int>(op));
        std::vector<ir::ExprPtr> args;
        args.push_back(expr(op, ir::Type::of(ir::Scalar::Int)));
        args.push_back(arg(ir::Scalar::Int));
        // The call is an operand of a comparison, inside an `if`.
        CHECK_FALSE(ir::isPure(
            kernel(nested(expr(ir::Op::Eq, ir::Type::of(ir::Scalar::Bool), std::move(args))))));
    }
    for (ir::StmtOp op : {ir::StmtOp::Require, ir::StmtOp::Emit, ir::StmtOp::Delete}) {
        auto s = std::make_unique<ir::Stmt>();
        s->op = op;
        CHECK_FALSE(ir::isPure(kernel(std::move(s))));
    }
}

TEST_CASE("readsEventIds: only the id, causation and correlation count") {
    CHECK_FALSE(ir::readsEventIds(kernel(set(arg(ir::Scalar::String)))));
    for (ir::EnvField f : {ir::EnvField::Time, ir::EnvField::Seq, ir::EnvField::Version}) {
        CHECK_FALSE(ir::readsEventIds(kernel(nested(env(f, ir::Scalar::Int)))));
    }
    for (ir::EnvField f : {ir::EnvField::Id, ir::EnvField::Causation, ir::EnvField::Correlation}) {
        CAPTURE(static_cast<int>(f));
        CHECK(ir::readsEventIds(kernel(set(env(f, ir::Scalar::String)))));
        CHECK(ir::readsEventIds(kernel(nested(env(f, ir::Scalar::String)))));
        // As one of an emitted event's values.
        auto emit = std::make_unique<ir::Stmt>();
        emit->op = ir::StmtOp::Emit;
        emit->values.push_back(arg(ir::Scalar::Int));
        emit->values.push_back(env(f, ir::Scalar::String));
        CHECK(ir::readsEventIds(kernel(std::move(emit))));
    }
}

// ---- fieldCopies: kernels the runtime runs by copying fields --------------------------

namespace {

/// A program with an input row (string, int, int?, string) and an output row of the
/// same fields, and a kernel (in, envelope, out) over them.
struct CopyFixture {
    ir::Program p;
    ir::Kernel k;

    CopyFixture() {
        ir::Layout in;
        in.id = 0;
        in.fields = {{"s", ir::Type::of(ir::Scalar::String)},
                     {"i", ir::Type::of(ir::Scalar::Int)},
                     {"o", ir::Type::of(ir::Scalar::Int, true)},
                     {"t", ir::Type::of(ir::Scalar::String)}};
        ir::computeLayout(in);
        ir::Layout out = in;
        out.id = 1;
        p.layouts = {in, out};
        k.kind = ir::KernelKind::Key;
        k.args = {{"e", 0, false, false, false},
                  {"e_env", -1, true, false, false},
                  {"out", 1, false, true, false}};
    }

    /// out.`to` = e.`from`, typed as e's field.
    void copy(std::int32_t to, std::int32_t from) {
        auto e = std::make_unique<ir::Expr>();
        e->op = ir::Op::Arg;
        e->arg = 0;
        e->field = from;
        e->type = p.layouts[0].fields[static_cast<std::size_t>(from)].type;
        k.body.push_back(setField(to, std::move(e)));
    }
    ir::StmtPtr setField(std::int32_t to, ir::ExprPtr value) const {
        auto s = std::make_unique<ir::Stmt>();
        s->op = ir::StmtOp::Set;
        s->arg = 2;
        s->field = to;
        s->value = std::move(value);
        return s;
    }
};

}  // namespace

TEST_CASE("fieldCopies: a kernel that only copies fields of the same type, in any order") {
    CopyFixture f;
    f.copy(3, 3);
    f.copy(0, 0);
    f.copy(2, 2);
    std::vector<ir::FieldCopy> want = {{3, 0, 3}, {0, 0, 0}, {2, 0, 2}};
    CHECK(ir::fieldCopies(f.p, f.k) == want);
    f.k.kind = ir::KernelKind::Project;
    CHECK(ir::fieldCopies(f.p, f.k) == want);
}

TEST_CASE("fieldCopies: anything else is not a copy kernel") {
    SECTION("another kind (a handler's row is read and written)") {
        CopyFixture f;
        f.copy(0, 0);
        f.k.kind = ir::KernelKind::Handler;
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("no statements") {
        CopyFixture f;
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("a field of another type (a string into an int? would need a conversion)") {
        CopyFixture f;
        f.copy(2, 1);  // int into int?
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("an expression, not a field") {
        CopyFixture f;
        f.copy(0, 0);
        f.k.body.push_back(f.setField(1, binary(ir::Op::Add, ir::Scalar::Int)));
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("an envelope field") {
        CopyFixture f;
        f.k.body.push_back(f.setField(1, env(ir::EnvField::Time, ir::Scalar::Int)));
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("a field set twice") {
        CopyFixture f;
        f.copy(0, 0);
        f.copy(0, 3);
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("a statement that is not a plain set") {
        CopyFixture f;
        f.copy(0, 0);
        auto s = std::make_unique<ir::Stmt>();
        s->op = ir::StmtOp::If;
        s->value = expr(ir::Op::Const, ir::Type::of(ir::Scalar::Bool));
        s->then.push_back(f.setField(1, expr(ir::Op::Const, ir::Type::of(ir::Scalar::Int))));
        f.k.body.push_back(std::move(s));
        CHECK(ir::fieldCopies(f.p, f.k).empty());
    }
    SECTION("from the output row itself, or from an optional row") {
        CopyFixture f;
        auto e = std::make_unique<ir::Expr>();
        e->op = ir::Op::Arg;
        e->arg = 2;
        e->field = 0;
        e->type = ir::Type::of(ir::Scalar::String);
        f.k.body.push_back(f.setField(3, std::move(e)));
        CHECK(ir::fieldCopies(f.p, f.k).empty());
        CopyFixture g;
        g.copy(0, 0);
        g.k.args[0].optional = true;  // the right side of a left join
        CHECK(ir::fieldCopies(g.p, g.k).empty());
    }
}
