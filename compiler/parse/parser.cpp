// parse/parser.cpp - lexing, the ANTLR parse and its error reporting, and the AST builder.
#include "parse/parser.h"

#include "ast/decl.h"
#include "support/text.h"

#include <FlowLexer.h>
#include <FlowParser.h>
#include <antlr4-runtime.h>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace flow::parse {

using antlr4::Token;
using G = FlowParser;
using L = FlowLexer;

namespace {

// ---- Offsets -----------------------------------------------------------------------

/// ANTLR counts code points; diagnostics and the AST use byte offsets.
class OffsetMap {
public:
    OffsetMap(FileId file, std::string_view text)
        : file_(file), size_(static_cast<std::uint32_t>(text.size())) {
        bool ascii = true;
        for (char c : text) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (!ascii) {
            for (std::uint32_t i = 0; i < text.size(); ++i) {
                if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                    map_.push_back(i);
                }
            }
            map_.push_back(size_);
        }
    }

    std::uint32_t byte(std::size_t cp) const {
        if (map_.empty()) {
            return static_cast<std::uint32_t>(std::min<std::size_t>(cp, size_));
        }
        return cp < map_.size() ? map_[cp] : size_;
    }

    SourceRange token(const Token* t) const {
        if (t == nullptr) {
            return {};
        }
        if (t->getType() == Token::EOF) {
            return {{file_, size_}, size_};
        }
        return {{file_, byte(t->getStartIndex())}, byte(t->getStopIndex() + 1)};
    }

    SourceRange rule(antlr4::ParserRuleContext* ctx) const {
        if (ctx == nullptr) {
            return {};
        }
        SourceRange b = token(ctx->getStart());
        const Token* stop = ctx->getStop();
        if (stop == nullptr || stop->getTokenIndex() < ctx->getStart()->getTokenIndex()) {
            return {b.begin, b.begin.offset};
        }
        return {b.begin, token(stop).end};
    }

    FileId file() const { return file_; }

private:
    FileId file_;
    std::uint32_t size_;
    std::vector<std::uint32_t> map_;
};

// ---- Syntax errors -----------------------------------------------------------------

struct SyntaxError {
    std::size_t tokenIndex;
    SourceRange range;
    std::string message;
    std::string note;       // empty: none
    bool topLevel = false;  // an unknown word where a declaration should start
};

std::string describeToken(const Token* t) {
    if (t == nullptr || t->getType() == Token::EOF) {
        return "end of file";
    }
    std::string text = t->getText();
    if (text.size() > 40) {
        text = text.substr(0, 37) + "...";
    }
    return "'" + text + "'";
}

std::string tokenKindName(std::size_t type, const antlr4::dfa::Vocabulary& vocab) {
    switch (type) {
    case Token::EOF:
        return "end of file";
    case L::ID:
        return "identifier";
    case L::INT:
        return "integer";
    case L::FLOAT:
        return "float";
    case L::STRING:
        return "string";
    case L::DURATION:
        return "duration";
    case L::TIMESTAMP:
        return "timestamp";
    default:
        break;
    }
    std::string lit = vocab.getLiteralName(type);
    return lit.empty() ? vocab.getSymbolicName(type) : lit;
}

/// "expression", "identifier or ';'": the expected set in words, small sets spelt out.
std::string describeExpected(const antlr4::misc::IntervalSet& set,
                             const antlr4::dfa::Vocabulary& vocab) {
    static const std::vector<std::size_t> exprStart = {
        L::INT, L::FLOAT, L::STRING, L::TRUE,   L::FALSE, L::NONE,  L::DURATION, L::TIMESTAMP,
        L::ID,  L::COUNT, L::WINDOW, L::LPAREN, L::BANG,  L::MINUS, L::EXISTS};
    std::vector<std::size_t> types;
    for (auto t : set.toList()) {
        types.push_back(static_cast<std::size_t>(t));
    }
    auto has = [&](std::size_t t) {
        return std::find(types.begin(), types.end(), t) != types.end();
    };
    std::vector<std::string> words;
    bool isExpr = std::all_of(exprStart.begin(), exprStart.end(), has);
    // After a dot every reserved word is also a name: collapse them.
    bool isMember = has(L::ID) && has(L::TIME) && has(L::SERVICE);
    if (isExpr) {
        words.emplace_back("expression");
    } else if (isMember) {
        words.emplace_back("name");
    }
    for (std::size_t t : types) {
        if (isExpr && std::find(exprStart.begin(), exprStart.end(), t) != exprStart.end()) {
            continue;
        }
        if (isMember && (t == L::ID || (t >= L::MODULE && t <= L::NONE))) {
            continue;
        }
        words.push_back(tokenKindName(t, vocab));
    }
    if (words.empty()) {
        return "something else";
    }
    constexpr std::size_t kMaxShown = 6;
    std::string out;
    std::size_t shown = std::min(words.size(), kMaxShown);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) {
            out += (i + 1 == shown && words.size() <= kMaxShown) ? " or " : ", ";
        }
        out += words[i];
    }
    if (words.size() > kMaxShown) {
        out += ", ...";
    }
    return out;
}

/// Reports in our words ("expected ';', found 'x'") instead of ANTLR's console messages,
/// and records errors for the caller instead of printing them.
class FlowErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
    static constexpr std::size_t kMaxSyntaxErrors = 1000;

    FlowErrorStrategy(const OffsetMap& offsets, std::vector<SyntaxError>& errors)
        : offsets_(offsets), errors_(errors) {}

protected:
    void reportNoViableAlternative(antlr4::Parser* p,
                                   const antlr4::NoViableAltException& e) override {
        // The parser's expected set is the one at the start of the decision; when the
        // decision failed further on (`emitt E { }`: an assignment needed '=' after
        // 'emitt'), the tokens that were still possible there are the better answer.
        antlr4::misc::IntervalSet expected;
        if (e.getDeadEndConfigs() != nullptr && e.getStartToken() != e.getOffendingToken()) {
            for (const auto& config : e.getDeadEndConfigs()->configs) {
                expected.addAll(p->getATN().nextTokens(config->state));
            }
            expected.remove(Token::EPSILON);
        }
        if (expected.isEmpty()) {
            expected = p->getExpectedTokens();
        }
        add(p, e.getOffendingToken(), expected);
    }
    void reportInputMismatch(antlr4::Parser* p, const antlr4::InputMismatchException& e) override {
        add(p, e.getOffendingToken(), e.getExpectedTokens());
    }
    void reportFailedPredicate(antlr4::Parser* p,
                               const antlr4::FailedPredicateException& e) override {
        add(p, e.getOffendingToken(), p->getExpectedTokens());
    }
    void reportUnwantedToken(antlr4::Parser* p) override {
        if (inErrorRecoveryMode(p)) {
            return;
        }
        beginErrorCondition(p);
        add(p, p->getCurrentToken(), getExpectedTokens(p));
    }
    void reportMissingToken(antlr4::Parser* p) override {
        if (inErrorRecoveryMode(p)) {
            return;
        }
        beginErrorCondition(p);
        add(p, p->getCurrentToken(), getExpectedTokens(p));
    }

