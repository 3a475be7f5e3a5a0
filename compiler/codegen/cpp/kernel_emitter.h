// codegen/cpp/kernel_emitter.h - one kernel as an `extern "C"` C++ function (abi.h).
//
// Expressions become C++ expressions where they cannot fail and temporaries
// (`t0`, `t1`, ...) where they need statements: an overflow check, a division by zero,
// a lookup's key row, a query, a fallible standard library call. Lazy operands (the
// right side of && and ||, the fallback of coalesce, the values of matches, a missing
// row's default) are emitted aside first: if they need statements they run inside an
// `if`, so nothing is evaluated that the IR would not evaluate.
#pragma once

#include "codegen/cpp/emitter_context.h"

namespace flow::cppgen {

/// A C++ expression and how it may be used.
struct Value {
    enum class Kind : unsigned char {
        Name,      // a variable, a literal or a member of one: cheap and safe to repeat
        Atomic,    // a call or a braced value: needs no parentheses, not to be repeated
        Compound,  // an operator expression: parenthesized as an operand
    };
    std::string code;
    Kind kind = Kind::Compound;
};

class KernelEmitter {
public:
    KernelEmitter(EmitterContext& cx, const ir::Kernel& kernel) : cx_(cx), k_(kernel) {}

    /// Prints the whole function to `out`.
    void emit(CodePrinter& out);

private:
    // ---- Statements (kernel_emitter.cpp) -----------------------------------------------
    void stmts(const std::vector<ir::StmtPtr>& body);
    void stmt(const ir::Stmt& s);
    void emitReturn(const ir::Stmt& s);
    void emitEmit(const ir::Stmt& s);
    /// Whether control never falls through the end of `body`.
    static bool alwaysReturns(const std::vector<ir::StmtPtr>& body);

    // ---- Expressions (expr_emitter.cpp) ------------------------------------------------
    Value expr(const ir::Expr& e);
    /// Emits `e`'s statements into `prelude` instead of the kernel body.
    Value lazy(const ir::Expr& e, std::string& prelude);
    /// `v` in a variable (declared const) if it is not one already.
    Value name(const Value& v, const ir::Type& type);

    Value constant(const ir::Expr& e);
    Value arg(const ir::Expr& e);
    Value lookup(const ir::Expr& e);
    Value query(const ir::Expr& e);
    Value rowField(const ir::Expr& e);
    Value arithmetic(const ir::Expr& e);
    Value divide(const ir::Expr& e);
    Value negate(const ir::Expr& e);
    Value compare(const ir::Expr& e);
    Value logical(const ir::Expr& e);
    Value coalesce(const ir::Expr& e);
    Value matches(const ir::Expr& e);
    Value call(const ir::Expr& e);

    /// `a == b` for values of the given types (optionals: both absent, or both present
    /// and equal).
    Value equal(const Value& a, const ir::Type& at, const Value& b, const ir::Type& bt);
    /// A row's field default (its defaults kernel's value, else the type's zero).
    Value fieldDefault(std::int32_t layout, std::int32_t field);
    Value zero(const ir::Type& t);
    /// `v` of type `from` as a value of `to` (T -> T?).
    Value convert(const Value& v, const ir::Type& from, const ir::Type& to);
    /// Fills a local row of `layout` from `values` (key rows, query parameters, events).
    std::string localRow(std::int32_t layout, const std::vector<Value>& values);

    std::string temp() { return "t" + std::to_string(temps_++); }
    std::string argName(std::int32_t arg);
    std::string ctx() {
        usesCtx_ = true;
        return "ctx";
    }
    /// `return flowrt_fail(ctx, CODE, site);`
    void fail(const char* code, std::int32_t site);

    EmitterContext& cx_;
    const ir::Kernel& k_;
    CodePrinter* p_ = nullptr;  // where statements go: the body, or a lazy operand's prelude
    int temps_ = 0;
    bool usesCtx_ = false;
    std::vector<bool> usesArg_;
};

/// `(code)` if `v` is Compound, else `code`.
std::string paren(const Value& v);

}  // namespace flow::cppgen
