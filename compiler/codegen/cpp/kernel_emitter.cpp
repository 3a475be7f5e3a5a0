// codegen/cpp/kernel_emitter.cpp - kernels as `extern "C"` functions: the frame, the
// argument rows and the statements (see kernel_emitter.h).
#include "codegen/cpp/kernel_emitter.h"

#include "support/internal_error.h"

namespace flow::cppgen {

void emitKernels(EmitterContext& cx, CodePrinter& p) {
    for (const ir::Kernel& k : cx.program.kernels) {
        KernelEmitter(cx, k).emit(p);
        p.blankLine();
    }
}

void KernelEmitter::emit(CodePrinter& out) {
    usesArg_.assign(k_.args.size(), false);
    CodePrinter body;
    p_ = &body;
    stmts(k_.body);
    if (!alwaysReturns(k_.body)) {
        body.emit("return FLOW_OK;");
    }
    std::string text = body.take();
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    bool anyArg = false;
    for (bool used : usesArg_) {
        anyArg = anyArg || used;
    }
    auto decls = [&] {
        for (std::size_t i = 0; i < k_.args.size(); ++i) {
            if (!usesArg_[i]) {
                continue;
            }
            const ir::KernelArg& a = k_.args[i];
            std::string type = a.envelope ? "FlowEnvelope" : cx_.structName(a.layout);
            const char* tmpl =
                a.envelope   ? "const $type$& $a$ = *static_cast<const $type$*>(args[$i$]);"
                : a.optional ? "const $type$* $a$ = static_cast<const $type$*>(args[$i$]);"
                : a.writable ? "$type$& $a$ = *static_cast<$type$*>(args[$i$]);"
                             : "const $type$& $a$ = *static_cast<const $type$*>(args[$i$]);";
            out.emit({{"type", type}, {"a", "a" + std::to_string(i)}, {"i", i}}, tmpl);
        }
    };
    out.emit({{"id", k_.id},
              {"kind", ir::kernelKindName(k_.kind)},
              {"name", mangle(k_.name)},
              {"ctx", usesCtx_ ? "FlowCtx* ctx" : "FlowCtx*"},
              {"args", anyArg ? "void** args" : "void**"},
              {"decls", decls},
              {"body", text}},
             R"cc(
                 /// Kernel #$id$ ($kind$).
                 extern "C" int32_t $name$($ctx$, $args$) {
                     $decls$
                     $body$
                 }
             )cc");
}

bool KernelEmitter::alwaysReturns(const std::vector<ir::StmtPtr>& body) {
    if (body.empty()) {
        return false;
    }
    const ir::Stmt& last = *body.back();
    switch (last.op) {
    case ir::StmtOp::Return:
    case ir::StmtOp::Delete:
        return true;
    case ir::StmtOp::If:
        return alwaysReturns(last.then) && alwaysReturns(last.otherwise);
    default:
        return false;
    }
}

void KernelEmitter::stmts(const std::vector<ir::StmtPtr>& body) {
    for (const auto& s : body) {
        stmt(*s);
    }
}

void KernelEmitter::stmt(const ir::Stmt& s) {
    switch (s.op) {
    case ir::StmtOp::Set: {
        const ir::KernelArg& a = k_.args[static_cast<std::size_t>(s.arg)];
        const ir::Type& type = cx_.layout(a.layout).fields[static_cast<std::size_t>(s.field)].type;
        Value v = convert(expr(*s.value), s.value->type, type);
        p_->emit({{"arg", argName(s.arg)},
                  {"field", cx_.fieldName(a.layout, s.field)},
                  {"value", v.code}},
                 R"cc(
                     $arg$.$field$ = $value$;
                 )cc");
        return;
    }
    case ir::StmtOp::If: {
        Value cond = expr(*s.value);
        auto then = [&] {
            stmts(s.then);
        };
        auto otherwise = [&] {
            stmts(s.otherwise);
        };
        if (s.otherwise.empty()) {
            p_->emit({{"cond", cond.code}, {"then", then}}, R"cc(
                if ($cond$) {
                    $then$
                }
            )cc");
        } else {
            p_->emit({{"cond", cond.code}, {"then", then}, {"otherwise", otherwise}}, R"cc(
                if ($cond$) {
                    $then$
                } else {
                    $otherwise$
                }
            )cc");
        }
        return;
    }
    case ir::StmtOp::Require: {
        Value cond = expr(*s.cond);
        std::string prelude;
        Value message = lazy(*s.value, prelude);  // built only when the command is rejected
        p_->emit({{"cond", paren(cond)},
                  {"prelude", prelude},
                  {"ctx", ctx()},
                  {"message", message.code}},
                 R"cc(
                     if (!$cond$) {
                         $prelude$
                         flowrt_reject($ctx$, $message$);
                         return FLOW_REJECTED;
                     }
                 )cc");
        return;
    }
    case ir::StmtOp::Emit:
        emitEmit(s);
        return;
    case ir::StmtOp::Delete:
        // The handler ends here: the row is gone, so nothing after could change it.
        p_->emit("return FLOW_DELETE;");
        return;
    case ir::StmtOp::Return:
        emitReturn(s);
        return;
    }
    FLOW_UNREACHABLE("unknown IR statement");
}

void KernelEmitter::emitEmit(const ir::Stmt& s) {
    if (s.event < 0 || static_cast<std::size_t>(s.event) >= cx_.program.events.size()) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": emit of an event out of range");
        return;
    }
    const ir::Event& event = cx_.program.events[static_cast<std::size_t>(s.event)];
    std::int32_t layout = event.versions.back().layout;
    const ir::Layout& l = cx_.layout(layout);
    std::vector<Value> values;
    for (std::size_t i = 0; i < s.values.size(); ++i) {
        Value v = expr(*s.values[i]);
        if (i < l.fields.size()) {
            v = convert(v, s.values[i]->type, l.fields[i].type);
        }
        values.push_back(v);
    }
    std::string row = localRow(layout, values);
    p_->emit({{"ctx", ctx()}, {"event", s.event}, {"row", row}}, R"cc(
        flowrt_emit($ctx$, $event$, &$row$);
    )cc");
}