private:
    void add(antlr4::Parser* p, Token* offending, const antlr4::misc::IntervalSet& expected) {
        // Recovery can find an error at every few tokens of a hopeless file; past this
        // many the parse stops (most are dropped as cascades anyway).
        if (errors_.size() >= kMaxSyntaxErrors) {
            throw antlr4::ParseCancellationException();
        }
        // An unknown word at the top level parses as the start of a stdlib 'builtin'
        // declaration; say what the user meant to write instead.
        for (antlr4::tree::ParseTree* c = p->getContext(); c != nullptr; c = c->parent) {
            auto* b = dynamic_cast<G::BuiltinDeclContext*>(c);
            if (b != nullptr && b->getStart() != nullptr && b->getStart()->getText() != "builtin") {
                Token* word = b->getStart();
                SyntaxError err{word->getTokenIndex(),
                                offsets_.token(word),
                                "expected a declaration ('service' or 'test'), found " +
                                    describeToken(word),
                                {},
                                true};
                if (auto m =
                        closestMatch(word->getText(), {"service", "test", "import", "module"})) {
                    err.note = "did you mean '" + *m + "'?";
                }
                errors_.push_back(std::move(err));
                return;
            }
        }
        // Where a top-level declaration may start, an identifier is expected only for the
        // stdlib's 'builtin' declarations: do not offer it to users.
        antlr4::misc::IntervalSet shown = expected;
        if (shown.contains(static_cast<std::size_t>(L::SERVICE)) &&
            shown.contains(static_cast<std::size_t>(L::TEST))) {
            shown.remove(static_cast<std::size_t>(L::ID));
        }
        std::string msg = "expected " + describeExpected(shown, p->getVocabulary()) + ", found " +
                          describeToken(offending);
        SourceRange where = offsets_.token(offending);
        // A missing ';' is reported right after the previous token, where it belongs,
        // rather than at the start of the next line.
        Token* prev =
            offending != nullptr ? previousOnChannel(p, offending->getTokenIndex()) : nullptr;
        if (prev != nullptr && offending != nullptr &&
            (offending->getType() == Token::EOF ||
             (offending->getLine() > prev->getLine() &&
              expected.contains(static_cast<std::size_t>(L::SEMI))))) {
            std::uint32_t end = offsets_.token(prev).end;
            where = {{offsets_.file(), end}, end};
        }
        errors_.push_back({offending ? offending->getTokenIndex() : 0, where, std::move(msg),
                           hint(offending, prev, expected, p->getVocabulary())});
    }

    /// The default-channel token before index `i` (comments are skipped).
    static Token* previousOnChannel(antlr4::Parser* p, std::size_t i) {
        auto* stream = dynamic_cast<antlr4::BufferedTokenStream*>(p->getTokenStream());
        if (stream == nullptr) {
            return nullptr;
        }
        while (i > 0) {
            Token* t = stream->get(--i);
            if (t->getChannel() == Token::DEFAULT_CHANNEL) {
                return t;
            }
        }
        return nullptr;
    }

    /// A note for common slips: a reserved word used as a name, or a misspelt keyword
    /// (the offending word itself, or the word before it: `emitt E { }`).
    static std::string hint(const Token* offending, const Token* prev,
                            const antlr4::misc::IntervalSet& expected,
                            const antlr4::dfa::Vocabulary& vocab) {
        if (offending == nullptr) {
            return {};
        }
        auto type = offending->getType();
        if (type >= L::MODULE && type <= L::NONE &&
            expected.contains(static_cast<std::size_t>(L::ID))) {
            return "'" + offending->getText() +
                   "' is a reserved word; it cannot name a declaration, field or variable";
        }
        auto keywordsIn = [&](const std::vector<ssize_t>& types) {
            std::vector<std::string> out;
            for (auto t : types) {
                if (t >= static_cast<ssize_t>(L::MODULE) && t <= static_cast<ssize_t>(L::NONE)) {
                    std::string lit = vocab.getLiteralName(static_cast<std::size_t>(t));
                    out.push_back(lit.substr(1, lit.size() - 2));
                }
            }
            return out;
        };
        std::vector<ssize_t> all;
        for (auto t = static_cast<ssize_t>(L::MODULE); t <= static_cast<ssize_t>(L::NONE); ++t) {
            all.push_back(t);
        }
        // Any keyword is a candidate only for words long enough that a match is no accident.
        constexpr std::size_t kMinWordForAnyKeyword = 3;
        if (type == L::ID) {
            const std::string& word = offending->getText();
            auto m = closestMatch(word, keywordsIn(expected.toList()));
            if (!m && word.size() >= kMinWordForAnyKeyword) {
                m = closestMatch(word, keywordsIn(all));
            }
            if (m) {
                return "did you mean '" + *m + "'?";
            }
        }
        if (prev != nullptr && prev->getType() == L::ID &&
            prev->getText().size() >= kMinWordForAnyKeyword) {
            if (auto m = closestMatch(prev->getText(), keywordsIn(all))) {
                return "did you mean '" + *m + "' instead of '" + prev->getText() + "'?";
            }
        }
        return {};
    }

    const OffsetMap& offsets_;
    std::vector<SyntaxError>& errors_;
};

/// Drops ANTLR's own console messages; every error goes through FlowErrorStrategy.
class SilentListener : public antlr4::BaseErrorListener {
public:
    void syntaxError(antlr4::Recognizer*, Token*, std::size_t, std::size_t, const std::string&,
                     std::exception_ptr) override {}
};

bool startsDeclaration(std::size_t type) {
    switch (type) {
    case L::SERVICE:
    case L::EVENT:
    case L::ENUM:
    case L::TABLE:
    case L::STREAM:
    case L::COMMAND:
    case L::QUERY:
    case L::UPCAST:
    case L::TEST:
    case L::ON:
    case L::IMPORT:
    case L::MODULE:
        return true;
    default:
        return false;
    }
}

// ---- Literal decoding ----------------------------------------------------------------

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// ---- The builder ---------------------------------------------------------------------

/// `ctx` as the labelled-alternative context T, or null. Alternative contexts are
/// leaf classes, so comparing the dynamic type is exact, and much cheaper than a
/// dynamic_cast chain walking the class hierarchy.
template <typename T>
T* as(antlr4::tree::ParseTree* ctx) {
    return ctx != nullptr && typeid(*ctx) == typeid(T) ? static_cast<T*>(ctx) : nullptr;
}

class AstBuilder {
public:
    AstBuilder(const SourceFile& file, const OffsetMap& offsets, ast::Program& program,
               DiagnosticEngine& diags, const ParseOptions& options)
        : file_(file), offsets_(offsets), program_(program), diags_(diags), options_(options) {}

    bool failed() const { return failed_; }
    std::vector<ast::Expr*> takeExprs() { return std::move(exprs_); }

