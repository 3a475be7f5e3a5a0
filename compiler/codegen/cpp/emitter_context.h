// codegen/cpp/emitter_context.h - what every part of the C++ emitter shares: the
// program, the C++ names of its layouts, and the errors found.
#pragma once

#include "codegen/cpp/cpp_names.h"
#include "ir/ir.h"
#include "support/code_printer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace flow::cppgen {

struct EmitterContext {
    explicit EmitterContext(const ir::Program& p);

    const ir::Program& program;
    /// Per layout: its struct's name (mangled) and its module's namespace (mangled), so
    /// `moduleOf[l] + "::" + structOf[l]` names it inside `namespace flow_gen`.
    std::vector<std::string> structOf;
    std::vector<std::string> moduleOf;
    /// Per layout: the kernel that fills a row of it with defaults, or -1.
    std::vector<std::int32_t> defaultsOf;
    std::vector<std::string> errors;

    const ir::Layout& layout(std::int32_t id) const {
        return program.layouts[static_cast<std::size_t>(id)];
    }
    std::string structName(std::int32_t layout) const;  // "f_shop::f_StockZ_Inventory"
    /// The namespace (mangled) of a service's module, and of the service a qualified
    /// name ("Orders.OrderState") starts with.
    std::string moduleOfService(std::int32_t service) const;
    std::string moduleOfName(const std::string& qualified) const;
    std::string fieldName(std::int32_t layout, std::int32_t field) const;
    void error(std::string message) { errors.push_back(std::move(message)); }
};

/// C++ spellings of IR types inside `namespace flow_gen`.
std::string scalarType(ir::Scalar s);                                // "int64_t", "FlowStr"
std::string valueType(const EmitterContext& cx, const ir::Type& t);  // "Opt<double>", "const X*"

/// The row structs of every layout, grouped by module, each with its static_asserts.
void emitRowStructs(EmitterContext& cx, CodePrinter& p);

/// One `extern "C"` function per kernel, in id order.
void emitKernels(EmitterContext& cx, CodePrinter& p);

}  // namespace flow::cppgen
