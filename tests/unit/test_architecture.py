"""The layers of pobench's code (bench/ARCHITECTURE.md): imports go one way, with no cycle, at module top.

The checks read the source (no import is executed), so they are fast and name the offending file and line.
Each check is first shown to catch a made-up violation, so that a check that cannot fail does not pass.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pobench.cli import COMMANDS

from tests.helpers import ROOT

# The folders of the source and the import names they install as (pyproject.toml's package-dir).
PACKAGES = {"bench": "pobench", "algorithms": "pobench.algorithms", "tasks": "pobench.tasks"}

# Lowest first: the folders of each layer. A module is in the layer of its own folder and may import only from
# its own layer or a lower one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("toolkit", ("bench", "bench/core")),
    ("contracts", ("bench/contracts",)),
    ("kit", ("bench/kit",)),
    ("plugins", ("algorithms", "tasks")),
    ("reports", ("bench/reports",)),
    ("harness", ("bench/harness",)),
    ("claims", ("bench/claims",)),
    ("cli", ("bench/cli",)),
)

# Imported inside the function that needs them, for start-up time: each is heavy (or optional) and only some
# paths use it. transformers' model and trainer code takes 2-5 s to import: with it at the top of pobench.core.models,
# `pobench run` with a typo took 6-11 s to say so instead of 3.5.
LAZY_LIBRARIES = {
    "transformers", "tokenizers", "trl", "datasets", "ray", "wandb", "matplotlib", "peft", "accelerate", "scipy",
    "vaderSentiment", "huggingface_hub", "pandas", "gguf", "playwright", "wandb_workspaces",
}  # fmt: skip
# The command dispatcher loads a command's modules only when that command runs (`pobench --help` is instant).
LAZY_MODULES = {"pobench.cli"}


FOLDERS: dict[str, str] = {}  # module name -> its folder, relative to the root


def module_sources(root: Path = ROOT) -> dict[str, str]:
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root / folder).with_suffix("").parts
            name = ".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))
            FOLDERS[name] = path.parent.relative_to(root).as_posix()
            out[name] = path.read_text()
    return out


def imports_of(name: str, source: str, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported first-party module, line, at module top?) for every import statement in ``source``."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    for node in tree.body:  # an import under a module-level if/try is still at module top
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(inner) for inner in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{name}:{node.lineno}: a relative import; pobench imports by absolute name")
            base = node.module or ""
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out += [(t, node.lineno, id(node) in top) for t in targets]
    return out


def folder_of(module: str) -> str:
    """The folder a module's file is in (a package's own folder for its __init__)."""
    if module in FOLDERS:
        return FOLDERS[module]
    for folder, package in sorted(PACKAGES.items(), key=lambda item: -len(item[1])):
        if module.startswith(package + "."):
            return "/".join((folder, *module[len(package) + 1 :].split(".")[:-1]))
    return module.replace(".", "/")


def layer_of(module: str) -> int:
    folder = folder_of(module)
    for i, (_, folders) in enumerate(LAYERS):
        if folder in folders:
            return i
    raise AssertionError(f"{module} (folder {folder}) is in no layer: add its folder to LAYERS")


def graph(sources: dict[str, str]) -> dict[str, list[tuple[str, int, bool]]]:
    known = set(sources)
    return {
        name: [(t, line, top) for t, line, top in imports_of(name, src, known) if t in known and t != name]
        for name, src in sources.items()
    }


def upward_imports(sources: dict[str, str]) -> list[str]:
    problems = []
    for name, edges in graph(sources).items():
        for target, line, _ in edges:
            if layer_of(target) > layer_of(name):
                problems.append(
                    f"{name}:{line} imports {target}: layer {LAYERS[layer_of(name)][0]} may not import "
                    f"{LAYERS[layer_of(target)][0]}"
                )
    return problems


def cycles(sources: dict[str, str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    edges = {name: sorted({t for t, _, _ in e}) for name, e in graph(sources).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def hidden_imports(sources: dict[str, str]) -> list[str]:
    """Imports inside functions that are neither a lazy library nor in a lazy module."""
    problems = []
    for name, src in sources.items():
        if name in LAZY_MODULES:
            continue
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    roots = [a.name.split(".")[0] for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    roots = [(inner.module or "").split(".")[0]]
                else:
                    continue
                problems += [
                    f"{name}:{inner.lineno} imports {root} inside {node.name}()"
                    for root in roots
                    if root not in LAZY_LIBRARIES
                ]
    return problems


def test_the_checks_catch_what_they_look_for():
    made_up = {
        "pobench.core.low": "from pobench.harness.high import x\n",
        "pobench.harness.high": "from pobench.harness.other import y\n",
        "pobench.harness.other": "def f():\n    import json\n    from pobench.harness.high import x\n",
    }
    assert upward_imports(made_up) == [
        "pobench.core.low:1 imports pobench.harness.high: layer toolkit may not import harness"
    ]
    assert cycles(made_up) == [["pobench.harness.high", "pobench.harness.other"]]
    assert hidden_imports(made_up) == [
        "pobench.harness.other:2 imports json inside f()",
        "pobench.harness.other:3 imports pobench inside f()",
    ]
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("elsewhere.module")


def old_name_imports(sources: dict[str, str]) -> list[str]:
    """Imports of pobench's old top-level names (bench, algorithms, tasks)."""
    problems = []
    for name, src in sources.items():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                roots = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = [node.module or ""]
            else:
                continue
            problems += [f"{name}:{node.lineno} imports {r}" for r in roots if r.split(".")[0] in PACKAGES]
    return problems