    std::unique_ptr<ast::File> buildFile(G::FileContext* ctx) {
        auto f = std::make_unique<ast::File>();
        f->id = file_.id();
        f->isStdlib = options_.stdlib;
        if (auto* m = ctx->moduleDecl()) {
            f->module = ident(m->ident());
        }
        for (auto* imp : ctx->importDecl()) {
            ast::Import i;
            i.path = decodeString(imp->STRING()->getSymbol());
            i.range = range(imp);
            f->imports.push_back(std::move(i));
        }
        for (auto* top : ctx->topDecl()) {
            if (auto* s = top->serviceDecl()) {
                f->decls.push_back(service(s));
            } else if (auto* t = top->testDecl()) {
                f->decls.push_back(test(t));
            } else if (auto* b = top->builtinDecl()) {
                f->decls.push_back(builtin(b));
            }
        }
        return f;
    }

private:
    SourceRange range(antlr4::ParserRuleContext* ctx) const { return offsets_.rule(ctx); }
    SourceRange range(const Token* t) const { return offsets_.token(t); }
    SourceRange range(antlr4::tree::TerminalNode* n) const {
        return offsets_.token(n->getSymbol());
    }
    std::uint32_t nextId() { return program_.exprCount++; }

    /// Creates an expression node with the next id and records it in the file's list.
    template <typename T, typename... Args>
    std::unique_ptr<T> make(SourceRange r, Args&&... args) {
        auto e = std::make_unique<T>(r, nextId(), std::forward<Args>(args)...);
        exprs_.push_back(e.get());
        return e;
    }

    template <typename... Args>
    void error(DiagCode code, SourceRange where, const Args&... args) {
        failed_ = true;
        // A file of a million bad literals is not a million diagnostics.
        if (errorCount_ == kMaxErrors) {
            return;
        }
        Diagnostic& d = diags_.report(code, where, args...);
        if (++errorCount_ == kMaxErrors) {
            d.note("too many errors in this file; further ones are not reported");
        }
    }

    /// The source text of a range. Much cheaper than ANTLR's getText(), which builds a
    /// stringstream for every rule context (14% of a large check before this).
    std::string text(SourceRange r) const {
        return std::string(file_.text().substr(r.begin.offset, r.end - r.begin.offset));
    }
    std::string text(antlr4::ParserRuleContext* ctx) const { return text(range(ctx)); }
    std::string text(const Token* t) const { return text(range(t)); }
    std::string text(antlr4::tree::TerminalNode* n) const { return text(n->getSymbol()); }

    ast::Ident ident(G::IdentContext* ctx) {
        SourceRange r = range(ctx);
        return {text(r), r};
    }
    ast::Ident memberName(G::MemberNameContext* ctx) {
        SourceRange r = range(ctx);
        return {text(r), r};
    }

    ast::QualifiedName qualified(G::QualifiedNameContext* ctx) {
        ast::QualifiedName q;
        q.parts.push_back(ident(ctx->ident()));
        for (auto* m : ctx->memberName()) {
            q.parts.push_back(memberName(m));
        }
        q.range = range(ctx);
        return q;
    }

    ast::TypeRef typeRef(G::TypeRefContext* ctx) {
        ast::TypeRef t;
        t.name = qualified(ctx->qualifiedName());
        t.optional = ctx->QUESTION() != nullptr;
        t.range = range(ctx);
        return t;
    }

    int version(G::VersionContext* ctx) {
        std::string text = this->text(ctx);
        int v = 0;
        bool ok = text.size() >= 2 && text.size() <= 6 && text[0] == 'v' && text[1] != '0';
        if (ok) {
            auto res = std::from_chars(text.data() + 1, text.data() + text.size(), v);
            ok = res.ec == std::errc() && res.ptr == text.data() + text.size() && v >= 1;
        }
        if (!ok) {
            error(DiagCode::E0108, range(ctx), text);
            return 1;
        }
        return v;
    }

    // -- declarations

    ast::DeclPtr service(G::ServiceDeclContext* ctx) {
        auto s = std::make_unique<ast::ServiceDecl>(range(ctx));
        s->name = ident(ctx->ident());
        for (auto* m : ctx->member()) {
            // A member has exactly one child: dispatch on its type once, instead of
            // trying each generated accessor (each scans the children with casts).
            antlr4::tree::ParseTree* child = m->children.empty() ? nullptr : m->children[0];
            G::TableDeclContext* tableChild = nullptr;
            if (as<G::FoldTableContext>(child) != nullptr ||
                as<G::ViewTableContext>(child) != nullptr) {
                tableChild = static_cast<G::TableDeclContext*>(child);
            }
            if (auto* en = as<G::EnumDeclContext>(child)) {
                s->members.push_back(enumDecl(en));
            } else if (auto* e = as<G::EventDeclContext>(child)) {
                s->members.push_back(eventDecl(e));
            } else if (auto* u = as<G::UpcastDeclContext>(child)) {
                s->members.push_back(upcastDecl(u));
            } else if (auto* tb = tableChild) {
                s->members.push_back(tableDecl(tb));
            } else if (auto* st = as<G::StreamDeclContext>(child)) {
                auto decl = std::make_unique<ast::StreamDecl>(range(st));
                decl->name = ident(st->ident());
                decl->query = query(st->query());
                s->members.push_back(std::move(decl));
            } else if (auto* c = as<G::CommandDeclContext>(child)) {
                auto decl = std::make_unique<ast::CommandDecl>(range(c));
                decl->name = ident(c->ident());
                decl->params = params(c->paramList());
                decl->body = block(c->block());
                s->members.push_back(std::move(decl));
            } else if (auto* q = as<G::QueryDeclContext>(child)) {
                auto decl = std::make_unique<ast::QueryDecl>(range(q));
                decl->name = ident(q->ident());
                decl->params = params(q->paramList());
                if (q->query() != nullptr) {
                    decl->query = query(q->query());
                } else {
                    decl->expr = expr(q->expr());
                }
                s->members.push_back(std::move(decl));
            } else if (auto* r = as<G::ReactionDeclContext>(child)) {
                auto decl = std::make_unique<ast::ReactionDecl>(range(r));
                decl->handler.event = qualified(r->qualifiedName());
                if (r->ident() != nullptr) {
                    decl->handler.alias = ident(r->ident());
                }
                decl->handler.body = block(r->block());
                decl->handler.range = range(r);
                s->members.push_back(std::move(decl));
            } else if (auto* t = as<G::TestDeclContext>(child)) {
                s->members.push_back(test(t));
            }
        }
        return s;
    }

    ast::DeclPtr enumDecl(G::EnumDeclContext* ctx) {
        auto d = std::make_unique<ast::EnumDecl>(range(ctx));
        auto ids = ctx->ident();
        d->name = ident(ids[0]);
        for (std::size_t i = 1; i < ids.size(); ++i) {
            d->values.push_back(ident(ids[i]));
        }
        return d;
    }

    ast::FieldDecl field(G::FieldDeclContext* ctx) {
        ast::FieldDecl f;
        f.isKey = ctx->KEY() != nullptr;
        if (f.isKey) {
            f.keyRange = range(ctx->KEY());
        }
        f.name = ident(ctx->ident());
        f.type = typeRef(ctx->typeRef());
        if (ctx->expr() != nullptr) {
            f.defaultValue = expr(ctx->expr());
        }
        f.range = range(ctx);
        return f;
    }

