// ast/formatter.cpp - `flowc fmt`: the canonical layout of a Flow file, comments kept.
//
// Layout: two-space indentation, one declaration, member, statement or test step per
// line, at most one blank line kept where the source had any, expressions with only
// the parentheses precedence needs. A declaration that fits in kColumns stays on one
// line; a longer query puts each clause on its own line (and, if the select is still
// too long, each selected field), and a longer record puts each field on its own line.
// A `when` step that does not fit moves its `expect` to a continuation line; if the
// record alone does not fit either, the record breaks and the `expect` follows its `}`
// (as `at` and `count` do).
//
// Comments are kept, in order: a comment that follows code on its source line stays
// at the end of the output line that holds that code; any other comment is printed on
// its own line before the next thing that starts a line. A query, record or enum with
// a comment inside is always broken, one clause or field a line, so the comment keeps
// its place.
#include "ast/formatter.h"

#include "ast/ast_printer.h"
#include "support/text.h"

#include <algorithm>

namespace flow::ast {

namespace {

constexpr std::size_t kColumns = 100;

class Formatter {
public:
    Formatter(const File& file, const SourceFile& source) : file_(file), source_(source) {}

    std::string run() {
        bool first = true;
        if (file_.module) {
            startItem(file_.module->range.begin.offset, 0, first);
            emit(0, "module " + file_.module->name + ";", file_.module->range.end);
            first = false;
        }
        for (const Import& i : file_.imports) {
            startItem(i.range.begin.offset, 0, first, !first && group_ != 1);
            group_ = 1;
            emit(0, "import " + quoteString(i.path) + ";", i.range.end);
            first = false;
        }
        for (const auto& d : file_.decls) {
            startItem(d->range.begin.offset, 0, first, !first && group_ != 2);
            group_ = 2;
            decl(0, *d);
            first = false;
        }
        flushComments(UINT32_MAX, 0);
        return out_;
    }

private:
    // ---- Output and comments -----------------------------------------------------------

    std::uint32_t lineOf(std::uint32_t offset) const { return source_.lineColumn(offset).line; }

    static bool isLineComment(const std::string& text) { return text.rfind("//", 0) == 0; }

    void rawLine(std::size_t indent, const std::string& text) {
        out_.append(indent * 2, ' ');
        out_ += text;
        out_ += '\n';
        endsInLineComment_ = isLineComment(text);
    }

    /// True if the source holds only blanks and commas in [from, to).
    bool onlyBlanksBetween(std::uint32_t from, std::uint32_t to) const {
        std::string_view text = source_.text();
        for (std::uint32_t i = from; i < to && i < text.size(); ++i) {
            if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != ',') {
                return false;
            }
        }
        return true;
    }

    /// True if code comes before comment `c` on its source line.
    bool followsCode(const Comment& c) const {
        std::string_view text = source_.text();
        for (std::uint32_t i = c.range.begin.offset; i > 0; --i) {
            char ch = text[i - 1];
            if (ch == '\n') {
                return false;
            }
            if (ch != ' ' && ch != '\t' && ch != '\r') {
                return true;
            }
        }
        return false;
    }

    /// True at the start of the output or right after a blank line.
    bool atBlank() const {
        return out_.empty() || (out_.size() >= 2 && out_.compare(out_.size() - 2, 2, "\n\n") == 0);
    }

    /// One blank line, never two, and none at the start of the file.
    void blankLine() {
        if (!atBlank()) {
            out_ += '\n';
        }
    }

    /// True if the last output line can take a comment at its end: it exists, is not
    /// blank, and does not already end in a `//` comment (which would swallow it).
    bool canAppend() const { return !atBlank() && !endsInLineComment_; }

    /// Puts comment `c` at the end of the last output line.
    void append(const Comment& c) {
        out_.pop_back();  // the newline
        out_ += "  " + c.text + "\n";
        endsInLineComment_ = isLineComment(c.text);
        lastLine_ = std::max(lastLine_, lineOf(c.range.end - 1));
        ++next_;
    }

