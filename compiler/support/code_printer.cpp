// support/code_printer.cpp - prints generated source code from templates.
#include "support/code_printer.h"

#include "support/internal_error.h"

#include <algorithm>

namespace flow {

namespace {

bool isBlank(std::string_view s) {
    return s.find_first_not_of(" \t") == std::string_view::npos;
}

std::size_t leadingSpaces(std::string_view s) {
    std::size_t n = s.find_first_not_of(' ');
    return n == std::string_view::npos ? s.size() : n;
}

}  // namespace

std::vector<std::string> templateLines(std::string_view tmpl) {
    if (!tmpl.empty() && tmpl.front() == '\n') {
        tmpl.remove_prefix(1);
    }
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= tmpl.size()) {
        std::size_t end = tmpl.find('\n', start);
        bool last = end == std::string_view::npos;
        std::string_view line = tmpl.substr(start, last ? std::string_view::npos : end - start);
        if (last && isBlank(line)) {
            break;  // the indentation before the closing )cc"
        }
        std::size_t comment = line.find("//~");
        if (comment != std::string_view::npos) {
            line = line.substr(0, comment);
            if (isBlank(line)) {
                start = last ? tmpl.size() + 1 : end + 1;
                continue;  // a comment line disappears altogether
            }
            line = line.substr(0, line.find_last_not_of(" \t") + 1);
        }
        lines.emplace_back(line);
        start = last ? tmpl.size() + 1 : end + 1;
    }
    std::size_t common = std::string::npos;
    for (const std::string& l : lines) {
        if (!isBlank(l)) {
            common = std::min(common, leadingSpaces(l));
        }
    }
    for (std::string& l : lines) {
        if (isBlank(l)) {
            l.clear();
        } else {
            l.erase(0, common);
        }
    }
    return lines;
}

const CodePrinter::Sub* CodePrinter::find(const std::vector<Sub>& local,
                                          std::string_view name) const {
    for (const Sub& s : local) {
        if (s.name == name) {
            return &s;
        }
    }
    for (auto it = varStack_.rbegin(); it != varStack_.rend(); ++it) {
        for (const Sub& s : *it) {
            if (s.name == name) {
                return &s;
            }
        }
    }
    return nullptr;
}

void CodePrinter::printLine(const std::vector<Sub>& subs, std::string_view line) {
    std::size_t lead = leadingSpaces(line);
    std::string_view body = line.substr(lead);
    // A line that is only `$name$` with a callback: the callback prints a nested block.
    if (body.size() > 2 && body.front() == '$' && body.back() == '$' &&
        body.find('$', 1) == body.size() - 1) {
        const Sub* s = find(subs, body.substr(1, body.size() - 2));
        FLOW_ASSERT(s != nullptr, "code template uses an unknown variable '" +
                                      std::string(body.substr(1, body.size() - 2)) + "'");
        if (s->callback) {
            IndentGuard guard(*this, static_cast<int>(lead));
            s->callback();
            return;
        }
        if (s->text.empty()) {
            return;  // an empty block of text leaves no blank line behind
        }
    }
    std::string text;
    std::string continuation = "\n" + std::string(static_cast<std::size_t>(indent_) + lead, ' ');
    for (std::size_t i = 0; i < line.size();) {
        if (line[i] != '$') {
            text += line[i++];
            continue;
        }
        std::size_t close = line.find('$', i + 1);
        FLOW_ASSERT(close != std::string_view::npos,
                    "code template has an unterminated '$': " + std::string(line));
        std::string_view name = line.substr(i + 1, close - i - 1);
        i = close + 1;
        if (name.empty()) {
            text += '$';
            continue;
        }
        const Sub* s = find(subs, name);
        FLOW_ASSERT(s != nullptr,
                    "code template uses an unknown variable '" + std::string(name) + "'");
        FLOW_ASSERT(!s->callback,
                    "callback variable '" + std::string(name) + "' must stand alone on its line");
        // A value with line breaks continues at the line's indentation.
        for (char c : s->text) {
            if (c == '\n') {
                text += continuation;
            } else {
                text += c;
            }
        }
    }
    if (isBlank(text)) {
        out_ += '\n';
        return;
    }
    // Trailing blanks left by an empty value are not printed.
    text.erase(text.find_last_not_of(" \t") + 1);
    out_.append(static_cast<std::size_t>(indent_), ' ');
    // Blank continuation lines carry no indentation either.
    std::size_t pos = 0;
    while ((pos = text.find('\n', pos)) != std::string::npos) {
        std::size_t next = text.find_first_not_of(' ', pos + 1);
        if (next == std::string::npos || text[next] == '\n') {
            text.erase(pos + 1, (next == std::string::npos ? text.size() : next) - pos - 1);
        }
        ++pos;
    }
    out_ += text;
    out_ += '\n';
}

void CodePrinter::emit(std::initializer_list<Sub> subs, std::string_view tmpl) {
    std::vector<Sub> local(subs);
    for (const std::string& line : templateLines(tmpl)) {
        printLine(local, line);
    }
}

}  // namespace flow