    ast::DeclPtr eventDecl(G::EventDeclContext* ctx) {
        auto d = std::make_unique<ast::EventDecl>(range(ctx));
        d->name = ident(ctx->ident());
        if (auto* v = ctx->version()) {
            d->version = version(v);
            d->versionWritten = true;
            d->versionRange = range(v);
        }
        for (auto* f : ctx->fieldDecl()) {
            d->fields.push_back(field(f));
        }
        return d;
    }

    ast::DeclPtr upcastDecl(G::UpcastDeclContext* ctx) {
        auto d = std::make_unique<ast::UpcastDecl>(range(ctx));
        d->event = ident(ctx->ident());
        d->fromVersion = version(ctx->version(0));
        d->fromRange = range(ctx->version(0));
        d->toVersion = version(ctx->version(1));
        d->toRange = range(ctx->version(1));
        d->body = block(ctx->block());
        return d;
    }

    ast::Param param(G::ParamContext* ctx) {
        return {ident(ctx->ident()), typeRef(ctx->typeRef()), range(ctx)};
    }

    std::vector<ast::Param> params(G::ParamListContext* ctx) {
        std::vector<ast::Param> out;
        if (ctx != nullptr) {
            for (auto* p : ctx->param()) {
                out.push_back(param(p));
            }
        }
        return out;
    }

    ast::Handler handler(G::HandlerDeclContext* ctx) {
        ast::Handler h;
        h.event = qualified(ctx->qualifiedName());
        if (ctx->ident() != nullptr) {
            h.alias = ident(ctx->ident());
        }
        for (auto* e : ctx->expr()) {
            h.by.push_back(expr(e));
        }
        h.body = block(ctx->block());
        h.range = range(ctx);
        return h;
    }

    ast::DeclPtr tableDecl(G::TableDeclContext* ctx) {
        if (auto* f = as<G::FoldTableContext>(ctx)) {
            auto d = std::make_unique<ast::TableDecl>(ast::DeclKind::FoldTable, range(ctx));
            d->name = ident(f->ident());
            for (auto* p : f->param()) {
                d->keys.push_back(param(p));
            }
            for (auto* item : f->tableItem()) {
                if (auto* fd = item->fieldDecl()) {
                    d->fields.push_back(field(fd));
                } else if (auto* h = item->handlerDecl()) {
                    d->handlers.push_back(handler(h));
                }
            }
            return d;
        }
        auto* v = as<G::ViewTableContext>(ctx);
        auto d = std::make_unique<ast::TableDecl>(ast::DeclKind::ViewTable, range(ctx));
        d->name = ident(v->ident());
        d->query = query(v->query());
        return d;
    }

    ast::DeclPtr builtin(G::BuiltinDeclContext* ctx) {
        auto d = std::make_unique<ast::BuiltinDecl>(range(ctx));
        const std::string word = ctx->ID()->getText();
        if (word != "builtin") {
            // `frob f(x: int) -> int;` has the shape of a builtin but is no declaration.
            error(DiagCode::E0100, range(ctx->ID()),
                  "expected a declaration ('service' or 'test'), found '" + word + "'");
        } else if (!options_.stdlib) {
            error(DiagCode::E0107, range(ctx->ID()), word);
        }
        d->name = ident(ctx->ident());
        d->params = params(ctx->paramList());
        d->result = typeRef(ctx->typeRef());
        return d;
    }

    // -- queries

    ast::Source source(G::SourceContext* ctx) {
        ast::Source s;
        s.name = qualified(ctx->qualifiedName());
        if (ctx->ident() != nullptr) {
            s.alias = ident(ctx->ident());
        }
        s.range = range(ctx);
        return s;
    }

    std::unique_ptr<ast::Query> query(G::QueryContext* ctx) {
        auto q = std::make_unique<ast::Query>();
        q->range = range(ctx);
        q->from = source(ctx->source());
        for (auto* j : ctx->joinClause()) {
            ast::JoinClause jc;
            jc.left = j->LEFT() != nullptr;
            jc.source = source(j->source());
            jc.on = expr(j->expr(0));
            if (j->WITHIN() != nullptr) {
                jc.within = expr(j->expr(1));
            }
            jc.range = range(j);
            q->joins.push_back(std::move(jc));
        }
        if (auto* w = ctx->whereClause()) {
            q->where = expr(w->expr());
        }
        if (auto* w = ctx->windowClause()) {
            ast::WindowClause wc;
            wc.range = range(w);
            auto es = w->expr();
            std::size_t next = 0;
            if (w->TUMBLING() != nullptr) {
                wc.kind = ast::WindowKind::Tumbling;
                wc.size = expr(es[next++]);
            } else if (w->HOPPING() != nullptr) {
                wc.kind = ast::WindowKind::Hopping;
                wc.size = expr(es[next++]);
                wc.every = expr(es[next++]);
            } else {
                wc.kind = ast::WindowKind::Session;
                wc.size = expr(es[next++]);
            }
            if (w->GRACE() != nullptr && next < es.size()) {
                wc.grace = expr(es[next]);
            }
            q->window = std::move(wc);
        }
        if (auto* g = ctx->groupByClause()) {
            for (auto* e : g->expr()) {
                q->groupBy.push_back(expr(e));
            }
            q->groupByRange = range(g);
        }
        if (auto* s = ctx->selectClause()) {
            ast::SelectClause sc;
            sc.range = range(s);
            for (auto* item : s->selectItem()) {
                ast::SelectItem si;
                si.isKey = item->KEY() != nullptr;
                si.name = ident(item->ident());
                if (item->expr() != nullptr) {
                    si.value = expr(item->expr());
                }
                si.range = range(item);
                sc.items.push_back(std::move(si));
            }
            q->select = std::move(sc);
        }
        if (auto* o = ctx->orderClause()) {
            q->orderBy = expr(o->expr());
            q->descending = o->DESC() != nullptr;
            q->orderByRange = range(o);
        }
        if (auto* l = ctx->limitClause()) {
            q->limit = expr(l->expr());
        }
        return q;
    }

    // -- statements

    ast::Block block(G::BlockContext* ctx) {
        ast::Block b;
        b.range = range(ctx);
        for (auto* s : ctx->stmt()) {
            if (auto st = stmt(s)) {
                b.stmts.push_back(std::move(st));
            }
        }
        return b;
    }

