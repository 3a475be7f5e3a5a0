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
