// codegen/llvm/kernel_builder.cpp - IR kernels as LLVM functions (see kernel_builder.h).
#include "codegen/llvm/kernel_builder.h"

#include "codegen/stdlib_signatures.h"
#include "flow/rt/abi.h"
#include "support/internal_error.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>

#include <cstddef>
#include <functional>
#include <limits>

namespace flow::llvmgen {

using codegen::CallShape;
using codegen::CType;
using codegen::findStdlibSignature;
using codegen::StdlibSignature;

// ---- The module's shared parts ----------------------------------------------------------

ModuleContext::ModuleContext(const ir::Program& p, llvm::Module& m)
    : program(p), module(m), context(m.getContext()) {
    i1 = llvm::Type::getInt1Ty(context);
    i8 = llvm::Type::getInt8Ty(context);
    i32 = llvm::Type::getInt32Ty(context);
    i64 = llvm::Type::getInt64Ty(context);
    f64 = llvm::Type::getDoubleTy(context);
    ptr = llvm::PointerType::get(context, 0);
    str = llvm::StructType::get(context, {ptr, i64});
    kernelType = llvm::FunctionType::get(i32, {ptr, ptr}, false);

    // As the C++ backend: tables first, then event versions (a later one wins).
    defaultsOf.assign(p.layouts.size(), -1);
    auto defaults = [&](std::int32_t layout, std::int32_t kernel) {
        if (validLayout(layout) && kernel >= 0 &&
            static_cast<std::size_t>(kernel) < p.kernels.size()) {
            defaultsOf[static_cast<std::size_t>(layout)] = kernel;
        }
    };
    for (const ir::Table& t : p.tables) {
        defaults(t.rowLayout, t.defaults);
    }
    for (const ir::Event& e : p.events) {
        for (const ir::EventVersion& v : e.versions) {
            defaults(v.layout, v.defaults);
        }
    }
}

llvm::Constant* ModuleContext::stringBytes(const std::string& s) {
    auto it = strings_.find(s);
    if (it != strings_.end()) {
        return it->second;
    }
    llvm::Constant* init = llvm::ConstantDataArray::getString(context, s, true);
    auto* g = new llvm::GlobalVariable(module, init->getType(), true,
                                       llvm::GlobalValue::PrivateLinkage, init, ".str");
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    g->setAlignment(llvm::Align(1));
    strings_.emplace(s, g);
    return g;
}

llvm::FunctionCallee ModuleContext::runtime(const std::string& name, llvm::FunctionType* type) {
    return module.getOrInsertFunction(name, type);
}

namespace {

using ir::Op;

/// A value of an IR type in SSA form: a scalar (i1, i64 or double), a string as its
/// pointer and length, a row as a pointer (null when absent); an optional scalar also
/// has its presence.
struct Val {
    llvm::Value* v = nullptr;
    llvm::Value* len = nullptr;
    llvm::Value* has = nullptr;
};

bool isIntLike(const ir::Type& t) {
    return !t.isRow() && (t.scalar == ir::Scalar::Int || t.scalar == ir::Scalar::Timestamp ||
                          t.scalar == ir::Scalar::Duration || t.scalar == ir::Scalar::Enum);
}

bool isIntLike(ir::Scalar s) {
    return s == ir::Scalar::Int || s == ir::Scalar::Timestamp || s == ir::Scalar::Duration ||
           s == ir::Scalar::Enum;
}

/// The envelope's fields (FlowEnvelope, abi.h) in EnvField order: offset, and whether a
/// string.
struct EnvelopeField {
    std::uint32_t offset;
    bool string;
};
constexpr EnvelopeField kEnvelopeFields[] = {
    {0, true},    // id
    {48, false},  // time
    {56, false},  // seq
    {16, true},   // causation
    {32, true},   // correlation
    {64, false},  // version
};
static_assert(offsetof(FlowEnvelope, id) == 0 && offsetof(FlowEnvelope, time) == 48 &&
              offsetof(FlowEnvelope, seq) == 56 && offsetof(FlowEnvelope, causation) == 16 &&
              offsetof(FlowEnvelope, correlation) == 32 && offsetof(FlowEnvelope, version) == 64);

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

class KernelBuilder {
public:
    KernelBuilder(ModuleContext& cx, const ir::Kernel& k, llvm::Function* fn)
        : cx_(cx), k_(k), fn_(fn), b_(cx.context), entry_(cx.context) {}

    void build();

private:
    // ---- Statements ----------------------------------------------------------------------
    void stmts(const std::vector<ir::StmtPtr>& body);
    void stmt(const ir::Stmt& s);
    void emitEmit(const ir::Stmt& s);
    void emitReturn(const ir::Stmt& s);

    // ---- Expressions ---------------------------------------------------------------------
    Val expr(const ir::Expr& e);
    Val constant(const ir::Expr& e);
    Val arg(const ir::Expr& e);
    Val env(const ir::Expr& e);
    Val lookup(const ir::Expr& e);
    Val query(const ir::Expr& e);
    Val rowField(const ir::Expr& e);
    Val rowEq(const ir::Expr& e);
    Val negate(const ir::Expr& e);
    Val arithmetic(const ir::Expr& e);
    Val divide(const ir::Expr& e);
    Val compare(const ir::Expr& e);
    Val logical(const ir::Expr& e);
    Val coalesce(const ir::Expr& e);
    Val matches(const ir::Expr& e);
    Val call(const ir::Expr& e);

    /// Flow equality of values of the given types (an i1): strings by bytes, ints and
    /// floats as doubles, optionals equal when both absent or both present and equal.
    llvm::Value* equal(Val a, const ir::Type& at, Val b, const ir::Type& bt);
    llvm::Value* scalarEqual(const Val& a, ir::Scalar as, const Val& b, ir::Scalar bs);
    Val fieldDefault(std::int32_t layout, std::int32_t field);
    Val zero(const ir::Type& t);
    /// `v` of type `from` as a value of `to`: T to T?, and the C++ backend's implicit
    /// conversions (int to float, bool to int).
    Val convert(const Val& v, const ir::Type& from, const ir::Type& to);
    llvm::Value* convertScalar(llvm::Value* v, ir::Scalar from, ir::Scalar to);
    /// `cond ? whenTrue() : whenFalse()`, each evaluated in a block of its own; both must
    /// give values of `type`.
    Val choose(llvm::Value* cond, const ir::Type& type, const std::function<Val()>& whenTrue,
               const std::function<Val()>& whenFalse);