    ast::StmtPtr stmt(G::StmtContext* ctx) {
        if (auto* s = as<G::IfStmtContext>(ctx)) {
            auto out = std::make_unique<ast::IfStmt>(range(ctx));
            out->cond = expr(s->expr());
            out->then = block(s->block(0));
            if (s->ifElse != nullptr) {
                ast::Block b;
                b.range = range(s->ifElse);
                if (auto nested = stmt(s->ifElse)) {
                    b.stmts.push_back(std::move(nested));
                }
                out->otherwise = std::move(b);
                out->elseIf = true;
            } else if (s->elseBlock != nullptr) {
                out->otherwise = block(s->elseBlock);
            }
            return out;
        }
        if (auto* s = as<G::RequireStmtContext>(ctx)) {
            auto out = std::make_unique<ast::RequireStmt>(range(ctx));
            out->cond = expr(s->expr(0));
            out->message = expr(s->expr(1));
            return out;
        }
        if (auto* s = as<G::EmitStmtContext>(ctx)) {
            auto out = std::make_unique<ast::EmitStmt>(range(ctx));
            out->event = qualified(s->qualifiedName());
            out->fields = record(s->recordLit());
            return out;
        }
        if (auto* s = as<G::AssignStmtContext>(ctx)) {
            auto out = std::make_unique<ast::AssignStmt>(range(ctx));
            out->target = ident(s->ident());
            switch (s->op->getType()) {
            case L::PLUS_ASSIGN:
                out->op = ast::AssignOp::Add;
                break;
            case L::MINUS_ASSIGN:
                out->op = ast::AssignOp::Sub;
                break;
            default:
                out->op = ast::AssignOp::Set;
                break;
            }
            out->value = expr(s->expr());
            return out;
        }
        if (auto* s = as<G::WordStmtContext>(ctx)) {
            // `delete` is not a reserved word (LANGUAGE.md §2), so it arrives as a name.
            if (text(s->ident()) == "delete") {
                return std::make_unique<ast::DeleteStmt>(range(ctx));
            }
            error(DiagCode::E0100, range(s->ident()),
                  "expected a statement (an assignment, 'if', 'require', 'emit' or 'delete'), "
                  "found '" +
                      s->ident()->getText() + "'");
            return nullptr;
        }
        return nullptr;
    }

    ast::RecordLit record(G::RecordLitContext* ctx) {
        ast::RecordLit r;
        r.range = range(ctx);
        for (auto* f : ctx->fieldInit()) {
            ast::FieldInit fi;
            fi.name = ident(f->ident());
            if (f->expr() != nullptr) {
                fi.value = expr(f->expr());
            }
            fi.range = range(f);
            r.fields.push_back(std::move(fi));
        }
        return r;
    }

    // -- expressions

    struct DepthGuard {
        explicit DepthGuard(std::uint32_t& d) : depth(d) { ++depth; }
        ~DepthGuard() { --depth; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;
        std::uint32_t& depth;
    };

    ast::ExprPtr placeholder(SourceRange r) { return make<ast::NoneLit>(r); }

    ast::ExprPtr expr(G::ExprContext* ctx) {
        SourceRange r = range(ctx);
        if (ctx == nullptr || tooDeep_) {
            return placeholder(r);
        }
        DepthGuard guard(depth_);
        if (depth_ > options_.limits.maxExprDepth) {
            tooDeep_ = true;
            failed_ = true;
            diags_.report(DiagCode::E0902, r, options_.limits.maxExprDepth)
                .note("each operator, call, member access or index of an expression nests one "
                      "level deeper");
            return placeholder(r);
        }
        if (auto* e = as<G::PrimaryExprContext>(ctx)) {
            return primary(e->primary());
        }
        if (auto* e = as<G::MemberExprContext>(ctx)) {
            auto base = expr(e->expr());
            return make<ast::MemberExpr>(r, std::move(base), memberName(e->memberName()));
        }
        if (auto* e = as<G::IndexExprContext>(ctx)) {
            auto es = e->expr();
            auto base = expr(es[0]);
            std::vector<ast::ExprPtr> keys;
            for (std::size_t i = 1; i < es.size(); ++i) {
                keys.push_back(expr(es[i]));
            }
            return make<ast::IndexExpr>(r, std::move(base), std::move(keys));
        }
        if (auto* e = as<G::CallExprContext>(ctx)) {
            auto es = e->expr();
            auto callee = expr(es[0]);
            std::vector<ast::ExprPtr> args;
            for (std::size_t i = 1; i < es.size(); ++i) {
                args.push_back(expr(es[i]));
            }
            return make<ast::CallExpr>(r, std::move(callee), std::move(args));
        }
        if (auto* e = as<G::MatchesExprContext>(ctx)) {
            auto subject = expr(e->expr());
            return make<ast::MatchesExpr>(r, std::move(subject), record(e->recordLit()));
        }
        if (auto* e = as<G::UnaryExprContext>(ctx)) {
            if (e->op->getType() == L::MINUS) {
                // `-9223372036854775808` is a literal, not the negation of an overflow.
                if (auto* p = as<G::PrimaryExprContext>(e->expr())) {
                    if (auto* lit = as<G::IntLitContext>(p->primary())) {
                        return intLiteral(lit->INT()->getSymbol(), true, r);
                    }
                }
            }
            auto operand = expr(e->expr());
            auto op = e->op->getType() == L::BANG ? ast::UnaryOp::Not : ast::UnaryOp::Neg;
            return make<ast::UnaryExpr>(r, op, std::move(operand));
        }
        if (auto* e = as<G::ExistsExprContext>(ctx)) {
            auto operand = expr(e->expr());
            return make<ast::ExistsExpr>(r, std::move(operand));
        }
        if (auto* e = as<G::BinaryExprContext>(ctx)) {
            auto lhs = expr(e->expr(0));
            auto rhs = expr(e->expr(1));
            auto out = make<ast::BinaryExpr>(r, binaryOp(e->op->getType()), std::move(lhs),
                                             std::move(rhs));
            out->opRange = range(e->op);
            return out;
        }
        return placeholder(r);
    }

    static ast::BinaryOp binaryOp(std::size_t type) {
        switch (type) {
        case L::STAR:
            return ast::BinaryOp::Mul;
        case L::SLASH:
            return ast::BinaryOp::Div;
        case L::PERCENT:
            return ast::BinaryOp::Mod;
        case L::PLUS:
            return ast::BinaryOp::Add;
        case L::MINUS:
            return ast::BinaryOp::Sub;
        case L::LT:
            return ast::BinaryOp::Lt;
        case L::LE:
            return ast::BinaryOp::Le;
        case L::GT:
            return ast::BinaryOp::Gt;
        case L::GE:
            return ast::BinaryOp::Ge;
        case L::EQ:
            return ast::BinaryOp::Eq;
        case L::NE:
            return ast::BinaryOp::Ne;
        case L::AND:
            return ast::BinaryOp::And;
        default:
            return ast::BinaryOp::Or;
        }
    }

