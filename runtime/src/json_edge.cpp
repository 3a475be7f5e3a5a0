// runtime/src/json_edge.cpp - events as JSON lines: input lines checked against the program.
#include "flow/rt/json_edge.h"

#include "text_util.h"

#include <unordered_set>
#include <vector>

namespace flow::rt {

namespace {

using Json = nlohmann::json;

/// Refuses nesting deeper than kMaxEventLineDepth before the parser sees the line, so
/// neither the parser nor a recursive destructor can be driven into the stack's end.
Status checkDepth(std::string_view line) {
    int depth = 0;
    bool inString = false;
    bool escaped = false;
    for (char c : line) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxEventLineDepth) {
                return Status::invalid("JSON nesting deeper than " +
                                       std::to_string(kMaxEventLineDepth) + " levels");
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return Status::ok();
}

/// "malformed JSON at column 7: syntax error while parsing value - invalid literal; ..."
/// from nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 7: ...".
std::string parseErrorMessage(const std::string& what) {
    std::string_view m = what;
    if (std::size_t close = m.find("] "); m.starts_with("[json.exception.") && close != m.npos) {
        m.remove_prefix(close + 2);
    }
    if (m.starts_with("parse error ")) {
        m.remove_prefix(12);
    }
    std::string text(m);
    if (text.starts_with("at line 1, column ")) {
        text = "at column " + text.substr(18);
    }
    // The message quotes the input it last read: keep it short and printable.
    return "malformed JSON " + printable(text, 240);
}

/// Rejects an object with the same key twice (at any depth): which one would win is the
/// parser's choice, and a line that means two things is refused rather than guessed at.
class DuplicateKeys {
public:
    bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
        switch (event) {
        case Json::parse_event_t::object_start:
            keys_.emplace_back();
            break;
        case Json::parse_event_t::object_end:
            if (!keys_.empty()) {
                keys_.pop_back();
            }
            break;
        case Json::parse_event_t::key:
            if (!keys_.empty() && parsed.is_string() &&
                !keys_.back().insert(parsed.get_ref<const std::string&>()).second &&
                duplicate_.empty()) {
                duplicate_ = parsed.get_ref<const std::string&>();
            }
            break;
        default:
            break;
        }
        return true;
    }
    const std::string& duplicate() const { return duplicate_; }

private:
    std::vector<std::unordered_set<std::string>> keys_;  // one set per open object
    std::string duplicate_;
};

std::string expectedFound(const char* key, const char* what, const Json& j) {
    return std::string("key '") + key + "': expected " + what + ", found " + jsonKind(j);
}

}  // namespace

JsonEdge::JsonEdge(const plan::Program& program, const KernelCaller& runKernel)
    : program_(program) {
    defaults_.resize(program.events.size());
    defaultsErrors_.resize(program.events.size());
    for (std::size_t i = 0; i < program.events.size(); ++i) {
        const plan::Event& ev = program.events[i];
        byName_.emplace(ev.name, static_cast<std::int32_t>(i));
        defaults_[i].resize(ev.versions.size());
        defaultsErrors_[i].resize(ev.versions.size());
        if (!runKernel || ev.stream) {
            continue;
        }
        // Defaults kernels read constants only, so one run per version serves every line.
        for (std::size_t v = 0; v < ev.versions.size(); ++v) {
            const plan::EventVersion& ver = ev.versions[v];
            if (ver.defaults < 0) {
                continue;
            }
            OwnedRow row(&program.layouts[static_cast<std::size_t>(ver.layout)]);
            void* args[] = {row.data()};
            if (runKernel(ver.defaults, args) != FLOW_OK) {
                defaultsErrors_[i][v] = "event '" + ev.name + "': computing the defaults of " +
                                        "version " + std::to_string(ver.version) + " failed";
                continue;
            }
            row.adoptStrings();
            defaults_[i][v] = std::move(row);
        }
    }
}

