"The layers of the package, read from its imports with ast: no cycle, no private name across modules, no backend reaching up, no test support in domain modules."
from pathlib import Path
import pytest
import vlmfaith
from vlmfaith.layers import (module_imports, import_cycles, private_imports, upward_imports, layer_order, layer_violations,
                             BACKENDS, ABOVE_BACKENDS, TEST_SUPPORT)

PKG = Path(vlmfaith.__file__).parent
DESIGN = "see the layers in the architecture chapter (nbs/architecture.ipynb) and the stages in DESIGN.md"

@pytest.fixture(scope="module")
def graph(): return module_imports(PKG)

def _domain(graph): return [m for m in graph if m not in TEST_SUPPORT]

def test_the_graph_is_read(graph):
    "The reader finds the package's modules and the imports everyone knows are there (so the checks below are not vacuous)."
    assert {"data", "perturb", "models", "api", "run"} <= set(graph)
    assert "data" in graph["perturb"] and "models" in graph["api"]

def test_no_import_cycles(graph):
    found = [f"{', '.join(g)}: " + "; ".join(f"{a} imports {b}" for a in g for b in graph[a] if b in g) for g in import_cycles(graph)]
    assert not found, "import cycles among vlmfaith modules (imports must point one way, down):\n  " + "\n  ".join(found) + f"\n{DESIGN}"

def test_no_private_names_across_modules(graph):
    found = [f"{m} imports {x}" for m, x in private_imports(graph)]
    assert not found, ("private names (leading underscore) taken from another vlmfaith module; make them public where they are "
                       "defined, or move the code:\n  " + "\n  ".join(found))

def test_backends_do_not_reach_up(graph):
    found = [f"{m} imports {d} ({', '.join(graph[m][d]) or 'the module'})" for m, d in upward_imports(graph, BACKENDS, ABOVE_BACKENDS)]
    assert not found, (f"the backends {BACKENDS} import modules above them (module level or inside a function):\n  "
                       + "\n  ".join(found) + f"\n{DESIGN}")

def test_domain_modules_do_not_import_test_support(graph):
    found = [f"{m} imports {d}" for m, d in upward_imports(graph, _domain(graph), TEST_SUPPORT)]
    assert not found, f"domain modules import the test-support module {TEST_SUPPORT}:\n  " + "\n  ".join(found)

# The checks can fail: a tiny package with one of each violation, and one without any.

BAD = {
    "base.py":    "import os\n",
    "helpers.py": "def _hidden(): pass\ndef shown(): pass\n",
    "a.py":       "from .b import thing\n",                                      # a -> b -> c -> a: a cycle of three
    "b.py":       "def f():\n    from fakepkg.c import other\n",                 # absolute, inside a function
    "c.py":       "import fakepkg.a\nfrom . import base\n",
    "models.py":  "from .base import x\ndef teach():\n    from fakepkg.judge import judge_prompt\n",   # a backend reaching up
    "judge.py":   "from fakepkg.helpers import shown, _hidden\n",               # a private name across modules
    "api.py":     "from .models import y\n",
    "testing.py": "from .judge import z\n",
    "rl.py":      "from fakepkg import testing\n",                               # a domain module importing test support
}

def _package(tmp_path, files):
    d = tmp_path/"fakepkg"; d.mkdir()
    for name, src in {"__init__.py": "", **files}.items(): (d/name).write_text(src)
    return d

def test_the_checks_catch_each_violation(tmp_path):
    g = module_imports(_package(tmp_path, BAD))
    assert g["b"] == {"c": ["other"]} and g["c"] == {"a": [], "base": []}          # function-level, absolute, `from . import`
    assert import_cycles(g) == [["a", "b", "c"]]
    assert private_imports(g) == [("judge", "helpers._hidden")]
    assert upward_imports(g, BACKENDS, ABOVE_BACKENDS) == [("models", "judge")]
    assert upward_imports(g, _domain(g), TEST_SUPPORT) == [("rl", "testing")]
    msgs = layer_violations(g)
    assert msgs == ["import cycle: a, b, c (a imports b; b imports c; c imports a)",
                    "private name across modules: judge imports helpers._hidden",
                    "a backend reaches up: models imports judge",
                    "a domain module imports test support: rl imports testing"], msgs
    level = {m: i for i, row in enumerate(layer_order(g)) for m in row}
    assert layer_order(g)[0] == ["base", "helpers"] and level["a"] == level["b"] == level["c"] == 1   # a cycle shares one layer

def test_a_cycle_of_two_and_a_clean_package(tmp_path):
    g = module_imports(_package(tmp_path, {"run.py": "def main():\n    from .report import report\n",
                                           "report.py": "from fakepkg.run import spec\n", "data.py": "",
                                           "models.py": "from .data import item\n"}))
    assert import_cycles(g) == [["report", "run"]]
    g["run"] = {}                                                                     # the cycle cut: nothing left to report
    assert not layer_violations(g) and layer_order(g) == [["data", "run"], ["models", "report"]]