    // ---- Memory --------------------------------------------------------------------------
    llvm::Value* argPtr(std::int32_t arg);
    llvm::Value* at(llvm::Value* base, std::uint32_t offset);
    Val loadScalar(llvm::Value* base, std::uint32_t offset, ir::Scalar s);
    Val load(llvm::Value* base, std::uint32_t offset, const ir::Type& t);
    void storeScalar(llvm::Value* base, std::uint32_t offset, ir::Scalar s, const Val& v);
    void store(llvm::Value* base, std::uint32_t offset, const ir::Type& t, const Val& v);
    /// A zeroed local of `bytes` bytes (the C++ backend's `T t{}`).
    llvm::Value* local(std::uint32_t bytes, const char* name);
    /// A local row of `layout` filled from `values` (key rows, query parameters, events).
    llvm::Value* localRow(std::int32_t layout, const std::vector<Val>& values,
                          const std::vector<ir::Type>& types);

    // ---- Control -------------------------------------------------------------------------
    llvm::BasicBlock* block(const char* name);
    /// Returns `v` here; later code goes to a fresh block without predecessors.
    void ret(llvm::Value* v);
    /// `return flowrt_fail(ctx, code, site)` when `cond` holds.
    void failIf(llvm::Value* cond, std::int32_t code, std::int32_t site);
    void fail(std::int32_t code, std::int32_t site);
    llvm::ConstantInt* i32(std::int64_t v) { return llvm::ConstantInt::get(cx_.i32, v, true); }
    llvm::ConstantInt* i64(std::int64_t v) { return llvm::ConstantInt::get(cx_.i64, v, true); }
    llvm::ConstantInt* flag(bool v) { return llvm::ConstantInt::get(cx_.i1, v ? 1 : 0); }

    // ---- The runtime (abi.h) -------------------------------------------------------------
    llvm::FunctionCallee rt(const char* name, llvm::Type* result,
                            llvm::ArrayRef<llvm::Type*> params);
    llvm::Value* strEq(const Val& a, const Val& b);
    void error(const std::string& what) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": " + what);
    }

    ModuleContext& cx_;
    const ir::Kernel& k_;
    llvm::Function* fn_;
    llvm::IRBuilder<> b_;      // the body
    llvm::IRBuilder<> entry_;  // allocas and argument pointers, in the entry block
    llvm::Value* ctx_ = nullptr;
    llvm::Value* args_ = nullptr;
    std::vector<llvm::Value*> argPtrs_;
};

// ---- The function -------------------------------------------------------------------------

void KernelBuilder::build() {
    ctx_ = fn_->getArg(0);
    ctx_->setName("ctx");
    args_ = fn_->getArg(1);
    args_->setName("args");
    llvm::BasicBlock* entry = block("entry");
    llvm::BasicBlock* body = block("body");
    entry_.SetInsertPoint(entry);
    b_.SetInsertPoint(body);
    argPtrs_.assign(k_.args.size(), nullptr);
    stmts(k_.body);
    entry_.CreateBr(body);
    // The end of the body, and any block after a return that nothing reaches.
    for (llvm::BasicBlock& bb : *fn_) {
        if (bb.getTerminator() == nullptr) {
            llvm::IRBuilder<> end(&bb);
            end.CreateRet(i32(FLOW_OK));
        }
    }
}

llvm::BasicBlock* KernelBuilder::block(const char* name) {
    return llvm::BasicBlock::Create(cx_.context, name, fn_);
}

void KernelBuilder::ret(llvm::Value* v) {
    b_.CreateRet(v);
    b_.SetInsertPoint(block("after.return"));
}

void KernelBuilder::fail(std::int32_t code, std::int32_t site) {
    llvm::Value* r = b_.CreateCall(rt("flowrt_fail", cx_.i32, {cx_.ptr, cx_.i32, cx_.i32}),
                                   {ctx_, i32(code), i32(site)});
    ret(r);
}

void KernelBuilder::failIf(llvm::Value* cond, std::int32_t code, std::int32_t site) {
    llvm::BasicBlock* failed = block("fail");
    llvm::BasicBlock* ok = block("ok");
    llvm::MDBuilder md(cx_.context);
    b_.CreateCondBr(cond, failed, ok, md.createBranchWeights(1, 1 << 20));
    b_.SetInsertPoint(failed);
    llvm::Value* r = b_.CreateCall(rt("flowrt_fail", cx_.i32, {cx_.ptr, cx_.i32, cx_.i32}),
                                   {ctx_, i32(code), i32(site)});
    b_.CreateRet(r);
    b_.SetInsertPoint(ok);
}

llvm::FunctionCallee KernelBuilder::rt(const char* name, llvm::Type* result,
                                       llvm::ArrayRef<llvm::Type*> params) {
    return cx_.runtime(name, llvm::FunctionType::get(result, params, false));
}

// ---- Memory -------------------------------------------------------------------------------

llvm::Value* KernelBuilder::argPtr(std::int32_t arg) {
    FLOW_ASSERT(arg >= 0 && static_cast<std::size_t>(arg) < k_.args.size(),
                "kernel argument out of range");
    auto i = static_cast<std::size_t>(arg);
    if (argPtrs_[i] == nullptr) {
        llvm::Value* slot = entry_.CreateConstInBoundsGEP1_64(cx_.ptr, args_, i);
        argPtrs_[i] = entry_.CreateAlignedLoad(cx_.ptr, slot, llvm::Align(8),
                                               k_.args[i].name.empty() ? "arg" : k_.args[i].name);
    }
    return argPtrs_[i];
}

llvm::Value* KernelBuilder::at(llvm::Value* base, std::uint32_t offset) {
    return offset == 0 ? base : b_.CreateConstInBoundsGEP1_64(cx_.i8, base, offset);
}

Val KernelBuilder::loadScalar(llvm::Value* base, std::uint32_t offset, ir::Scalar s) {
    switch (s) {
    case ir::Scalar::Bool: {
        llvm::Value* byte = b_.CreateAlignedLoad(cx_.i8, at(base, offset), llvm::Align(1));
        return {b_.CreateICmpNE(byte, llvm::ConstantInt::get(cx_.i8, 0)), nullptr, nullptr};
    }
    case ir::Scalar::Float:
        return {b_.CreateAlignedLoad(cx_.f64, at(base, offset), llvm::Align(8)), nullptr, nullptr};
    case ir::Scalar::String:
        return {b_.CreateAlignedLoad(cx_.ptr, at(base, offset), llvm::Align(8)),
                b_.CreateAlignedLoad(cx_.i64, at(base, offset + 8), llvm::Align(8)), nullptr};
    default:
        return {b_.CreateAlignedLoad(cx_.i64, at(base, offset), llvm::Align(8)), nullptr, nullptr};
    }
}

