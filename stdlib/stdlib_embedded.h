// stdlib/stdlib_embedded.h - the standard library's .flow sources, compiled into flowc.
#pragma once

#include <string>
#include <vector>

namespace flow::stdlib {

struct EmbeddedSource {
    std::string path;
    std::string text;
};

const std::vector<EmbeddedSource>& embeddedSources();

}  // namespace flow::stdlib