    ast::ExprPtr primary(G::PrimaryContext* ctx) {
        SourceRange r = range(ctx);
        if (auto* p = as<G::IntLitContext>(ctx)) {
            return intLiteral(p->INT()->getSymbol(), false, r);
        }
        if (auto* p = as<G::FloatLitContext>(ctx)) {
            std::string text = this->text(p->FLOAT());
            double v = std::strtod(text.c_str(), nullptr);
            if (!std::isfinite(v)) {
                error(DiagCode::E0106, r, "float", text, "out of range");
                v = 0;
            }
            return make<ast::FloatLit>(r, v, text);
        }
        if (auto* p = as<G::StringLitContext>(ctx)) {
            return make<ast::StringLit>(r, decodeString(p->STRING()->getSymbol()));
        }
        if (auto* p = as<G::BoolLitContext>(ctx)) {
            return make<ast::BoolLit>(r, p->TRUE() != nullptr);
        }
        if (as<G::NoneLitContext>(ctx) != nullptr) {
            return make<ast::NoneLit>(r);
        }
        if (auto* p = as<G::DurationLitContext>(ctx)) {
            return durationLiteral(text(p->DURATION()), r);
        }
        if (auto* p = as<G::TimestampLitContext>(ctx)) {
            return timestampLiteral(text(p->TIMESTAMP()), r);
        }
        if (as<G::NameRefContext>(ctx) != nullptr) {
            return make<ast::NameExpr>(r, text(r));
        }
        if (as<G::CountRefContext>(ctx) != nullptr) {
            return make<ast::NameExpr>(r, "count");
        }
        if (as<G::WindowRefContext>(ctx) != nullptr) {
            return make<ast::WindowExpr>(r);
        }
        if (auto* p = as<G::ParenExprContext>(ctx)) {
            auto inner = expr(p->expr());
            // Parentheses only group; the node keeps the inner range for carets but
            // the formatter re-derives parentheses from precedence.
            return inner;
        }
        return placeholder(r);
    }

    ast::ExprPtr intLiteral(const Token* tok, bool negative, SourceRange r) {
        std::string text = this->text(tok);
        std::uint64_t mag = 0;
        auto res = std::from_chars(text.data(), text.data() + text.size(), mag);
        constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (res.ec != std::errc() || mag > kMax + (negative ? 1 : 0)) {
            error(DiagCode::E0106, r, "integer", (negative ? "-" : "") + text,
                  "does not fit in a 64-bit signed int");
            return make<ast::IntLit>(r, 0);
        }
        std::int64_t v =
            negative ? static_cast<std::int64_t>(0 - mag) : static_cast<std::int64_t>(mag);
        return make<ast::IntLit>(r, v);
    }

    ast::ExprPtr durationLiteral(const std::string& text, SourceRange r) {
        std::size_t unitAt = text.find_first_not_of("0123456789");
        std::string unit = text.substr(unitAt);
        std::int64_t factor = 1;
        if (unit == "us") {
            factor = 1;
        } else if (unit == "ms") {
            factor = 1000;
        } else if (unit == "s") {
            factor = kMicrosPerSecond;
        } else if (unit == "m") {
            factor = 60 * kMicrosPerSecond;
        } else if (unit == "h") {
            factor = 3600 * kMicrosPerSecond;
        } else {
            factor = 86400 * kMicrosPerSecond;
        }
        std::uint64_t n = 0;
        auto res = std::from_chars(text.data(), text.data() + unitAt, n);
        std::int64_t micros = 0;
        if (res.ec != std::errc() ||
            n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / factor)) {
            error(DiagCode::E0106, r, "duration", text, "out of range");
        } else {
            micros = static_cast<std::int64_t>(n) * factor;
        }
        return make<ast::DurationLit>(r, micros, text);
    }

    ast::ExprPtr timestampLiteral(const std::string& text, SourceRange r) {
        // @YYYY-MM-DDTHH:MM:SS[.ffffff]Z (the lexer has checked the shape).
        auto num = [&](std::size_t at, std::size_t len) {
            int v = 0;
            std::from_chars(text.data() + at, text.data() + at + len, v);
            return v;
        };
        int year = num(1, 4), month = num(6, 2), day = num(9, 2);
        int hour = num(12, 2), minute = num(15, 2), second = num(18, 2);
        std::int64_t frac = 0;
        std::string problem;
        if (text[20] == '.') {
            std::size_t digits = text.size() - 22;
            if (digits > 6) {
                problem = "more than microsecond precision";
            } else {
                frac = num(21, digits);
                for (std::size_t i = digits; i < 6; ++i) {
                    frac *= 10;
                }
            }
        }
        static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (month < 1 || month > 12) {
            problem = "month out of range";
        } else if (day < 1 || day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) {
            problem = "day out of range";
        } else if (hour > 23 || minute > 59 || second > 59) {
            problem = "time of day out of range";
        }
        if (!problem.empty()) {
            error(DiagCode::E0106, r, "timestamp", text, problem);
            return make<ast::TimestampLit>(r, 0, text);
        }
        std::int64_t days =
            daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
        std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second;
        return make<ast::TimestampLit>(r, secs * kMicrosPerSecond + frac, text);
    }