Val KernelBuilder::load(llvm::Value* base, std::uint32_t offset, const ir::Type& t) {
    if (!t.optional) {
        return loadScalar(base, offset, t.scalar);
    }
    llvm::Value* byte = b_.CreateAlignedLoad(cx_.i8, at(base, offset), llvm::Align(1));
    Val v = loadScalar(base, offset + ir::alignOf(t), t.scalar);
    v.has = b_.CreateICmpNE(byte, llvm::ConstantInt::get(cx_.i8, 0));
    return v;
}

void KernelBuilder::storeScalar(llvm::Value* base, std::uint32_t offset, ir::Scalar s,
                                const Val& v) {
    switch (s) {
    case ir::Scalar::Bool: {
        llvm::Value* byte = b_.CreateZExt(v.v, cx_.i8);
        b_.CreateAlignedStore(byte, at(base, offset), llvm::Align(1));
        return;
    }
    case ir::Scalar::String:
        b_.CreateAlignedStore(v.v, at(base, offset), llvm::Align(8));
        b_.CreateAlignedStore(v.len, at(base, offset + 8), llvm::Align(8));
        return;
    default:
        b_.CreateAlignedStore(v.v, at(base, offset), llvm::Align(8));
        return;
    }
}

void KernelBuilder::store(llvm::Value* base, std::uint32_t offset, const ir::Type& t,
                          const Val& v) {
    if (!t.optional) {
        storeScalar(base, offset, t.scalar, v);
        return;
    }
    llvm::Value* has = b_.CreateZExt(v.has, cx_.i8);
    b_.CreateAlignedStore(has, at(base, offset), llvm::Align(1));
    storeScalar(base, offset + ir::alignOf(t), t.scalar, v);
}

llvm::Value* KernelBuilder::local(std::uint32_t bytes, const char* name) {
    std::uint32_t size = bytes == 0 ? 8 : bytes;
    llvm::AllocaInst* a = entry_.CreateAlloca(llvm::ArrayType::get(cx_.i8, size), nullptr, name);
    a->setAlignment(llvm::Align(8));
    b_.CreateMemSet(a, llvm::ConstantInt::get(cx_.i8, 0), size, llvm::MaybeAlign(8));
    return a;
}

llvm::Value* KernelBuilder::localRow(std::int32_t layout, const std::vector<Val>& values,
                                     const std::vector<ir::Type>& types) {
    const ir::Layout& l = cx_.layout(layout);
    if (values.size() != l.fields.size()) {
        error(std::to_string(values.size()) + " values for a row of layout #" +
              std::to_string(layout) + ", which has " + std::to_string(l.fields.size()) +
              " fields");
    }
    llvm::Value* row = local(l.size, "row");
    for (std::size_t i = 0; i < values.size() && i < l.fields.size(); ++i) {
        const ir::Field& f = l.fields[i];
        store(row, f.offset, f.type, convert(values[i], types[i], f.type));
    }
    return row;
}

// ---- Values -------------------------------------------------------------------------------

Val KernelBuilder::zero(const ir::Type& t) {
    if (t.isRow()) {
        return {llvm::ConstantPointerNull::get(cx_.ptr), nullptr, nullptr};
    }
    Val v;
    switch (t.scalar) {
    case ir::Scalar::Bool:
        v.v = flag(false);
        break;
    case ir::Scalar::Float:
        v.v = llvm::ConstantFP::get(cx_.f64, 0.0);
        break;
    case ir::Scalar::String:
        // As C++'s `FlowStr{"", 0}`, and `Opt<FlowStr>{}` (a null pointer) when optional.
        v.v = t.optional ? static_cast<llvm::Value*>(llvm::ConstantPointerNull::get(cx_.ptr))
                         : cx_.stringBytes("");
        v.len = i64(0);
        break;
    default:
        v.v = i64(0);
        break;
    }
    if (t.optional) {
        v.has = flag(false);
    }
    return v;
}

llvm::Value* KernelBuilder::convertScalar(llvm::Value* v, ir::Scalar from, ir::Scalar to) {
    if (to == ir::Scalar::Float && isIntLike(from)) {
        return b_.CreateSIToFP(v, cx_.f64);
    }
    if (isIntLike(to) && from == ir::Scalar::Bool) {
        return b_.CreateZExt(v, cx_.i64);
    }
    return v;
}

Val KernelBuilder::convert(const Val& v, const ir::Type& from, const ir::Type& to) {
    if (from.isRow() || to.isRow()) {
        return v;
    }
    if (from.optional && to.optional) {
        return v;  // as C++: Opt<A> stays Opt<A>, eq() compares the values as they are
    }
    Val out = v;
    out.v = convertScalar(v.v, from.scalar, to.scalar);
    if (to.optional) {
        out.has = flag(true);
    }
    return out;
}

Val KernelBuilder::choose(llvm::Value* cond, const ir::Type& type,
                          const std::function<Val()>& whenTrue,
                          const std::function<Val()>& whenFalse) {
    llvm::BasicBlock* yes = block("then");
    llvm::BasicBlock* no = block("else");
    llvm::BasicBlock* merge = block("merge");
    b_.CreateCondBr(cond, yes, no);
    b_.SetInsertPoint(yes);
    Val a = whenTrue();
    llvm::BasicBlock* yesEnd = b_.GetInsertBlock();
    b_.CreateBr(merge);
    b_.SetInsertPoint(no);
    Val c = whenFalse();
    llvm::BasicBlock* noEnd = b_.GetInsertBlock();
    b_.CreateBr(merge);
    b_.SetInsertPoint(merge);
    auto phi = [&](llvm::Value* x, llvm::Value* y) -> llvm::Value* {
        if (x == nullptr || y == nullptr) {
            if (x != y) {
                error("the arms of a choice have different shapes");
            }
            return nullptr;
        }
        if (x->getType() != y->getType()) {
            error("the arms of a choice have different types");
            return x;
        }
        llvm::PHINode* p = b_.CreatePHI(x->getType(), 2);
        p->addIncoming(x, yesEnd);
        p->addIncoming(y, noEnd);
        return p;
    };
    Val out;
    out.v = phi(a.v, c.v);
    out.len = phi(a.len, c.len);
    out.has = phi(a.has, c.has);
    if (!type.isRow() && (type.optional != (out.has != nullptr) ||
                          type.is(ir::Scalar::String) != (out.len != nullptr))) {
        error("a choice's value does not have its type's shape");
    }
    return out;
}