void KernelEmitter::emitReturn(const ir::Stmt& s) {
    Value v = expr(*s.value);
    const ir::Type& type = s.value->type;
    if (k_.kind != ir::KernelKind::QueryExpr) {
        // Predicates and test expectations: true is FLOW_OK, false FLOW_FALSE.
        p_->emit({{"v", paren(v)}}, R"cc(
            return $v$ ? FLOW_OK : FLOW_FALSE;
        )cc");
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
        cx_.error("kernel #" + std::to_string(k_.id) + ": a query kernel without an out row");
        return;
    }
    std::int32_t outLayout = k_.args[static_cast<std::size_t>(out)].layout;
    if (!type.isRow()) {
        const ir::Type& fieldType = cx_.layout(outLayout).fields.at(0).type;
        p_->emit({{"out", argName(out)},
                  {"field", cx_.fieldName(outLayout, 0)},
                  {"v", convert(v, type, fieldType).code}},
                 R"cc(
                     $out$.$field$ = $v$;
                     return FLOW_OK;
                 )cc");
        return;
    }
    if (type.layout != outLayout) {
        cx_.error("kernel #" + std::to_string(k_.id) + ": returns a row of layout #" +
                  std::to_string(type.layout) + " into layout #" + std::to_string(outLayout));
        return;
    }
    std::string rowValue =
        v.code.size() > 1 && v.code[0] == '&' ? v.code.substr(1) : "*" + paren(v);
    if (type.optional) {
        p_->emit({{"v", v.code}}, R"cc(
            if ($v$ == nullptr) {
                return FLOW_FALSE;
            }
        )cc");
    }
    p_->emit({{"out", argName(out)}, {"row", rowValue}}, R"cc(
        $out$ = $row$;
        return FLOW_OK;
    )cc");
}

}  // namespace flow::cppgen