    /// Decodes a STRING token: `\" \\ \n \t \r \u{X...}`; anything else is E0105.
    std::string decodeString(const Token* tok) {
        std::string text = this->text(tok);
        SourceRange whole = range(tok);
        std::string out;
        // Byte offsets within the token: the token text is the file's bytes.
        for (std::size_t i = 1; i + 1 < text.size(); ++i) {
            char c = text[i];
            if (c != '\\') {
                out += c;
                continue;
            }
            std::size_t start = i;
            char e = text[++i];
            switch (e) {
            case '"':
                out += '"';
                continue;
            case '\\':
                out += '\\';
                continue;
            case 'n':
                out += '\n';
                continue;
            case 't':
                out += '\t';
                continue;
            case 'r':
                out += '\r';
                continue;
            case 'u': {
                std::size_t close = text.find('}', i);
                bool ok = i + 1 < text.size() && text[i + 1] == '{' && close != std::string::npos &&
                          close > i + 2 && close - i - 2 <= 6;
                std::uint32_t cp = 0;
                if (ok) {
                    auto res = std::from_chars(text.data() + i + 2, text.data() + close, cp, 16);
                    ok = res.ec == std::errc() && res.ptr == text.data() + close &&
                         cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0;
                }
                if (ok) {
                    appendUtf8(out, cp);
                    i = close;
                    continue;
                }
                std::size_t end =
                    close != std::string::npos && close - start < 12 ? close + 1 : i + 1;
                escapeError(whole, start, end, text);
                i = end - 1;
                continue;
            }
            default: {
                // Show the whole (possibly multi-byte) character after the backslash.
                std::size_t end = i + 1;
                while (end < text.size() &&
                       (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
                    ++end;
                }
                escapeError(whole, start, end, text);
                i = end - 1;
                continue;
            }
            }
        }
        return out;
    }

    void escapeError(SourceRange whole, std::size_t start, std::size_t end,
                     const std::string& text) {
        SourceRange where{
            {whole.begin.file, whole.begin.offset + static_cast<std::uint32_t>(start)},
            whole.begin.offset + static_cast<std::uint32_t>(end)};
        error(DiagCode::E0105, where, text.substr(start, end - start));
    }

    ast::DeclPtr test(G::TestDeclContext* ctx) {
        auto d = std::make_unique<ast::TestDecl>(range(ctx));
        d->name = decodeString(ctx->STRING()->getSymbol());
        d->nameRange = range(ctx->STRING());
        for (auto* s : ctx->testStep()) {
            ast::TestStep step;
            step.range = range(s);
            if (auto* g = as<G::GivenStepContext>(s)) {
                step.kind = ast::StepKind::Given;
                step.target = qualified(g->qualifiedName());
                if (g->version() != nullptr) {
                    step.version = version(g->version());
                    step.versionRange = range(g->version());
                }
                step.record = record(g->recordLit());
                if (g->expr() != nullptr) {
                    step.value = expr(g->expr());
                }
            } else if (auto* w = as<G::WhenStepContext>(s)) {
                step.kind = ast::StepKind::When;
                step.target = qualified(w->qualifiedName());
                step.record = record(w->recordLit());
                if (w->ACCEPTED() != nullptr) {
                    step.outcome = ast::Outcome::Accepted;
                    step.outcomeRange = range(w->ACCEPTED());
                } else if (w->REJECTED() != nullptr) {
                    step.outcome = ast::Outcome::Rejected;
                    step.outcomeRange = range(w->REJECTED());
                    if (w->STRING() != nullptr) {
                        step.reason = decodeString(w->STRING()->getSymbol());
                    }
                }
            } else if (auto* e = as<G::ExpectEmittedStepContext>(s)) {
                step.kind = ast::StepKind::ExpectEmitted;
                step.target = qualified(e->qualifiedName());
                if (e->recordLit() != nullptr) {
                    step.record = record(e->recordLit());
                }
                if (e->expr() != nullptr) {
                    step.value = expr(e->expr());
                }
            } else if (auto* x = as<G::ExpectStepContext>(s)) {
                step.kind = ast::StepKind::Expect;
                step.value = expr(x->expr());
            } else if (auto* a = as<G::AdvanceStepContext>(s)) {
                step.kind = ast::StepKind::Advance;
                step.value = expr(a->expr());
            }
            d->steps.push_back(std::move(step));
        }
        return d;
    }

    const SourceFile& file_;
    const OffsetMap& offsets_;
    ast::Program& program_;
    DiagnosticEngine& diags_;
    const ParseOptions& options_;
    static constexpr std::size_t kMaxErrors = 100;

    std::vector<ast::Expr*> exprs_;
    std::uint32_t depth_ = 0;
    bool tooDeep_ = false;
    bool failed_ = false;
    std::size_t errorCount_ = 0;
};

/// Reports lexical errors and excessive nesting before the parser sees the tokens, so
/// a bad character is one clear error rather than a cascade, and deep nesting never
/// reaches the recursive-descent parser. It is fed one token at a time while the file is
/// lexed, so a file of garbage stops at kMaxLexicalErrors instead of being lexed whole.
class Prescanner {
public:
    /// After this many lexical errors in one file the rest is not lexed.
    static constexpr std::size_t kMaxLexicalErrors = 100;

    Prescanner(const OffsetMap& offsets, DiagnosticEngine& diags, ParseLimits limits)
        : offsets_(offsets), diags_(diags), limits_(limits), elseIfs_(1, 0) {}

    /// Whether the file can still be parsed (no error so far).
    bool ok() const { return ok_; }

    /// Checks the next token; false once scanning should stop (a limit was exceeded or
    /// there were too many errors).
    bool step(const Token* t) {
        if (t->getChannel() != Token::DEFAULT_CHANNEL && t->getType() != L::UNTERMINATED_COMMENT) {
            return true;
        }
        SourceRange r = offsets_.token(t);
        auto type = t->getType();
        bool prefix = false;
        switch (type) {
        case L::BAD_CHAR:
            return lexicalError(diags_.report(DiagCode::E0101, r, describeBadChar(t->getText())));
        case L::UNTERMINATED_STRING:
            return lexicalError(diags_.report(DiagCode::E0103, {r.begin, r.begin.offset + 1})
                                    .note("a string must end with '\"' on the same line"));
        case L::UNTERMINATED_COMMENT:
            return lexicalError(diags_.report(DiagCode::E0104, {r.begin, r.begin.offset + 2})
                                    .note("the comment starting here is never closed with '*/'"));
        case L::LPAREN:
        case L::LBRACE:
        case L::LBRACK:
            // Prefix operators before a bracket (`!(!(...))`) stay open until it closes.
            pendingPrefixes_ += prefixRun_;
            pending_.push_back(prefixRun_);
            prefixRun_ = 0;
            if (++depth_ == elseIfs_.size()) {
                elseIfs_.push_back(0);
            }
            if (nesting() > limits_.maxNesting) {
                return tooDeep(r);
            }
            break;
        case L::RPAREN:
        case L::RBRACE:
        case L::RBRACK:
            if (depth_ > 0) {
                // The 'else if' chains inside the closed bracket end with it.
                chained_ -= elseIfs_[depth_];
                elseIfs_[depth_] = 0;
                --depth_;
                pendingPrefixes_ -= pending_.back();
                pending_.pop_back();
            }
            break;
        case L::IF:
            // `else if` nests the second 'if' inside the first (the grammar's `ELSE stmt`),
            // so a long chain is as deep as many braces. A plain 'if' starts a new chain.
            if (previous_ == L::ELSE) {
                ++elseIfs_[depth_];
                ++chained_;
                if (nesting() > limits_.maxNesting) {
                    return tooDeep(r);
                }
            } else {
                chained_ -= elseIfs_[depth_];
                elseIfs_[depth_] = 0;
            }
            break;
        case L::MINUS:
            // After an operand '-' is binary (`a - (b - (c ...))` is only bracket nesting).
            if (endsOperand(previous_)) {
                break;
            }
            [[fallthrough]];
        case L::BANG:
        case L::EXISTS:
            // A run of prefix operators nests each in the next (`- - - x`).
            prefix = true;
            ++prefixRun_;
            if (nesting() > limits_.maxNesting) {
                return tooDeep(r);
            }
            break;
        default:
            break;
        }
        if (!prefix) {
            prefixRun_ = 0;
        }
        previous_ = type;
        return true;
    }

private:
    static std::string describeBadChar(const std::string& text) {
        auto c = text.empty() ? 0u : static_cast<unsigned char>(text[0]);
        if (c >= 0x21 && c < 0x7F) {
            return "'" + text + "'";
        }
        // Show the code point: the character itself may be invisible.
        std::u32string u = antlrcpp::utf8_to_utf32(text.data(), text.data() + text.size());
        char buf[16];
        std::snprintf(buf, sizeof buf, "U+%04X", u.empty() ? 0u : static_cast<unsigned>(u[0]));
        return buf;
    }

    bool lexicalError(Diagnostic& d) {
        ok_ = false;
        if (++lexicalErrors_ < kMaxLexicalErrors) {
            return true;
        }
        d.note("too many errors in this file; the rest of it is not checked");
        return false;
    }

    bool tooDeep(SourceRange r) {
        Diagnostic& d = diags_.report(DiagCode::E0902, r, limits_.maxNesting);
        if (chained_ > 0) {
            d.note("each 'else if' of a chain nests one level deeper");
        }
        ok_ = false;
        return false;
    }