Val KernelBuilder::fieldDefault(std::int32_t layout, std::int32_t field) {
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

// ---- Statements ---------------------------------------------------------------------------

void KernelBuilder::stmts(const std::vector<ir::StmtPtr>& body) {
    for (const auto& s : body) {
        stmt(*s);
    }
}

void KernelBuilder::stmt(const ir::Stmt& s) {
    switch (s.op) {
    case ir::StmtOp::Set: {
        if (s.arg < 0 || static_cast<std::size_t>(s.arg) >= k_.args.size()) {
            error("set of an argument out of range");
            return;
        }
        const ir::KernelArg& a = k_.args[static_cast<std::size_t>(s.arg)];
        if (a.envelope || !cx_.validLayout(a.layout) || s.field < 0 ||
            static_cast<std::size_t>(s.field) >= cx_.layout(a.layout).fields.size()) {
            error("set of a field out of range");
            return;
        }
        const ir::Field& f = cx_.layout(a.layout).fields[static_cast<std::size_t>(s.field)];
        Val v = convert(expr(*s.value), s.value->type, f.type);
        store(argPtr(s.arg), f.offset, f.type, v);
        return;
    }
    case ir::StmtOp::If: {
        Val cond = expr(*s.value);
        llvm::BasicBlock* then = block("if.then");
        llvm::BasicBlock* otherwise = s.otherwise.empty() ? nullptr : block("if.else");
        llvm::BasicBlock* end = block("if.end");
        b_.CreateCondBr(cond.v, then, otherwise != nullptr ? otherwise : end);
        b_.SetInsertPoint(then);
        stmts(s.then);
        b_.CreateBr(end);
        if (otherwise != nullptr) {
            b_.SetInsertPoint(otherwise);
            stmts(s.otherwise);
            b_.CreateBr(end);
        }
        b_.SetInsertPoint(end);
        return;
    }
    case ir::StmtOp::Require: {
        Val cond = expr(*s.cond);
        llvm::BasicBlock* rejected = block("require.rejected");
        llvm::BasicBlock* ok = block("require.ok");
        b_.CreateCondBr(cond.v, ok, rejected);
        b_.SetInsertPoint(rejected);
        Val message = expr(*s.value);  // built only when the command is rejected
        b_.CreateCall(
            rt("flowrt_reject", llvm::Type::getVoidTy(cx_.context), {cx_.ptr, cx_.ptr, cx_.i64}),
            {ctx_, message.v, message.len});
        b_.CreateRet(i32(FLOW_REJECTED));
        b_.SetInsertPoint(ok);
        return;
    }
    case ir::StmtOp::Emit:
        emitEmit(s);
        return;
    case ir::StmtOp::Delete:
        // The handler ends here: the row is gone, so nothing after could change it.
        ret(i32(FLOW_DELETE));
        return;
    case ir::StmtOp::Return:
        emitReturn(s);
        return;
    }
    FLOW_UNREACHABLE("unknown IR statement");
}

void KernelBuilder::emitEmit(const ir::Stmt& s) {
    if (s.event < 0 || static_cast<std::size_t>(s.event) >= cx_.program.events.size()) {
        error("emit of an event out of range");
        return;
    }
    const ir::Event& event = cx_.program.events[static_cast<std::size_t>(s.event)];
    std::int32_t layout = event.versions.back().layout;
    std::vector<Val> values;
    std::vector<ir::Type> types;
    for (const auto& v : s.values) {
        values.push_back(expr(*v));
        types.push_back(v->type);
    }
    llvm::Value* row = localRow(layout, values, types);
    b_.CreateCall(
        rt("flowrt_emit", llvm::Type::getVoidTy(cx_.context), {cx_.ptr, cx_.i32, cx_.ptr}),
        {ctx_, i32(s.event), row});
}

void KernelBuilder::emitReturn(const ir::Stmt& s) {
    Val v = expr(*s.value);
    const ir::Type& type = s.value->type;
    if (k_.kind != ir::KernelKind::QueryExpr) {
        // Predicates and test expectations: true is FLOW_OK, false FLOW_FALSE.
        ret(b_.CreateSelect(v.v, i32(FLOW_OK), i32(FLOW_FALSE)));
        return;
    }
    // A query's value goes to its out row: field 0, or the whole row.
    std::int32_t out = -1;
    for (std::size_t i = 0; i < k_.args.size(); ++i) {
        if (k_.args[i].writable) {
            out = static_cast<std::int32_t>(i);
        }
    }
    if (out < 0) {
        error("a query kernel without an out row");
        return;
    }
    std::int32_t outLayout = k_.args[static_cast<std::size_t>(out)].layout;
    if (!type.isRow()) {
        const ir::Field& f = cx_.layout(outLayout).fields.at(0);
        store(argPtr(out), f.offset, f.type, convert(v, type, f.type));
        ret(i32(FLOW_OK));
        return;
    }
    if (type.layout != outLayout) {
        error("returns a row of layout #" + std::to_string(type.layout) + " into layout #" +
              std::to_string(outLayout));
        return;
    }
    if (type.optional) {
        llvm::BasicBlock* absent = block("absent");
        llvm::BasicBlock* present = block("present");
        b_.CreateCondBr(b_.CreateIsNull(v.v), absent, present);
        b_.SetInsertPoint(absent);
        b_.CreateRet(i32(FLOW_FALSE));
        b_.SetInsertPoint(present);
    }
    b_.CreateMemCpy(argPtr(out), llvm::MaybeAlign(8), v.v, llvm::MaybeAlign(8),
                    cx_.layout(outLayout).size);
    ret(i32(FLOW_OK));
}

// ---- Expressions --------------------------------------------------------------------------

Val KernelBuilder::expr(const ir::Expr& e) {
    switch (e.op) {
    case Op::Const:
        return constant(e);
    case Op::None:
        return zero(e.type);
    case Op::Arg:
        return arg(e);
    case Op::Env:
        return env(e);
    case Op::Lookup:
        return lookup(e);
    case Op::Query:
        return query(e);
    case Op::RowField:
        return rowField(e);
    case Op::RowPresent: {
        Val row = expr(*e.args[0]);
        if (!e.args[0]->type.optional) {
            return {flag(true), nullptr, nullptr};  // an argument's row is always there
        }
        return {b_.CreateIsNotNull(row.v), nullptr, nullptr};
    }
    case Op::RowEq:
        return rowEq(e);
    case Op::IsNone: {
        Val v = expr(*e.args[0]);
        if (!e.args[0]->type.optional) {
            return {flag(false), nullptr, nullptr};
        }
        return {b_.CreateNot(v.has), nullptr, nullptr};
    }
    case Op::Wrap:
        return convert(expr(*e.args[0]), e.args[0]->type, e.type);
    case Op::Unwrap: {
        Val v = expr(*e.args[0]);
        if (!e.args[0]->type.optional || e.type.isRow()) {
            return v;
        }
        v.has = nullptr;
        return v;
    }
    case Op::Not:
        return {b_.CreateNot(expr(*e.args[0]).v), nullptr, nullptr};
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
        return {b_.CreateSIToFP(expr(*e.args[0]).v, cx_.f64), nullptr, nullptr};
    case Op::Coalesce:
        return coalesce(e);
    case Op::Matches:
        return matches(e);
    case Op::Call:
        return call(e);
    }
    FLOW_UNREACHABLE("unknown IR op");
}

Val KernelBuilder::constant(const ir::Expr& e) {
    const ir::Type& t = e.type;
    Val v;
    switch (t.scalar) {
    case ir::Scalar::Bool:
        v.v = flag(e.constant.b);
        break;
    case ir::Scalar::Float:
        v.v = llvm::ConstantFP::get(cx_.f64, e.constant.f);
        break;
    case ir::Scalar::String:
        v.v = cx_.stringBytes(e.constant.s);
        v.len = i64(static_cast<std::int64_t>(e.constant.s.size()));
        break;
    default:
        v.v = i64(e.constant.i);
        break;
    }
    return convert(v, t.nonOptional(), t);
}

Val KernelBuilder::arg(const ir::Expr& e) {
    if (e.arg < 0 || static_cast<std::size_t>(e.arg) >= k_.args.size()) {
        error("an argument out of range");
        return zero(e.type);
    }
    const ir::KernelArg& a = k_.args[static_cast<std::size_t>(e.arg)];
    if (a.envelope) {
        error("an envelope read as a row");
        return zero(e.type);
    }
    llvm::Value* row = argPtr(e.arg);
    if (e.field < 0) {
        return {row, nullptr, nullptr};  // the whole row, as a pointer
    }
    if (!cx_.validLayout(a.layout) ||
        static_cast<std::size_t>(e.field) >= cx_.layout(a.layout).fields.size()) {
        error("a field of an argument out of range");
        return zero(e.type);
    }
    const ir::Field& f = cx_.layout(a.layout).fields[static_cast<std::size_t>(e.field)];
    return load(row, f.offset, f.type);
}

Val KernelBuilder::env(const ir::Expr& e) {
    if (e.field < 0 || e.field >= 6 || e.arg < 0 ||
        static_cast<std::size_t>(e.arg) >= k_.args.size()) {
        error("envelope field out of range");
        return zero(e.type);
    }
    const EnvelopeField& f = kEnvelopeFields[e.field];
    return loadScalar(argPtr(e.arg), f.offset, f.string ? ir::Scalar::String : ir::Scalar::Int);
}

Val KernelBuilder::lookup(const ir::Expr& e) {
    if (e.table < 0 || static_cast<std::size_t>(e.table) >= cx_.program.tables.size()) {
        error("lookup of a table out of range");
        return zero(e.type);
    }
    const ir::Table& t = cx_.program.tables[static_cast<std::size_t>(e.table)];
    std::vector<Val> keys;
    std::vector<ir::Type> types;
    for (const auto& a : e.args) {
        keys.push_back(expr(*a));
        types.push_back(a->type);
    }
    llvm::Value* key = localRow(t.keyLayout, keys, types);
    llvm::Value* row = b_.CreateCall(rt("flowrt_lookup", cx_.ptr, {cx_.ptr, cx_.i32, cx_.ptr}),
                                     {ctx_, i32(e.table), key}, "found");
    return {row, nullptr, nullptr};
}

Val KernelBuilder::query(const ir::Expr& e) {
    if (e.query < 0 || static_cast<std::size_t>(e.query) >= cx_.program.queries.size()) {
        error("call of a query out of range");
        return zero(e.type);
    }
    const ir::Query& q = cx_.program.queries[static_cast<std::size_t>(e.query)];
    std::int32_t outLayout = e.type.isRow() ? e.type.layout : q.result;
    if (!cx_.validLayout(outLayout)) {
        error("query #" + std::to_string(e.query) + " has no result layout");
        return zero(e.type);
    }
    std::vector<Val> params;
    std::vector<ir::Type> types;
    for (const auto& a : e.args) {
        params.push_back(expr(*a));
        types.push_back(a->type);
    }
    llvm::Value* in = localRow(q.params, params, types);
    llvm::Value* out = local(cx_.layout(outLayout).size, "result");
    llvm::Value* status =
        b_.CreateCall(rt("flowrt_query", cx_.i32, {cx_.ptr, cx_.i32, cx_.ptr, cx_.ptr}),
                      {ctx_, i32(e.query), in, out}, "status");
    llvm::BasicBlock* failed = block("query.failed");
    llvm::BasicBlock* ok = block("query.ok");
    llvm::Value* isOk = b_.CreateICmpEQ(status, i32(FLOW_OK));
    llvm::Value* isFalse = b_.CreateICmpEQ(status, i32(FLOW_FALSE));
    llvm::Value* good = b_.CreateOr(isOk, isFalse);
    b_.CreateCondBr(good, ok, failed);
    b_.SetInsertPoint(failed);
    b_.CreateRet(status);
    b_.SetInsertPoint(ok);
    if (!e.type.isRow()) {
        const ir::Field& f = cx_.layout(outLayout).fields.at(0);
        return load(out, f.offset, f.type);
    }
    llvm::Value* row = b_.CreateSelect(b_.CreateICmpEQ(status, i32(FLOW_OK)), out,
                                       llvm::ConstantPointerNull::get(cx_.ptr));
    return {row, nullptr, nullptr};
}

Val KernelBuilder::rowField(const ir::Expr& e) {
    const ir::Expr& rowExpr = *e.args[0];
    std::int32_t layout = rowExpr.type.layout;
    if (!cx_.validLayout(layout) || e.field < 0 ||
        static_cast<std::size_t>(e.field) >= cx_.layout(layout).fields.size()) {
        error("field of a row out of range");
        return zero(e.type);
    }
    const ir::Field& f = cx_.layout(layout).fields[static_cast<std::size_t>(e.field)];
    Val row = expr(rowExpr);
    auto present = [&] {
        return convert(load(row.v, f.offset, f.type), f.type, e.type);
    };
    if (!rowExpr.type.optional) {
        return present();
    }
    return choose(b_.CreateIsNotNull(row.v), e.type, present, [&] {
        return e.orDefault ? convert(fieldDefault(layout, e.field), f.type, e.type) : zero(e.type);
    });
}

Val KernelBuilder::rowEq(const ir::Expr& e) {
    Val a = expr(*e.args[0]);
    Val b = expr(*e.args[1]);
    std::int32_t layout =
        e.args[0]->type.layout >= 0 ? e.args[0]->type.layout : e.args[1]->type.layout;
    // Rows (maybe absent) are equal when both are absent or both present and equal.
    llvm::Value* aPresent = b_.CreateIsNotNull(a.v);
    llvm::Value* bPresent = b_.CreateIsNotNull(b.v);
    llvm::Value* bothPresent = b_.CreateAnd(aPresent, bPresent);
    ir::Type boolType = ir::Type::of(ir::Scalar::Bool);
    return choose(
        bothPresent, boolType,
        [&] {
            llvm::Value* r =
                b_.CreateCall(rt("flowrt_row_eq", cx_.i32, {cx_.ptr, cx_.i32, cx_.ptr, cx_.ptr}),
                              {ctx_, i32(layout), a.v, b.v});
            return Val{b_.CreateICmpNE(r, i32(0)), nullptr, nullptr};
        },
        [&] {
            return Val{b_.CreateICmpEQ(a.v, b.v), nullptr, nullptr};
        });
}

Val KernelBuilder::negate(const ir::Expr& e) {
    const ir::Expr& x = *e.args[0];
    if (!isIntLike(e.type)) {
        return {b_.CreateFNeg(expr(x).v), nullptr, nullptr};
    }
    if (x.op == Op::Const && !x.type.optional &&
        x.constant.i != std::numeric_limits<std::int64_t>::min()) {
        return {i64(-x.constant.i), nullptr, nullptr};  // a negative literal, as written
    }
    Val v = expr(x);
    llvm::Value* r = b_.CreateBinaryIntrinsic(llvm::Intrinsic::ssub_with_overflow, i64(0), v.v);
    failIf(b_.CreateExtractValue(r, 1), FLOW_ERR_OVERFLOW, e.site);
    return {b_.CreateExtractValue(r, 0), nullptr, nullptr};
}

Val KernelBuilder::arithmetic(const ir::Expr& e) {
    Val a = expr(*e.args[0]);
    Val b = expr(*e.args[1]);
    if (e.type.optional || e.type.isRow()) {
        error("arithmetic on an optional value");
        return zero(e.type);
    }
    if (e.type.is(ir::Scalar::Float)) {
        llvm::Value* x = convertScalar(a.v, e.args[0]->type.scalar, ir::Scalar::Float);
        llvm::Value* y = convertScalar(b.v, e.args[1]->type.scalar, ir::Scalar::Float);
        llvm::Value* r = e.op == Op::Add   ? b_.CreateFAdd(x, y)
                         : e.op == Op::Sub ? b_.CreateFSub(x, y)
                                           : b_.CreateFMul(x, y);
        return {r, nullptr, nullptr};
    }
    if (e.type.is(ir::Scalar::String)) {
        llvm::Value* r = b_.CreateCall(
            rt("flowrt_str_concat", cx_.str, {cx_.ptr, cx_.ptr, cx_.i64, cx_.ptr, cx_.i64}),
            {ctx_, a.v, a.len, b.v, b.len});
        return {b_.CreateExtractValue(r, 0), b_.CreateExtractValue(r, 1), nullptr};
    }
    llvm::Intrinsic::ID id = e.op == Op::Add   ? llvm::Intrinsic::sadd_with_overflow
                             : e.op == Op::Sub ? llvm::Intrinsic::ssub_with_overflow
                                               : llvm::Intrinsic::smul_with_overflow;
    llvm::Value* x = convertScalar(a.v, e.args[0]->type.scalar, e.type.scalar);
    llvm::Value* y = convertScalar(b.v, e.args[1]->type.scalar, e.type.scalar);
    llvm::Value* r = b_.CreateBinaryIntrinsic(id, x, y);
    failIf(b_.CreateExtractValue(r, 1), FLOW_ERR_OVERFLOW, e.site);
    return {b_.CreateExtractValue(r, 0), nullptr, nullptr};
}

Val KernelBuilder::divide(const ir::Expr& e) {
    const ir::Expr& lhs = *e.args[0];
    const ir::Expr& rhs = *e.args[1];
    if (!isIntLike(e.type)) {
        Val a = expr(lhs);
        Val b = expr(rhs);
        llvm::Value* x = convertScalar(a.v, lhs.type.scalar, ir::Scalar::Float);
        llvm::Value* y = convertScalar(b.v, rhs.type.scalar, ir::Scalar::Float);
        return {e.op == Op::Div ? b_.CreateFDiv(x, y) : b_.CreateFRem(x, y), nullptr, nullptr};
    }
    llvm::Value* a = expr(lhs).v;
    llvm::Value* b = expr(rhs).v;
    bool constDivisor = rhs.op == Op::Const && !rhs.type.optional;
    std::int64_t divisor = rhs.constant.i;
    bool constDividend = lhs.op == Op::Const && !lhs.type.optional;
    if (constDivisor && divisor == 0) {
        fail(FLOW_ERR_DIV_ZERO, e.site);  // and nothing after it runs
        return {i64(0), nullptr, nullptr};
    }
    if (!constDivisor) {
        failIf(b_.CreateICmpEQ(b, i64(0)), FLOW_ERR_DIV_ZERO, e.site);
    }
    bool maybeMinusOne = !constDivisor || divisor == -1;
    bool maybeMin = !constDividend || lhs.constant.i == std::numeric_limits<std::int64_t>::min();
    if (e.op == Op::Div) {
        if (maybeMinusOne && maybeMin) {
            // INT64_MIN / -1 does not fit.
            llvm::Value* isMin = b_.CreateICmpEQ(a, i64(std::numeric_limits<std::int64_t>::min()));
            llvm::Value* isMinusOne = b_.CreateICmpEQ(b, i64(-1));
            failIf(b_.CreateAnd(isMin, isMinusOne), FLOW_ERR_OVERFLOW, e.site);
        }
        return {b_.CreateSDiv(a, b), nullptr, nullptr};
    }
    if (maybeMinusOne) {
        // x % -1 is 0, and INT64_MIN % -1 must not trap: divide by 1 instead.
        llvm::Value* minusOne = b_.CreateICmpEQ(b, i64(-1));
        llvm::Value* r = b_.CreateSRem(a, b_.CreateSelect(minusOne, i64(1), b));
        return {b_.CreateSelect(minusOne, i64(0), r), nullptr, nullptr};
    }
    return {b_.CreateSRem(a, b), nullptr, nullptr};
}

llvm::Value* KernelBuilder::strEq(const Val& a, const Val& b) {
    llvm::Value* r =
        b_.CreateCall(rt("flowrt_str_eq", cx_.i32, {cx_.ptr, cx_.i64, cx_.ptr, cx_.i64}),
                      {a.v, a.len, b.v, b.len});
    return b_.CreateICmpNE(r, i32(0));
}

llvm::Value* KernelBuilder::scalarEqual(const Val& a, ir::Scalar as, const Val& b, ir::Scalar bs) {
    if (as == ir::Scalar::String || bs == ir::Scalar::String) {
        return strEq(a, b);
    }
    // The operands are converted in order, so the IR reads the same from every compiler.
    if (as == ir::Scalar::Float || bs == ir::Scalar::Float) {
        llvm::Value* x = convertScalar(a.v, as, ir::Scalar::Float);
        llvm::Value* y = convertScalar(b.v, bs, ir::Scalar::Float);
        return b_.CreateFCmpOEQ(x, y);
    }
    if (as == ir::Scalar::Bool && bs == ir::Scalar::Bool) {
        return b_.CreateICmpEQ(a.v, b.v);
    }
    llvm::Value* x = convertScalar(a.v, as, ir::Scalar::Int);
    llvm::Value* y = convertScalar(b.v, bs, ir::Scalar::Int);
    return b_.CreateICmpEQ(x, y);
}

llvm::Value* KernelBuilder::equal(Val a, const ir::Type& at, Val b, const ir::Type& bt) {
    if (at.isRow() || bt.isRow()) {
        error("equality of rows outside RowEq");
        return flag(false);
    }
    if (!at.optional && !bt.optional) {
        return scalarEqual(a, at.scalar, b, bt.scalar);
    }
    ir::Type common = at.optional ? at : bt;
    a = convert(a, at, common);
    b = convert(b, bt, common);
    llvm::Value* sameHas = b_.CreateICmpEQ(a.has, b.has);
    llvm::Value* valuesEqual = nullptr;
    if (at.scalar == ir::Scalar::String || bt.scalar == ir::Scalar::String) {
        // Compare the bytes only when both are there (an absent string has no pointer).
        llvm::Value* both = b_.CreateAnd(a.has, b.has);
        valuesEqual = choose(
                          both, ir::Type::of(ir::Scalar::Bool),
                          [&] {
                              return Val{strEq(a, b), nullptr, nullptr};
                          },
                          [&] {
                              return Val{flag(true), nullptr, nullptr};
                          })
                          .v;
    } else {
        llvm::Value* absent = b_.CreateNot(a.has);
        valuesEqual = b_.CreateOr(absent, scalarEqual(a, at.scalar, b, bt.scalar));
    }
    return b_.CreateAnd(sameHas, valuesEqual);
}

Val KernelBuilder::compare(const ir::Expr& e) {
    const ir::Type& at = e.args[0]->type;
    const ir::Type& bt = e.args[1]->type;
    Val a = expr(*e.args[0]);
    Val b = expr(*e.args[1]);
    if (e.op == Op::Eq || e.op == Op::Ne) {
        llvm::Value* eq = equal(a, at, b, bt);
        return {e.op == Op::Eq ? eq : b_.CreateNot(eq), nullptr, nullptr};
    }
    if (at.optional || bt.optional || at.isRow() || bt.isRow()) {
        error("ordering of optional values");
        return {flag(false), nullptr, nullptr};
    }
    using P = llvm::CmpInst::Predicate;
    if (at.is(ir::Scalar::String)) {
        llvm::Value* c =
            b_.CreateCall(rt("flowrt_str_cmp", cx_.i32, {cx_.ptr, cx_.i64, cx_.ptr, cx_.i64}),
                          {a.v, a.len, b.v, b.len});
        P p = e.op == Op::Lt   ? P::ICMP_SLT
              : e.op == Op::Le ? P::ICMP_SLE
              : e.op == Op::Gt ? P::ICMP_SGT
                               : P::ICMP_SGE;
        return {b_.CreateICmp(p, c, i32(0)), nullptr, nullptr};
    }
    if (at.is(ir::Scalar::Float) || bt.is(ir::Scalar::Float)) {
        P p = e.op == Op::Lt   ? P::FCMP_OLT
              : e.op == Op::Le ? P::FCMP_OLE
              : e.op == Op::Gt ? P::FCMP_OGT
                               : P::FCMP_OGE;
        llvm::Value* x = convertScalar(a.v, at.scalar, ir::Scalar::Float);
        llvm::Value* y = convertScalar(b.v, bt.scalar, ir::Scalar::Float);
        return {b_.CreateFCmp(p, x, y), nullptr, nullptr};
    }
    if (at.is(ir::Scalar::Bool) && bt.is(ir::Scalar::Bool)) {
        P p = e.op == Op::Lt   ? P::ICMP_ULT
              : e.op == Op::Le ? P::ICMP_ULE
              : e.op == Op::Gt ? P::ICMP_UGT
                               : P::ICMP_UGE;
        return {b_.CreateICmp(p, a.v, b.v), nullptr, nullptr};
    }
    P p = e.op == Op::Lt   ? P::ICMP_SLT
          : e.op == Op::Le ? P::ICMP_SLE
          : e.op == Op::Gt ? P::ICMP_SGT
                           : P::ICMP_SGE;
    llvm::Value* x = convertScalar(a.v, at.scalar, ir::Scalar::Int);
    llvm::Value* y = convertScalar(b.v, bt.scalar, ir::Scalar::Int);
    return {b_.CreateICmp(p, x, y), nullptr, nullptr};
}

Val KernelBuilder::logical(const ir::Expr& e) {
    bool isAnd = e.op == Op::And;
    Val a = expr(*e.args[0]);
    llvm::BasicBlock* from = b_.GetInsertBlock();
    llvm::BasicBlock* rhs = block(isAnd ? "and.rhs" : "or.rhs");
    llvm::BasicBlock* merge = block(isAnd ? "and.end" : "or.end");
    if (isAnd) {
        b_.CreateCondBr(a.v, rhs, merge);
    } else {
        b_.CreateCondBr(a.v, merge, rhs);
    }
    b_.SetInsertPoint(rhs);
    Val b = expr(*e.args[1]);
    llvm::BasicBlock* rhsEnd = b_.GetInsertBlock();
    b_.CreateBr(merge);
    b_.SetInsertPoint(merge);
    llvm::PHINode* p = b_.CreatePHI(cx_.i1, 2);
    p->addIncoming(flag(!isAnd), from);
    p->addIncoming(b.v, rhsEnd);
    return {p, nullptr, nullptr};
}

Val KernelBuilder::coalesce(const ir::Expr& e) {
    const ir::Type& at = e.args[0]->type;
    Val a = expr(*e.args[0]);
    if (!at.optional) {
        return convert(a, at, e.type);
    }
    return choose(
        a.has, e.type,
        [&] {
            Val present = a;
            if (!e.type.optional) {
                present.has = nullptr;
                present.v = convertScalar(present.v, at.scalar, e.type.scalar);
            }
            return present;
        },
        [&] { return convert(expr(*e.args[1]), e.args[1]->type, e.type); });
}

Val KernelBuilder::matches(const ir::Expr& e) {
    const ir::Expr& subject = *e.args[0];
    Val row = expr(subject);
    std::int32_t layout = subject.type.layout;
    if (!cx_.validLayout(layout)) {
        error("matches on a row without a layout");
        return {flag(false), nullptr, nullptr};
    }
    const ir::Layout& l = cx_.layout(layout);
    // The parts in order, each evaluated only if the ones before held.
    std::vector<std::function<llvm::Value*()>> parts;
    if (subject.type.optional) {
        parts.emplace_back([&] { return b_.CreateIsNotNull(row.v); });
    }
    for (std::size_t i = 0; i < e.fields.size() && i + 1 < e.args.size(); ++i) {
        std::int32_t f = e.fields[i];
        if (f < 0 || static_cast<std::size_t>(f) >= l.fields.size()) {
            error("matches a field out of range");
            return {flag(false), nullptr, nullptr};
        }
        parts.emplace_back([&, i, f] {
            const ir::Field& field = l.fields[static_cast<std::size_t>(f)];
            Val v = expr(*e.args[i + 1]);
            return equal(load(row.v, field.offset, field.type), field.type, v, e.args[i + 1]->type);
        });
    }
    if (parts.empty()) {
        return {flag(true), nullptr, nullptr};
    }
    llvm::BasicBlock* merge = block("matches.end");
    std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> incoming;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        llvm::Value* test = parts[i]();
        if (i + 1 == parts.size()) {
            incoming.emplace_back(test, b_.GetInsertBlock());
            b_.CreateBr(merge);
            break;
        }
        llvm::BasicBlock* next = block("matches.next");
        incoming.emplace_back(flag(false), b_.GetInsertBlock());
        b_.CreateCondBr(test, next, merge);
        b_.SetInsertPoint(next);
    }
    b_.SetInsertPoint(merge);
    llvm::PHINode* p = b_.CreatePHI(cx_.i1, static_cast<unsigned>(incoming.size()));
    for (const auto& [v, bb] : incoming) {
        p->addIncoming(v, bb);
    }
    return {p, nullptr, nullptr};
}

