// sema/compat.cpp - `flowc compat OLD NEW` (see compat.h and docs/diagnostics.md E0603).
#include "sema/compat.h"

#include "ast/decl.h"

#include <set>
#include <string>

namespace flow::sema {

namespace {

class CompatChecker {
public:
    CompatChecker(const SemaResult& old, const SemaResult& neu, DiagnosticEngine& diags)
        : old_(old), neu_(neu), diags_(diags) {}

    int run() {
        for (const ServiceInfo* os : old_.services) {
            auto it = neu_.serviceByName.find(os->name);
            const ServiceInfo* ns = it == neu_.serviceByName.end() ? nullptr : it->second;
            for (const EventInfo* oe : os->events) {
                if (!oe->isStream()) {
                    event(*oe, ns);
                }
            }
        }
        return compared_;
    }

private:
    void event(const EventInfo& oe, const ServiceInfo* ns) {
        const EventInfo* ne = nullptr;
        if (ns != nullptr) {
            for (const EventInfo* e : ns->events) {
                if (e->name == oe.name) {
                    ne = e;
                }
            }
        }
        if (ne == nullptr || ne->isStream()) {
            diags_.report(DiagCode::E0603, oe.declRange(),
                          "event '" + oe.qualifiedName() + "' is removed" +
                              (ne != nullptr ? " (NEW declares a stream of that name)" : ""));
            return;
        }
        for (const auto& ov : oe.versions) {
            const EventVersion* nv = ne->version(ov->version);
            std::string what = "event '" + oe.qualifiedName() + "' v" + std::to_string(ov->version);
            if (nv == nullptr) {
                diags_.report(DiagCode::E0603, ne->declRange(), what + " is removed")
                    .note(ov->decl->name.range, "OLD declares it here");
                continue;
            }
            ++compared_;
            version(what, *ov, *nv);
        }
    }

    void version(const std::string& what, const EventVersion& ov, const EventVersion& nv) {
        const auto& oc = ov.row.columns;
        const auto& nc = nv.row.columns;
        auto report = [&](SourceRange where, const std::string& why) {
            diags_.report(DiagCode::E0603, where, what + ": " + why)
                .note(ov.decl->name.range, "OLD declares it here")
                .note("declare a new version with an upcast instead of changing a stored one");
        };
        // Enum values first: their indices are stored whatever happens to the fields.
        for (const Column& a : oc) {
            const Column* b = nv.row.find(a.name);
            if (b != nullptr && a.type.kind() == TypeKind::Enum &&
                b->type.kind() == TypeKind::Enum) {
                enumValues(a.type.enumInfo(), b->type.enumInfo(), b->range);
            }
        }
        for (std::size_t i = 0; i < oc.size(); ++i) {
            const Column& a = oc[i];
            const Column* b = nv.row.find(a.name);
            if (b == nullptr) {
                report(nv.decl->name.range, "field '" + a.name + "' is removed");
                return;
            }
            if (a.type.spelling() != b->type.spelling()) {
                report(b->range, "field '" + a.name + "' changes type from '" + a.type.spelling() +
                                     "' to '" + b->type.spelling() + "'");
                return;
            }
            if (a.isKey != b->isKey) {
                report(b->range, "field '" + a.name + "' " +
                                     (a.isKey ? "is no longer the key" : "becomes the key"));
                return;
            }
            if (i >= nc.size() || nc[i].name != a.name) {
                report(b->range,
                       "field '" + a.name + "' moves from position " + std::to_string(i + 1));
                return;
            }
        }
        if (nc.size() > oc.size()) {
            report(nc[oc.size()].range, "field '" + nc[oc.size()].name + "' is added");
        }
    }

    void enumValues(const EnumInfo* a, const EnumInfo* b, SourceRange where) {
        if (a == nullptr || b == nullptr || !checkedEnums_.insert(a).second) {
            return;
        }
        for (std::size_t i = 0; i < a->values.size(); ++i) {
            int j = b->indexOf(a->values[i]);
            if (j != static_cast<int>(i)) {
                std::string why = j < 0 ? "value '" + a->values[i] + "' is removed"
                                        : "value '" + a->values[i] + "' was at index " +
                                              std::to_string(i) + ", now at " + std::to_string(j);
                diags_
                    .report(DiagCode::E0603, b->decl != nullptr ? b->decl->name.range : where,
                            "enum '" + a->qualifiedName() + "': " + why)
                    .note("stored events hold an enum value's index: append new values at the "
                          "end");
                return;
            }
        }
    }

    const SemaResult& old_;
    const SemaResult& neu_;
    DiagnosticEngine& diags_;
    std::set<const EnumInfo*> checkedEnums_;
    int compared_ = 0;
};

}  // namespace

int checkCompat(const SemaResult& old, const SemaResult& neu, DiagnosticEngine& diags) {
    return CompatChecker(old, neu, diags).run();
}

}  // namespace flow::sema
