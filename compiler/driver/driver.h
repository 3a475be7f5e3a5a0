// driver/driver.h - the flowc command line: check, fmt, graph and the --emit dumps.
#pragma once

namespace flow::driver {

int run(int argc, char** argv);

}  // namespace flow::driver