Val KernelBuilder::call(const ir::Expr& e) {
    const StdlibSignature* sig = findStdlibSignature(e.callee);
    if (sig == nullptr) {
        error("the standard library has no function '" + e.callee + "'");
        return zero(e.type);
    }
    if (sig->params.size() != e.args.size()) {
        error("'" + e.callee + "' takes " + std::to_string(sig->params.size()) +
              " arguments, not " + std::to_string(e.args.size()));
        return zero(e.type);
    }
    std::vector<llvm::Type*> types;
    std::vector<llvm::Value*> values;
    if (sig->shape != CallShape::Pure) {
        types.push_back(cx_.ptr);
        values.push_back(ctx_);
    }
    if (sig->enumIdFirst) {
        types.push_back(cx_.i32);
        values.push_back(i32(e.args.empty() ? -1 : e.args[0]->type.enumId));
    }
    for (std::size_t i = 0; i < e.args.size(); ++i) {
        const ir::Type& t = e.args[i]->type;
        Val v = expr(*e.args[i]);
        switch (sig->params[i]) {
        case CType::Str:
            types.push_back(cx_.ptr);
            types.push_back(cx_.i64);
            values.push_back(v.v);
            values.push_back(v.len);
            break;
        case CType::I32:
            types.push_back(cx_.i32);
            values.push_back(b_.CreateZExtOrTrunc(v.v, cx_.i32));
            break;
        case CType::I64:
            types.push_back(cx_.i64);
            values.push_back(convertScalar(v.v, t.scalar, ir::Scalar::Int));
            break;
        case CType::F64:
            types.push_back(cx_.f64);
            values.push_back(convertScalar(v.v, t.scalar, ir::Scalar::Float));
            break;
        }
    }
    std::string fn = "flowrt_" + std::string(sig->callee);
    auto resultType = [&](CType c) -> llvm::Type* {
        switch (c) {
        case CType::I32:
            return cx_.i32;
        case CType::I64:
            return cx_.i64;
        case CType::F64:
            return cx_.f64;
        case CType::Str:
            return cx_.str;
        }
        return cx_.i64;
    };
    auto split = [&](llvm::Value* r, CType c) -> Val {
        if (c == CType::Str) {
            return {b_.CreateExtractValue(r, 0), b_.CreateExtractValue(r, 1), nullptr};
        }
        if (sig->returnsFlag) {
            return {b_.CreateICmpNE(r, i32(0)), nullptr, nullptr};
        }
        return {r, nullptr, nullptr};
    };
    if (sig->shape != CallShape::Fallible) {
        llvm::Value* r = b_.CreateCall(
            cx_.runtime(fn, llvm::FunctionType::get(resultType(sig->result), types, false)),
            values);
        return split(r, sig->result);
    }
    // flowrt_f(ctx, args..., &out, site): FLOW_OK, or FLOW_ERROR after flowrt_fail.
    llvm::Value* out = local(sig->result == CType::Str ? 16 : 8, "out");
    types.push_back(cx_.ptr);
    values.push_back(out);
    types.push_back(cx_.i32);
    values.push_back(i32(e.site));
    llvm::Value* status = b_.CreateCall(
        cx_.runtime(fn, llvm::FunctionType::get(cx_.i32, types, false)), values, "status");
    llvm::BasicBlock* failed = block("call.failed");
    llvm::BasicBlock* ok = block("call.ok");
    llvm::MDBuilder md(cx_.context);
    b_.CreateCondBr(b_.CreateICmpNE(status, i32(FLOW_OK)), failed, ok,
                    md.createBranchWeights(1, 1 << 20));
    b_.SetInsertPoint(failed);
    b_.CreateRet(i32(FLOW_ERROR));
    b_.SetInsertPoint(ok);
    return loadScalar(out, 0, sig->result == CType::Str ? ir::Scalar::String : ir::Scalar::Int);
}

}  // namespace

void buildKernel(ModuleContext& cx, const ir::Kernel& k, llvm::Function* fn) {
    KernelBuilder(cx, k, fn).build();
}

}  // namespace flow::llvmgen