namespace {

/// The envelope fields a line may give: "time" (RFC 3339 or integer microseconds) and
/// "id" (32 lowercase hex digits, not zero).
Status readEnvelopeFields(const Json* time, const Json* id, std::optional<std::int64_t>& outTime,
                          std::optional<EventId>& outId) {
    if (time != nullptr) {
        std::int64_t micros = 0;
        if (time->is_string()) {
            const auto& s = time->get_ref<const std::string&>();
            if (!parseTimestamp(s, micros)) {
                return Status::invalid("key 'time': invalid timestamp " + quote(s));
            }
        } else if (time->is_number_integer() &&
                   (!time->is_number_unsigned() ||
                    time->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX))) {
            micros = time->get<std::int64_t>();
        } else {
            return Status::invalid(
                expectedFound("time", "an RFC 3339 timestamp or integer microseconds", *time));
        }
        outTime = micros;
    }
    if (id != nullptr) {
        EventId parsed;
        if (!id->is_string()) {
            return Status::invalid(expectedFound("id", "32 lowercase hex digits", *id));
        }
        const auto& s = id->get_ref<const std::string&>();
        if (!EventId::fromHex(s, parsed)) {
            return Status::invalid("key 'id': expected 32 lowercase hex digits, found " + quote(s));
        }
        if (parsed.isZero()) {
            return Status::invalid("key 'id': the zero id is reserved");
        }
        outId = parsed;
    }

    return Status::ok();
}

}  // namespace

Result<InputEvent> JsonEdge::parse(std::string_view line) const {
    if (line.size() > kMaxEventLineBytes) {
        return Status::invalid("line is longer than 1 MiB (" + std::to_string(line.size()) +
                               " bytes)");
    }
    FLOW_RT_TRY(checkDepth(line));
    Json doc;
    DuplicateKeys duplicates;
    try {
        doc = Json::parse(line.begin(), line.end(), std::ref(duplicates));
    } catch (const Json::exception& e) {
        return Status::invalid(parseErrorMessage(e.what()));
    }
    if (!duplicates.duplicate().empty()) {
        return Status::invalid("duplicate key " + quote(duplicates.duplicate()));
    }
    if (!doc.is_object()) {
        return Status::invalid(std::string("expected a JSON object, found ") + jsonKind(doc));
    }
    const Json* event = nullptr;
    const Json* time = nullptr;
    const Json* data = nullptr;
    const Json* version = nullptr;
    const Json* id = nullptr;
    const Json* command = nullptr;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string& k = it.key();
        const Json* v = &it.value();
        if (k == "event") {
            event = v;
        } else if (k == "time") {
            time = v;
        } else if (k == "data") {
            data = v;
        } else if (k == "version") {
            version = v;
        } else if (k == "id") {
            id = v;
        } else if (k == "command") {
            command = v;
        } else {
            return Status::invalid(
                "unknown key " + quote(k) +
                "; an input line has event (or command), time, data, version and id");
        }
    }
    if (command != nullptr) {
        if (event != nullptr || version != nullptr) {
            return Status::invalid(event != nullptr ? "a line has 'event' or 'command', not both"
                                                    : "a command has no 'version'");
        }
        return parseCommand(*command, time, id, data);
    }

    // The event and its version.
    if (event == nullptr) {
        return Status::invalid("missing key 'event'");
    }
    if (!event->is_string()) {
        return Status::invalid(expectedFound("event", "a string", *event));
    }
    const std::string& name = event->get_ref<const std::string&>();
    auto found = byName_.find(name);
    if (found == byName_.end()) {
        std::vector<std::string_view> names;
        std::string suffixMatch;
        int suffixMatches = 0;
        for (const plan::Event& e : program_.events) {
            if (e.stream) {
                continue;
            }
            names.emplace_back(e.name);
            // An unqualified name: "StockAdjusted" for "Stock.StockAdjusted".
            if (e.name.size() > name.size() && e.name.ends_with(name) &&
                e.name[e.name.size() - name.size() - 1] == '.') {
                suffixMatch = e.name;
                ++suffixMatches;
            }
        }
        std::string near = suffixMatches == 1 ? suffixMatch : closestName(name, names);
        std::string msg = "unknown event " + quote(name);
        if (!near.empty()) {
            msg += "; did you mean '" + near + "'?";
        }
        return Status::invalid(msg);
    }
    InputEvent out;
    out.event = found->second;
    const plan::Event& ev = program_.events[static_cast<std::size_t>(out.event)];
    if (ev.stream) {
        return Status::invalid("event '" + ev.name +
                               "' is a stream: streams are derived by the program, not input");
    }
    if (ev.versions.empty()) {
        return Status::invalid("event '" + ev.name + "' has no versions");
    }
    std::size_t versionIndex = ev.versions.size() - 1;  // the latest
    if (version != nullptr) {
        if (!version->is_number_integer()) {
            return Status::invalid(expectedFound("version", "an int", *version));
        }
        bool known = false;
        std::string versions;
        for (std::size_t i = 0; i < ev.versions.size(); ++i) {
            versions += (i > 0 ? ", " : "") + std::to_string(ev.versions[i].version);
            if (version->is_number_unsigned()
                    ? version->get<std::uint64_t>() ==
                          static_cast<std::uint64_t>(ev.versions[i].version)
                    : version->get<std::int64_t>() == ev.versions[i].version) {
                versionIndex = i;
                known = true;
            }
        }
        if (!known) {
            return Status::invalid("event '" + ev.name + "' has no version " + version->dump() +
                                   " (it has " + versions + ")");
        }
    }

    FLOW_RT_TRY(readEnvelopeFields(time, id, out.time, out.id));

    // The payload.
    static const Json kEmpty = Json::object();
    if (data == nullptr) {
        data = &kEmpty;  // an event without fields needs no "data"
    } else if (!data->is_object()) {
        return Status::invalid(expectedFound("data", "an object", *data));
    }
    out.version = static_cast<std::int32_t>(versionIndex);
    const plan::EventVersion& ver = ev.versions[versionIndex];
    const plan::Layout& layout = program_.layouts[static_cast<std::size_t>(ver.layout)];
    const auto e = static_cast<std::size_t>(out.event);
    if (!defaultsErrors_[e][versionIndex].empty()) {
        return Status::invalid(defaultsErrors_[e][versionIndex]);
    }
    const OwnedRow& defaultsRow = defaults_[e][versionIndex];
    const void* defaults = defaultsRow.empty() ? nullptr : defaultsRow.data();
    Status s = jsonToRow(program_, layout, *data, defaults, true, out.row);
    if (!s.isOk()) {
        return Status::invalid("event '" + ev.name + "': " + s.message());
    }
    return out;
}

