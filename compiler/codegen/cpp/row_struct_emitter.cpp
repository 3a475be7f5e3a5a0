// codegen/cpp/row_struct_emitter.cpp - a C++ struct per ABI layout, checked by static_asserts.
//
// The ABI (abi.h) lays fields out in order at their natural alignment and rounds the
// size up to a multiple of 8; a C++ struct of the same members with alignas(8) has
// exactly that layout on every target we support, and the asserts prove it. The struct's
// `kLayout` (a static member: no storage) names its layout for the codecs of program.h.
#include "codegen/cpp/emitter_context.h"

#include <algorithm>
#include <map>

namespace flow::cppgen {

void emitRowStructs(EmitterContext& cx, CodePrinter& p) {
    // module namespace -> (struct name, layout id), both sorted.
    std::map<std::string, std::map<std::string, std::int32_t>> modules;
    for (const ir::Layout& l : cx.program.layouts) {
        auto& structs = modules[cx.moduleOf[static_cast<std::size_t>(l.id)]];
        const std::string& name = cx.structOf[static_cast<std::size_t>(l.id)];
        if (!structs.emplace(name, l.id).second) {
            cx.error("two layouts are both named '" + l.name + "'");
        }
    }
    for (const auto& [module, structs] : modules) {
        p.emit({{"module", module}}, R"cc(
            namespace flow_gen::$module$ {

        )cc");
        for (const auto& [name, id] : structs) {
            const ir::Layout& l = cx.layout(id);
            p.emit({{"name", name},
                    {"id", id},
                    {"size", l.size},
                    {"fields",
                     [&] {
                         for (std::size_t f = 0; f < l.fields.size(); ++f) {
                             p.emit({{"type", valueType(cx, l.fields[f].type)},
                                     {"field", cx.fieldName(id, static_cast<std::int32_t>(f))}},
                                    R"cc(
                                        $type$ $field$;
                                    )cc");
                         }
                     }}},
                   R"cc(
                       /// Layout #$id$.
                       struct alignas(8) $name$ {
                           static constexpr int32_t kLayout = $id$;  //~ for program.h's codecs
                           $fields$
                       };
                       static_assert(sizeof($name$) == $size$);
                   )cc");
            for (std::size_t f = 0; f < l.fields.size(); ++f) {
                p.emit({{"name", name},
                        {"field", cx.fieldName(id, static_cast<std::int32_t>(f))},
                        {"offset", l.fields[f].offset}},
                       R"cc(
                           static_assert(offsetof($name$, $field$) == $offset$);
                       )cc");
            }
            p.blankLine();
        }
        p.emit({{"module", module}}, R"cc(
            }  // namespace flow_gen::$module$

        )cc");
    }
}

}  // namespace flow::cppgen
