// driver/graph.h - `flowc graph`: services, owned events, subscriptions, derived tables/streams.
#pragma once

#include "sema/symbols.h"

#include <string>

namespace flow::driver {

enum class GraphFormat { Dot, Mermaid, Json };

std::string renderGraph(const sema::SemaResult& result, GraphFormat format);

}  // namespace flow::driver
