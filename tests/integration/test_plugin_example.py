"""An adapter in its own package (tests/plugin_example) registers through the entry-point group and
meets the same contract as a built-in one, with pobench unchanged.

The test installs the package the way pip's editable install does for entry points: a dist-info
folder holding its entry_points.txt, on sys.path.
"""

import importlib
import tomllib

from pobench.algorithms import ALGORITHMS

from tests.helpers import TESTS, assert_meets_contract, smoke_runs_of

PLUGIN = TESTS / "plugin_example"


def test_plugin_package_registers_and_meets_the_contract(tmp_path, monkeypatch, bench_dirs, default_cells):
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    dist = tmp_path / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    entries = project["entry-points"]["pobench.algorithms"]
    (dist / "entry_points.txt").write_text(
        "[pobench.algorithms]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items())
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(PLUGIN))
    importlib.invalidate_caches()
    monkeypatch.setattr(ALGORITHMS, "_entries", dict(ALGORITHMS._entries))  # forget the plugin afterwards
    monkeypatch.setattr(ALGORITHMS, "_plugins_loaded", False)

    assert "hinge-dpo" in ALGORITHMS.names()
    assert ALGORITHMS.get("hinge-dpo").__module__ == "pobench_hinge"
    assert_meets_contract("hinge-dpo", smoke_runs_of("hinge-dpo", bench_dirs["cache"], lambda n: tmp_path / n))