    /// Whether a token of this type can end an operand, making a '-' after it binary.
    /// Keywords count: after a dot they are member names (`e.time - 1h`).
    static bool endsOperand(std::size_t type) {
        switch (type) {
        case L::ID:
        case L::INT:
        case L::FLOAT:
        case L::STRING:
        case L::DURATION:
        case L::TIMESTAMP:
        case L::RPAREN:
        case L::RBRACK:
        case L::RBRACE:
            return true;
        default:
            return type >= L::MODULE && type <= L::NONE;
        }
    }

    /// How deep the recursive parser would be at this token.
    std::uint32_t nesting() const { return depth_ + pendingPrefixes_ + prefixRun_ + chained_; }

    const OffsetMap& offsets_;
    DiagnosticEngine& diags_;
    ParseLimits limits_;
    bool ok_ = true;
    std::size_t lexicalErrors_ = 0;
    std::size_t previous_ = 0;
    std::uint32_t depth_ = 0;             // open brackets
    std::uint32_t prefixRun_ = 0;         // prefix operators just before this token
    std::vector<std::uint32_t> pending_;  // the prefix run before each open bracket
    std::uint32_t pendingPrefixes_ = 0;   // their sum
    std::vector<std::uint32_t> elseIfs_;  // 'else if' count of the open chain at each depth
    std::uint32_t chained_ = 0;           // their sum
};

/// The limits with --max-nesting capped at kMaxNestingCeiling: nesting is recursion in
/// the parser, and past the ceiling no option may let input overflow the stack.
ParseLimits safeLimits(ParseLimits limits) {
    limits.maxNesting = std::min(limits.maxNesting, kMaxNestingCeiling);
    return limits;
}

void reportInvalidUtf8(const SourceFile& file, std::size_t offset, DiagnosticEngine& diags) {
    auto at = static_cast<std::uint32_t>(offset);
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X",
                  static_cast<unsigned>(static_cast<unsigned char>(file.text()[offset])));
    diags.report(DiagCode::E0102, {{file.id(), at}, at + 1})
        .note(std::string("source files must be UTF-8; the sequence starting with byte ") + byte +
              " is not (shown as '?')");
}

}  // namespace

std::unique_ptr<ast::File> parseFile(const SourceFile& file, ast::Program& program,
                                     DiagnosticEngine& diags, const ParseOptions& options) {
    std::string_view text = file.text();
    if (auto bad = findInvalidUtf8(text)) {
        reportInvalidUtf8(file, *bad, diags);
        return nullptr;
    }
    OffsetMap offsets(file.id(), text);
    antlr4::ANTLRInputStream input(text.data(), text.size());
    FlowLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    // Lex and prescan together, so a hopeless file is not lexed to its end.
    Prescanner scan(offsets, diags, safeLimits(options.limits));
    for (;;) {
        Token* t = tokens.LT(1);
        if (!scan.step(t) || t->getType() == Token::EOF) {
            break;
        }
        tokens.consume();
    }
    if (!scan.ok()) {
        return nullptr;
    }
    tokens.seek(0);

    FlowParser parser(&tokens);
    parser.removeErrorListeners();
    SilentListener silent;
    parser.addErrorListener(&silent);
    std::vector<SyntaxError> errors;
    G::FileContext* tree = nullptr;
    bool stopped = false;
    // Two-stage parse: the fast SLL mode first, full LL only if SLL fails.
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    try {
        tree = parser.file();
    } catch (const antlr4::ParseCancellationException&) {
        tree = nullptr;
    }
    if (tree == nullptr) {
        tokens.seek(0);
        parser.reset();
        parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
            antlr4::atn::PredictionMode::LL);
        parser.setErrorHandler(std::make_shared<FlowErrorStrategy>(offsets, errors));
        try {
            tree = parser.file();
        } catch (const antlr4::ParseCancellationException&) {
            stopped = true;  // too many errors
        }
    }
    if (!errors.empty()) {
        // Keep the first error of each declaration: after an error, the next is kept
        // only once the parser has reached a new declaration keyword. The tokens are
        // scanned once, however many errors recovery produced.
        std::size_t lastKept = 0;
        bool any = false;
        std::size_t scanned = 0;  // tokens before this index have been looked at
        bool declSince = false;   // a declaration keyword since the last kept error
        bool topSince = false;    // a 'service' or 'test' since the last kept error
        const auto& all = tokens.getTokens();
        Diagnostic* last = nullptr;
        for (const SyntaxError& e : errors) {
            if (any && e.tokenIndex <= lastKept) {
                continue;
            }
            for (; scanned < e.tokenIndex && scanned < all.size(); ++scanned) {
                const Token* t = all[scanned];
                if (t->getChannel() == Token::DEFAULT_CHANNEL && startsDeclaration(t->getType())) {
                    declSince = true;
                    topSince = topSince || t->getType() == L::SERVICE || t->getType() == L::TEST;
                }
            }
            // After an unknown word at the top level, what follows is not inside a
            // service: only a new 'service' or 'test' starts a declaration.
            if (any && !(e.topLevel ? topSince : declSince)) {
                continue;
            }
            Diagnostic& d = diags.report(DiagCode::E0100, e.range, e.message);
            if (!e.note.empty()) {
                d.note(e.note);
            }
            last = &d;
            lastKept = e.tokenIndex;
            any = true;
            scanned = std::max(scanned, lastKept + 1);
            declSince = false;
            topSince = false;
        }
        if (stopped && last != nullptr) {
            last->note("too many syntax errors; the rest of the file is not checked");
        }
        return nullptr;
    }

    AstBuilder builder(file, offsets, program, diags, options);
    auto out = builder.buildFile(tree);
    out->exprs = builder.takeExprs();
    for (const Token* t : tokens.getTokens()) {
        if (t->getChannel() == L::COMMENTS) {
            out->comments.push_back({offsets.token(t), t->getText()});
        }
    }
    if (builder.failed()) {
        return nullptr;
    }
    return out;
}

bool dumpTokens(const SourceFile& file, DiagnosticEngine& diags, std::string& out,
                const ParseOptions& options) {
    std::string_view text = file.text();
    if (auto bad = findInvalidUtf8(text)) {
        reportInvalidUtf8(file, *bad, diags);
        return false;
    }
    OffsetMap offsets(file.id(), text);
    antlr4::ANTLRInputStream input(text.data(), text.size());
    FlowLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    Prescanner scan(offsets, diags, safeLimits(options.limits));
    for (const Token* t : tokens.getTokens()) {
        if (!scan.step(t)) {
            break;
        }
    }
    bool ok = scan.ok();
    const auto& vocab = lexer.getVocabulary();
    for (const Token* t : tokens.getTokens()) {
        SourceRange r = offsets.token(t);
        LineColumn lc = file.lineColumn(r.begin.offset);
        out += std::to_string(lc.line) + ":" + std::to_string(lc.column) + " ";
        out +=
            t->getType() == Token::EOF ? std::string("EOF") : vocab.getSymbolicName(t->getType());
        if (t->getType() != Token::EOF) {
            out += " " + quoteString(t->getText());
        }
        out += '\n';
    }
    return ok;
}

}  // namespace flow::parse