Result<InputEvent> JsonEdge::parseCommand(const Json& name, const Json* time, const Json* id,
                                          const Json* data) const {
    if (!name.is_string()) {
        return Status::invalid(expectedFound("command", "a string", name));
    }
    const std::string& n = name.get_ref<const std::string&>();
    const plan::Command* found = nullptr;
    std::vector<std::string_view> names;
    for (const plan::Command& c : program_.commands) {
        names.emplace_back(c.name);
        bool suffix = c.name.size() > n.size() && c.name.ends_with(n) &&
                      c.name[c.name.size() - n.size() - 1] == '.';
        if (c.name == n || (suffix && found == nullptr)) {
            found = &c;
        }
    }
    if (found == nullptr) {
        std::string near = closestName(n, names);
        return Status::invalid("unknown command " + quote(n) +
                               (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    InputEvent out;
    out.command = found->id;
    FLOW_RT_TRY(readEnvelopeFields(time, id, out.time, out.id));
    static const Json kEmpty = Json::object();
    if (data != nullptr && !data->is_object()) {
        return Status::invalid(expectedFound("data", "an object", *data));
    }
    const plan::Layout& params = program_.layouts[static_cast<std::size_t>(found->params)];
    Status s =
        jsonToRow(program_, params, data != nullptr ? *data : kEmpty, nullptr, true, out.row);
    if (!s.isOk()) {
        return Status::invalid("command '" + found->name + "': " + s.message());
    }
    return out;
}

std::string eventToJson(const plan::Program& program, std::int32_t event, std::int32_t version,
                        const Envelope& envelope, const void* row) {
    const plan::Event& ev = program.events[static_cast<std::size_t>(event)];
    const plan::EventVersion& ver = ev.versions[static_cast<std::size_t>(version)];
    const plan::Layout& layout = program.layouts[static_cast<std::size_t>(ver.layout)];
    auto hexOrNull = [](const EventId& id) -> nlohmann::ordered_json {
        if (id.isZero()) {
            return nullptr;
        }
        return id.toHex();
    };
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["event"] = ev.name;
    j["time"] = formatTimestamp(envelope.time);
    j["data"] = rowToJson(program, layout, row);
    j["id"] = envelope.id.toHex();
    j["seq"] = envelope.seq;
    j["causation"] = hexOrNull(envelope.causation);
    j["correlation"] = hexOrNull(envelope.correlation);
    j["version"] = ver.version;
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace flow::rt
