// support/code_printer.h - prints generated source code from templates (after protobuf's
// io::Printer).
//
// A template is a raw string of whole lines. `$name$` is replaced by a variable's text;
// a line holding nothing but `$name$`, where the variable is a callback, runs the
// callback there, so nested blocks get that line's indentation (and where it is empty
// text, prints nothing). A value with line breaks continues at its line's indentation. `$$` is a
// literal `$`.
// `//~` starts a comment for the template's reader that is stripped from the output
// (a line left blank by it disappears). The template's first line break (after `R"cc(`)
// and its common indentation are removed, as is a last line of blanks, so templates
// can be indented like the code around them:
//
//     p.emit({{"name", name}, {"body", [&] { emitBody(); }}}, R"cc(
//         int $name$() {
//             $body$
//         }
//     )cc");
//
// Variable names are string literals in the emitter's code; an unknown one is a bug in
// the emitter and stops the compiler (FLOW_ASSERT).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace flow {

class CodePrinter {
public:
    /// A substitution: text, a number, or a callback that prints at the line's place.
    struct Sub {
        Sub(std::string_view key, std::string value) : name(key), text(std::move(value)) {}
        Sub(std::string_view key, const char* value) : name(key), text(value) {}
        Sub(std::string_view key, std::string_view value) : name(key), text(value) {}
        template <typename T,
                  std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
        Sub(std::string_view key, T value) : name(key), text(std::to_string(value)) {}
        Sub(std::string_view key, std::function<void()> block)
            : name(key), callback(std::move(block)) {}
        template <typename F, std::enable_if_t<std::is_invocable_r_v<void, F&>, int> = 0>
        Sub(std::string_view key, F block)
            : name(key), callback(std::function<void()>(std::move(block))) {}

        std::string name;
        std::string text;
        std::function<void()> callback;  // set: a block printed where the line stands
    };

    explicit CodePrinter(int indentWidth = 4) : indentWidth_(indentWidth) {}

    /// Prints `tmpl` with the given substitutions, then those of enclosing withVars().
    void emit(std::initializer_list<Sub> subs, std::string_view tmpl);
    void emit(std::string_view tmpl) { emit({}, tmpl); }
    /// An empty line (a template cannot be only one: its blank last line is dropped).
    void blankLine() { out_ += '\n'; }

    /// RAII: what is printed while the guard lives is indented `levels` more.
    class [[nodiscard]] IndentGuard {
    public:
        IndentGuard(CodePrinter& p, int columns) : p_(&p), columns_(columns) {
            p_->indent_ += columns_;
        }
        IndentGuard(const IndentGuard&) = delete;
        IndentGuard& operator=(const IndentGuard&) = delete;
        ~IndentGuard() { p_->indent_ -= columns_; }

    private:
        CodePrinter* p_;
        int columns_;
    };
    IndentGuard withIndent(int levels = 1) { return {*this, levels * indentWidth_}; }

    /// RAII: variables every emit() sees while the guard lives (inner ones win).
    class [[nodiscard]] VarsGuard {
    public:
        VarsGuard(CodePrinter& p, std::vector<Sub> vars) : p_(&p) {
            p_->varStack_.push_back(std::move(vars));
        }
        VarsGuard(const VarsGuard&) = delete;
        VarsGuard& operator=(const VarsGuard&) = delete;
        ~VarsGuard() { p_->varStack_.pop_back(); }

    private:
        CodePrinter* p_;
    };
    VarsGuard withVars(std::initializer_list<Sub> vars) { return {*this, std::vector<Sub>(vars)}; }

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }
    bool empty() const { return out_.empty(); }

private:
    const Sub* find(const std::vector<Sub>& local, std::string_view name) const;
    void printLine(const std::vector<Sub>& subs, std::string_view line);

    int indentWidth_;
    int indent_ = 0;
    std::vector<std::vector<Sub>> varStack_;
    std::string out_;
};

/// The lines of a template as emit() prints them, before substitution: `//~` comments
/// stripped, the first line break, a blank last line and the common indentation removed.
std::vector<std::string> templateLines(std::string_view tmpl);

}  // namespace flow