    /// Prints the comments that start before `offset`: one that follows code on its
    /// source line goes at the end of the last output line (which holds that code, since
    /// everything before `offset` is printed); any other on its own line.
    void flushComments(std::uint32_t offset, std::size_t indent) {
        while (next_ < file_.comments.size() && file_.comments[next_].range.begin.offset < offset) {
            const Comment& c = file_.comments[next_];
            if (followsCode(c) && canAppend()) {
                append(c);
                continue;
            }
            std::uint32_t line = lineOf(c.range.begin.offset);
            if (lastLine_ != 0 && line > lastLine_ + 1 && !atBlockStart_) {
                blankLine();
            }
            rawLine(indent, c.text);
            lastLine_ = lineOf(c.range.end - 1);
            atBlockStart_ = false;
            ++next_;
        }
    }

    /// flushComments() inside a query or record broken over lines: no blank line before
    /// the first comment, since the lines of the construct are not tracked one by one.
    void flushInside(std::uint32_t offset, std::size_t indent) {
        atBlockStart_ = true;
        flushComments(offset, indent);
        atBlockStart_ = false;
    }

    /// True if a comment not printed yet starts before `offset` (inside the item being
    /// printed, since the comments before the item are already out).
    bool hasCommentBefore(std::uint32_t offset) const {
        return next_ < file_.comments.size() && file_.comments[next_].range.begin.offset < offset;
    }

    /// Before an item that starts a line at `offset`: its leading comments, and one blank
    /// line if the source had one (or `forceBlank`, between groups at the top level).
    /// The blank line between groups goes before the item's leading comments, so they
    /// stay next to it; a comment that ends the previous line stays there.
    void startItem(std::uint32_t offset, std::size_t indent, bool first, bool forceBlank = false) {
        if (!first && forceBlank) {
            while (hasCommentBefore(offset) && followsCode(file_.comments[next_]) && canAppend()) {
                append(file_.comments[next_]);
            }
            blankLine();
        }
        flushComments(offset, indent);
        std::uint32_t line = lineOf(offset);
        if (!first && !atBlockStart_ && lastLine_ != 0 && line > lastLine_ + 1) {
            blankLine();
        }
        atBlockStart_ = false;
    }

    /// After printing the item that ends at source offset `end`: a comment right after
    /// it on the same source line (only blanks or a comma between) goes at the end of the
    /// last printed line.
    void trailing(std::uint32_t end) {
        if (end == 0) {
            return;
        }
        std::uint32_t endLine = lineOf(end - 1);
        lastLine_ = std::max(lastLine_, endLine);
        if (next_ >= file_.comments.size()) {
            return;
        }
        const Comment& c = file_.comments[next_];
        if (c.range.begin.offset >= end && lineOf(c.range.begin.offset) == endLine &&
            onlyBlanksBetween(end, c.range.begin.offset) && canAppend()) {
            append(c);
        }
    }

    void emit(std::size_t indent, const std::string& text, std::uint32_t end) {
        rawLine(indent, text);
        trailing(end);
    }

    /// Opens a block: the header line (which starts at source offset `start`), then the
    /// inner items start fresh. A comment at the end of the header's source line is put
    /// back at the end of the header by the next flushComments().
    void open(std::size_t indent, const std::string& header, std::uint32_t start) {
        rawLine(indent, header + " {");
        lastLine_ = std::max(lastLine_, lineOf(start));
        atBlockStart_ = true;
    }

    void close(std::size_t indent, std::uint32_t blockEnd, const std::string& suffix = "") {
        flushComments(blockEnd, indent + 1);
        rawLine(indent, "}" + suffix);
        trailing(blockEnd);
        atBlockStart_ = false;
    }

    bool fits(std::size_t indent, const std::string& text) const {
        return indent * 2 + displayWidth(text) <= kColumns;
    }

    std::string ex(const Expr& e) const { return exprToString(e, false); }

    // ---- Declarations ------------------------------------------------------------------

    static std::string params(const std::vector<Param>& ps) {
        std::string s;
        for (const Param& p : ps) {
            s += (s.empty() ? "" : ", ") + p.name.name + ": " + typeToString(p.type);
        }
        return s;
    }

