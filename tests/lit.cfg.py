# tests/lit.cfg.py - lit configuration: `.flow` files under tests/lit with RUN lines.
import os
import lit.formats

config.name = "flow"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".flow", ".test"]
config.test_source_root = os.path.join(config.flow_source_root, "tests", "lit")
config.test_exec_root = os.path.join(config.flow_build_root, "tests", "lit")
config.excludes = ["Inputs"]
config.substitutions.append(("%flowc", config.flowc))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%examples", os.path.join(config.flow_source_root, "examples")))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("not ", config.not_tool + " "))
config.environment["NO_COLOR"] = "1"
