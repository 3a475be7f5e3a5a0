// sema/symbols.h - what sema knows about each declaration, and its side tables.
#pragma once

#include "ast/decl.h"
#include "sema/types.h"

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace flow::sema {

struct ServiceInfo;
struct EventInfo;
struct TableInfo;

struct EnumInfo {
    ServiceInfo* service = nullptr;
    const ast::EnumDecl* decl = nullptr;
    std::string name;
    std::vector<std::string> values;

    std::string qualifiedName() const;
    int indexOf(const std::string& value) const;
};

struct EventVersion {
    int version = 1;
    const ast::EventDecl* decl = nullptr;
    RowType row;
    int keyIndex = -1;  // -1 when the event does not have exactly one key (E0401)
    /// The upcast from the previous declared version into this one, if any.
    const ast::UpcastDecl* upcastFrom = nullptr;
};

/// A declared event (with its versions) or a stream: a derived event type.
struct EventInfo {
    ServiceInfo* service = nullptr;
    std::string name;
    std::vector<std::unique_ptr<EventVersion>> versions;  // ascending; streams have one
    const ast::StreamDecl* stream = nullptr;
    RowType streamRow;  // for streams: the selected fields

    bool isStream() const { return stream != nullptr; }
    const RowType& row() const { return stream ? streamRow : versions.back()->row; }
    int keyIndex() const;
    const Column* key() const;
    const EventVersion* version(int v) const;
    std::string qualifiedName() const;
    SourceRange declRange() const;
};

struct TableInfo {
    ServiceInfo* service = nullptr;
    const ast::TableDecl* decl = nullptr;
    std::string name;
    /// Key columns first (in key order), then the value columns. For view tables the
    /// key columns are the selected group-by expressions (or the source's key).
    RowType row;
    /// The key types in order (a view table's key may include a group-by expression
    /// that is not selected, and a windowed table's key ends with window.start).
    std::vector<Type> keyTypes;
    std::vector<std::string> keyNames;  // "" for an unselected key expression
    bool windowed = false;

    bool isView() const { return decl->isView(); }
    std::string qualifiedName() const;
};

struct CommandInfo {
    ServiceInfo* service = nullptr;
    const ast::CommandDecl* decl = nullptr;
    std::string name;
    std::vector<Column> params;
    std::vector<const EventInfo*> emits;
    std::string qualifiedName() const;
};

struct QueryInfo {
    ServiceInfo* service = nullptr;
    const ast::QueryDecl* decl = nullptr;
    std::string name;
    std::vector<Column> params;
    Type result;
    RowType resultRow;  // for `from` queries with a select
    std::string qualifiedName() const;
};

struct ReactionInfo {
    ServiceInfo* service = nullptr;
    const ast::ReactionDecl* decl = nullptr;
    const EventInfo* trigger = nullptr;
    std::vector<const EventInfo*> emits;
};

enum class SymbolKind : std::uint8_t { Enum, Event, Table, Command, Query };

struct Symbol {
    SymbolKind kind;
    void* info;
    SourceRange range;  // the declaring name
};

struct ServiceInfo {
    std::string name;
    const ast::ServiceDecl* decl = nullptr;
    const ast::File* file = nullptr;
    std::map<std::string, Symbol> members;  // every named member: one namespace
    std::vector<EnumInfo*> enums;
    std::vector<EventInfo*> events;  // declared events and streams, in source order
    std::vector<TableInfo*> tables;
    std::vector<CommandInfo*> commands;
    std::vector<QueryInfo*> queries;
    std::vector<ReactionInfo*> reactions;
    /// Events and streams of any service this service consumes (on/from/join), by name.
    std::map<std::string, const EventInfo*> subscriptions;

    const Symbol* find(const std::string& member) const;
};

struct BuiltinInfo {
    std::string name;
    std::vector<Type> params;
    Type result;
    const ast::BuiltinDecl* decl = nullptr;
};

/// What a name or member expression refers to, for later phases.
enum class RefKind : std::uint8_t {
    None,
    Variable,   // an event alias, a parameter, a source alias or `old`
    Field,      // a field of the current fold-table row (in a handler)
    Member,     // a field of a row value (`e.qty`)
    Envelope,   // an envelope field of an event value (`e.time`)
    EnumValue,  // `Reserved`, `OrderState.Reserved`
    Table,      // the base of `T[k]`
    Query,      // a query called in a test
    Builtin,    // a standard library function
    Aggregate,  // count, sum, ...
    Window,     // window.start / window.end
    Entity,     // a service or enum name used as a qualifier
};

struct Ref {
    RefKind kind = RefKind::None;
    const void* target = nullptr;  // TableInfo*, QueryInfo*, EnumInfo*, BuiltinInfo*, ...
    int index = -1;                // field index, enum value index; for an Entity its
                                   // SymbolKind, or kServiceEntity
};

inline constexpr int kServiceEntity = 100;

struct TestInfo {
    const ast::TestDecl* decl = nullptr;
    ServiceInfo* service = nullptr;  // null for a top-level test
};

/// The result of semantic analysis: symbol tables and per-expression side tables.
class SemaResult {
public:
    std::vector<ServiceInfo*> services;  // in source order
    std::map<std::string, ServiceInfo*> serviceByName;
    std::vector<BuiltinInfo*> builtins;
    std::vector<TestInfo> tests;
    /// Derived streams and view tables in dependency order (sources first).
    std::vector<const void*> derivedOrder;

    std::vector<Type> exprTypes;  // indexed by ast::Expr::id
    std::vector<Ref> exprRefs;

    const Type& typeOf(const ast::Expr& e) const { return exprTypes[e.id]; }
    const Ref& refOf(const ast::Expr& e) const { return exprRefs[e.id]; }

    template <typename T, typename... Args>
    T* make(Args&&... args) {
        auto p = std::make_shared<T>(std::forward<Args>(args)...);
        T* raw = p.get();
        storage_.push_back(std::move(p));
        return raw;
    }

private:
    std::vector<std::shared_ptr<void>> storage_;
};

}  // namespace flow::sema