    std::string fieldText(const FieldDecl& f) const {
        return std::string(f.isKey ? "key " : "") + f.name.name + ": " + typeToString(f.type) +
               (f.defaultValue ? " = " + ex(*f.defaultValue) : "") + ";";
    }

    void decl(std::size_t indent, const Decl& d) {
        switch (d.kind) {
        case DeclKind::Service: {
            const auto& s = static_cast<const ServiceDecl&>(d);
            open(indent, "service " + s.name.name, d.range.begin.offset);
            for (const auto& m : s.members) {
                startItem(m->range.begin.offset, indent + 1, false);
                decl(indent + 1, *m);
            }
            close(indent, d.range.end);
            return;
        }
        case DeclKind::Enum: {
            const auto& e = static_cast<const EnumDecl&>(d);
            std::string values;
            for (const Ident& v : e.values) {
                values += (values.empty() ? "" : ", ") + v.name;
            }
            std::string one =
                "enum " + e.name.name + (values.empty() ? " {}" : " { " + values + " }");
            if (fits(indent, one) && !hasCommentBefore(d.range.end)) {
                emit(indent, one, d.range.end);
                return;
            }
            open(indent, "enum " + e.name.name, d.range.begin.offset);
            for (std::size_t i = 0; i < e.values.size(); ++i) {
                startItem(e.values[i].range.begin.offset, indent + 1, false);
                emit(indent + 1, e.values[i].name + (i + 1 < e.values.size() ? "," : ""),
                     e.values[i].range.end);
            }
            close(indent, d.range.end);
            return;
        }
        case DeclKind::Event: {
            const auto& e = static_cast<const EventDecl&>(d);
            std::string header =
                "event " + e.name.name + (e.versionWritten ? " v" + std::to_string(e.version) : "");
            if (e.fields.empty() && !hasCommentBefore(d.range.end)) {
                emit(indent, header + " {}", d.range.end);
                return;
            }
            open(indent, header, d.range.begin.offset);
            for (const FieldDecl& f : e.fields) {
                startItem(f.range.begin.offset, indent + 1, false);
                emit(indent + 1, fieldText(f), f.range.end);
            }
            close(indent, d.range.end);
            return;
        }
        case DeclKind::Upcast: {
            const auto& u = static_cast<const UpcastDecl&>(d);
            std::string header = "upcast " + u.event.name + " v" + std::to_string(u.fromVersion) +
                                 " -> v" + std::to_string(u.toVersion);
            block(indent, header, u.body);
            return;
        }
        case DeclKind::FoldTable: {
            const auto& t = static_cast<const TableDecl&>(d);
            std::string header = "table " + t.name.name + " key " + params(t.keys);
            // Fields and handlers in source order.
            std::vector<std::pair<std::uint32_t, const void*>> items;
            for (const FieldDecl& f : t.fields) {
                items.emplace_back(f.range.begin.offset, &f);
            }
            for (const Handler& h : t.handlers) {
                items.emplace_back(h.range.begin.offset, &h);
            }
            std::sort(items.begin(), items.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            if (items.empty() && !hasCommentBefore(d.range.end)) {
                emit(indent, header + " {}", d.range.end);
                return;
            }
            open(indent, header, d.range.begin.offset);
            for (const auto& [offset, item] : items) {
                startItem(offset, indent + 1, false);
                bool isField = false;
                for (const FieldDecl& f : t.fields) {
                    if (&f == item) {
                        emit(indent + 1, fieldText(f), f.range.end);
                        isField = true;
                    }
                }
                if (!isField) {
                    handler(indent + 1, *static_cast<const Handler*>(item));
                }
            }
            close(indent, d.range.end);
            return;
        }
        case DeclKind::ViewTable: {
            const auto& t = static_cast<const TableDecl&>(d);
            query(indent, "table " + t.name.name + " = ", *t.query, d.range.end);
            return;
        }
        case DeclKind::Stream: {
            const auto& s = static_cast<const StreamDecl&>(d);
            query(indent, "stream " + s.name.name + " = ", *s.query, d.range.end);
            return;
        }
        case DeclKind::Command: {
            const auto& c = static_cast<const CommandDecl&>(d);
            block(indent, "command " + c.name.name + "(" + params(c.params) + ")", c.body);
            return;
        }
        case DeclKind::Query: {
            const auto& q = static_cast<const QueryDecl&>(d);
            std::string head = "query " + q.name.name + "(" + params(q.params) + ") = ";
            if (q.expr) {
                emit(indent, head + ex(*q.expr) + ";", d.range.end);
            } else {
                query(indent, head, *q.query, d.range.end);
            }
            return;
        }
        case DeclKind::Reaction:
            handler(indent, static_cast<const ReactionDecl&>(d).handler);
            return;
        case DeclKind::Test: {
            const auto& t = static_cast<const TestDecl&>(d);
            std::string header = "test " + quoteString(t.name);
            if (t.steps.empty() && !hasCommentBefore(d.range.end)) {
                emit(indent, header + " {}", d.range.end);
                return;
            }
            open(indent, header, d.range.begin.offset);
            for (const TestStep& s : t.steps) {
                startItem(s.range.begin.offset, indent + 1, false);
                step(indent + 1, s);
            }
            close(indent, d.range.end);
            return;
        }
        case DeclKind::Builtin: {
            const auto& b = static_cast<const BuiltinDecl&>(d);
            emit(indent,
                 "builtin " + b.name.name + "(" + params(b.params) + ") -> " +
                     typeToString(b.result) + ";",
                 d.range.end);
            return;
        }
        }
    }

    void handler(std::size_t indent, const Handler& h) {
        std::string header = "on " + h.event.str() + (h.alias ? " " + h.alias->name : "");
        for (std::size_t i = 0; i < h.by.size(); ++i) {
            header += (i == 0 ? " by " : ", ") + ex(*h.by[i]);
        }
        block(indent, header, h.body);
    }

    // ---- Queries -----------------------------------------------------------------------

    static std::string source(const Source& s) {
        return s.name.str() + (s.alias ? " " + s.alias->name : "");
    }

    std::string selectText(const SelectClause& s) const {
        std::string items;
        for (const SelectItem& i : s.items) {
            items += (items.empty() ? "" : ", ") + selectItem(i);
        }
        return items.empty() ? "select {}" : "select { " + items + " }";
    }

    std::string selectItem(const SelectItem& i) const {
        return std::string(i.isKey ? "key " : "") + i.name.name +
               (i.value ? ": " + ex(*i.value) : "");
    }

    /// One clause of a query as printed, and where it starts in the source.
    struct Clause {
        std::string text;
        std::uint32_t start;
        bool isSelect = false;
    };

    std::vector<Clause> clauses(const Query& q) const {
        std::vector<Clause> out;
        out.push_back({"from " + source(q.from), q.from.range.begin.offset});
        for (const JoinClause& j : q.joins) {
            out.push_back({std::string(j.left ? "left join " : "join ") + source(j.source) +
                               " on " + ex(*j.on) + (j.within ? " within " + ex(*j.within) : ""),
                           j.range.begin.offset});
        }
        if (q.where) {
            out.push_back({"where " + ex(*q.where), q.where->range.begin.offset});
        }
        if (q.window) {
            const WindowClause& w = *q.window;
            std::string s = "window ";
            switch (w.kind) {
            case WindowKind::Tumbling:
                s += "tumbling " + ex(*w.size);
                break;
            case WindowKind::Hopping:
                s += "hopping " + ex(*w.size) + " every " + ex(*w.every);
                break;
            case WindowKind::Session:
                s += "session gap " + ex(*w.size);
                break;
            }
            if (w.grace) {
                s += " grace " + ex(*w.grace);
            }
            out.push_back({s, w.range.begin.offset});
        }
        if (!q.groupBy.empty()) {
            std::string s = "group by ";
            for (std::size_t i = 0; i < q.groupBy.size(); ++i) {
                s += (i ? ", " : "") + ex(*q.groupBy[i]);
            }
            out.push_back({s, q.groupByRange.begin.offset});
        }
        if (q.select) {
            out.push_back({selectText(*q.select), q.select->range.begin.offset, true});
        }
        if (q.orderBy) {
            out.push_back({"order by " + ex(*q.orderBy) + (q.descending ? " desc" : ""),
                           q.orderByRange.begin.offset});
        }
        if (q.limit) {
            out.push_back({"limit " + ex(*q.limit), q.limit->range.begin.offset});
        }
        return out;
    }

    void query(std::size_t indent, const std::string& head, const Query& q, std::uint32_t end) {
        std::vector<Clause> cs = clauses(q);
        std::string one = head;
        for (std::size_t i = 0; i < cs.size(); ++i) {
            one += (i ? " " : "") + cs[i].text;
        }
        one += ";";
        // A comment between clauses (or inside the braces of a final select) keeps the
        // query broken; one inside the last clause moves after the `;` in any layout.
        bool selectLast = cs.back().isSelect && !q.select->items.empty();
        if (fits(indent, one) &&
            !hasCommentBefore(selectLast ? q.select->range.end : cs.back().start)) {
            emit(indent, one, end);
            return;
        }
        rawLine(indent, head + cs[0].text);
        for (std::size_t i = 1; i < cs.size(); ++i) {
            std::string tail = i + 1 == cs.size() ? ";" : "";
            flushInside(cs[i].start, indent + 1);
            if (cs[i].isSelect && !q.select->items.empty() &&
                (!fits(indent + 1, cs[i].text + tail) || hasCommentBefore(q.select->range.end))) {
                rawLine(indent + 1, "select {");
                const std::vector<SelectItem>& items = q.select->items;
                for (std::size_t k = 0; k < items.size(); ++k) {
                    flushInside(items[k].range.begin.offset, indent + 2);
                    rawLine(indent + 2, selectItem(items[k]) + (k + 1 < items.size() ? "," : ""));
                    trailing(items[k].range.end);
                }
                flushInside(q.select->range.end, indent + 2);
                rawLine(indent + 1, "}" + tail);
                continue;
            }
            rawLine(indent + 1, cs[i].text + tail);
        }
        // Comments between the last clause and the `;` go after the declaration.
        lastLine_ = std::max(lastLine_, lineOf(end - 1));
        flushInside(end, indent);
        trailing(end);
    }

    // ---- Statements --------------------------------------------------------------------

    void block(std::size_t indent, const std::string& header, const Block& b) {
        if (b.stmts.empty() && !hasCommentBefore(b.range.end)) {
            emit(indent, header + " {}", b.range.end);
            return;
        }
        open(indent, header, b.range.begin.offset);
        stmts(indent + 1, b);
        close(indent, b.range.end);
    }

    void stmts(std::size_t indent, const Block& b) {
        for (const auto& s : b.stmts) {
            startItem(s->range.begin.offset, indent, false);
            stmt(indent, *s);
        }
    }

    /// `head { a: 1, b }` + `tail` on one line if it fits (and holds no comment), else
    /// one field a line.
    void recordLine(std::size_t indent, const std::string& head, const RecordLit& r,
                    const std::string& tail, std::uint32_t end) {
        std::string one = head + " " + recordToString(r, false) + tail;
        if ((fits(indent, one) && !hasCommentBefore(r.range.end)) || r.fields.empty()) {
            emit(indent, one, end);
            return;
        }
        rawLine(indent, head + " {");
        for (std::size_t i = 0; i < r.fields.size(); ++i) {
            const FieldInit& f = r.fields[i];
            flushInside(f.range.begin.offset, indent + 1);
            rawLine(indent + 1, f.name.name + (f.value ? ": " + ex(*f.value) : "") +
                                    (i + 1 < r.fields.size() ? "," : ""));
            trailing(f.range.end);
        }
        flushInside(r.range.end, indent + 1);
        rawLine(indent, "}" + tail);
        trailing(end);
    }

    void stmt(std::size_t indent, const Stmt& s) {
        switch (s.kind) {
        case StmtKind::If: {
            const auto* i = static_cast<const IfStmt*>(&s);
            std::string header = "if " + ex(*i->cond);
            open(indent, header, i->then.range.begin.offset);
            stmts(indent + 1, i->then);
            while (true) {
                if (!i->otherwise) {
                    close(indent, i->then.range.end);
                    return;
                }
                flushComments(i->then.range.end, indent + 1);
                if (i->elseIf && !i->otherwise->stmts.empty()) {
                    const auto* next =
                        static_cast<const IfStmt*>(i->otherwise->stmts.front().get());
                    open(indent, "} else if " + ex(*next->cond), next->then.range.begin.offset);
                    stmts(indent + 1, next->then);
                    i = next;
                    continue;
                }
                open(indent, "} else", i->otherwise->range.begin.offset);
                stmts(indent + 1, *i->otherwise);
                close(indent, i->otherwise->range.end);
                return;
            }
        }
        case StmtKind::Require: {
            const auto& r = static_cast<const RequireStmt&>(s);
            emit(indent, "require " + ex(*r.cond) + " else " + ex(*r.message) + ";", s.range.end);
            return;
        }
        case StmtKind::Emit: {
            const auto& e = static_cast<const EmitStmt&>(s);
            recordLine(indent, "emit " + e.event.str(), e.fields, ";", s.range.end);
            return;
        }
        case StmtKind::Assign: {
            const auto& a = static_cast<const AssignStmt&>(s);
            emit(indent, a.target.name + " " + spelling(a.op) + " " + ex(*a.value) + ";",
                 s.range.end);
            return;
        }
        case StmtKind::Delete:
            emit(indent, "delete;", s.range.end);
            return;
        }
    }

    void step(std::size_t indent, const TestStep& s) {
        switch (s.kind) {
        case StepKind::Given: {
            std::string head =
                "given " + s.target.str() + (s.version ? " v" + std::to_string(*s.version) : "");
            recordLine(indent, head, *s.record, (s.value ? " at " + ex(*s.value) : "") + ";",
                       s.range.end);
            return;
        }
        case StepKind::When: {
            std::string outcome;
            if (s.outcome == Outcome::Accepted) {
                outcome = "expect accepted";
            } else if (s.outcome == Outcome::Rejected) {
                outcome = "expect rejected" + (s.reason ? " " + quoteString(*s.reason) : "");
            }
            std::string head = "when " + s.target.str();
            std::string rec = recordToString(*s.record, false);
            bool comments = hasCommentBefore(s.record->range.end);
            if (outcome.empty()) {
                recordLine(indent, head, *s.record, ";", s.range.end);
            } else if (fits(indent, head + " " + rec + " " + outcome + ";") && !comments) {
                emit(indent, head + " " + rec + " " + outcome + ";", s.range.end);
            } else if (fits(indent, head + " " + rec) && !comments) {
                rawLine(indent, head + " " + rec);
                emit(indent + 1, outcome + ";", s.range.end);
            } else {
                recordLine(indent, head, *s.record, " " + outcome + ";", s.range.end);
            }
            return;
        }
        case StepKind::ExpectEmitted: {
            std::string head = "expect emitted " + s.target.str();
            std::string tail = (s.value ? " count " + ex(*s.value) : "") + ";";
            if (s.record) {
                recordLine(indent, head, *s.record, tail, s.range.end);
            } else {
                emit(indent, head + tail, s.range.end);
            }
            return;
        }
        case StepKind::Expect:
            emit(indent, "expect " + ex(*s.value) + ";", s.range.end);
            return;
        case StepKind::Advance:
            emit(indent, "advance time " + ex(*s.value) + ";", s.range.end);
            return;
        }
    }

    const File& file_;
    const SourceFile& source_;
    std::string out_;
    std::size_t next_ = 0;        // the next comment to print
    std::uint32_t lastLine_ = 0;  // the source line where the last printed item ended
    bool atBlockStart_ = false;
    bool endsInLineComment_ = false;  // the last output line ends in a `//` comment
    int group_ = 0;  // 1 after imports, 2 after declarations (a blank line between groups)
};

}  // namespace

std::string formatFile(const File& file, const SourceFile& source) {
    return Formatter(file, source).run();
}

}  // namespace flow::ast