def test_nothing_imports_an_old_top_level_name():
    assert old_name_imports({"m": "import os\nfrom algorithms.base import Adapter\n"}) == [
        "m:2 imports algorithms.base"
    ]
    tests = {str(p.relative_to(ROOT)): p.read_text() for p in sorted((ROOT / "tests").rglob("*.py"))}
    assert old_name_imports(module_sources() | tests) == []


def test_the_install_has_one_top_level_name():
    """pyproject.toml installs every package folder, each under pobench, and nothing else."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert {v: k for k, v in config["package-dir"].items()} == PACKAGES
    folders = {p.parent for folder in PACKAGES for p in (ROOT / folder).rglob("__init__.py")}
    expected = set()
    for path in folders:
        top, *rest = path.relative_to(ROOT).parts
        expected.add(".".join((PACKAGES[top], *rest)))
    assert sorted(config["packages"]) == sorted(expected)


MAX_FUNCTION_LINES = 60  # a longer function is split into named stages (bench/ARCHITECTURE.md, "A cell")


def long_functions(sources: dict[str, str], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions (and methods) longer than ``limit`` lines, from ``def`` to their last line."""
    return [
        f"{name}:{node.lineno} {node.name}() has {node.end_lineno - node.lineno + 1} lines"
        for name, src in sources.items()
        for node in ast.walk(ast.parse(src))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_function_is_longer_than_the_limit():
    assert long_functions({"m": "def f():\n    a = 1\n    return a\n"}, limit=2) == ["m:1 f() has 3 lines"]
    assert long_functions(module_sources()) == []


def test_every_module_is_in_a_layer():
    for name in module_sources():
        layer_of(name)


def test_imports_only_go_down_the_layers():
    assert upward_imports(module_sources()) == []


def test_no_import_cycle():
    assert cycles(module_sources()) == []


def test_imports_are_at_module_top_except_lazy_libraries():
    assert hidden_imports(module_sources()) == []


def test_each_command_is_a_module_of_its_own():
    sources = module_sources()
    for command, (module, _) in COMMANDS.items():
        tree = ast.parse(sources[f"pobench.cli.{module}"])
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert {"add_arguments", "run"} <= functions, f"pobench {command}: bench/cli/{module}.py"


def test_a_command_loads_no_heavy_library_before_it_runs():
    """Importing every command and discovering every adapter and task loads none of the libraries kept lazy for
    start-up time (torch itself is needed by every model and is imported at top)."""
    code = (
        "import sys; from pobench.cli import COMMANDS; import importlib\n"
        "for module, _ in COMMANDS.values(): importlib.import_module('pobench.cli.' + module)\n"
        "from pobench.algorithms import ALGORITHMS; from pobench.tasks import TASKS\n"
        "ALGORITHMS.names(); TASKS.names()\n"
        "heavy = ['trl', 'peft', 'ray', 'wandb', 'matplotlib', 'datasets', 'playwright', "
        "'transformers.modeling_utils', 'transformers.trainer_utils', 'transformers.trainer_callback']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_help_loads_no_command():
    """`pobench --help` answers from the dispatcher: torch and the commands stay unloaded."""
    code = "import sys; from pobench.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
    code += "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('pobench.cli.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_no_reference_to_documents_outside_the_repository():
    texts = {str(p.relative_to(ROOT)): p.read_text() for p in ROOT.glob("*.md")}
    texts |= {str(p.relative_to(ROOT)): p.read_text() for package in PACKAGES for p in (ROOT / package).rglob("*.md")}
    texts |= module_sources()
    for where, text in texts.items():
        for outside in ("../shared", "DESIGN.md", "seeds/rlhf-notes"):
            assert outside not in text, f"{where} refers to {outside}, which is not in the repository"


def test_the_test_files_the_code_names_exist():
    """A docstring that points at a test points at one that is there."""
    named = {(name, path) for name, src in module_sources().items() for path in re.findall(r"tests/[a-z_/]+\.py", src)}
    assert [f"{name} names {path}" for name, path in sorted(named) if not (ROOT / path).exists()] == []
