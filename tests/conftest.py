"""Shared fixtures: offline by construction, quiet libraries, and one tiny benchmark run per session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # no test may touch the network
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ["WANDB_MODE"] = "disabled"  # tests that want wandb pass --wandb offline
if os.environ.get("PYTEST_XDIST_WORKER"):  # one torch thread per worker: two on 2 cores slow each other 10-60x
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def bench_root(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    return {"out": root / "results", "cache": root / "cache"}


@pytest.fixture(scope="session")
def bench_dirs(bench_root, default_cells) -> dict[str, Path]:
    """The session's results folder and cache, the default cells already in them: whichever test comes first (in a
    run, or on a worker of pytest-xdist), the cache holds what the default cells built, so what they report of it
    does not depend on the order tests run in."""
    return bench_root


@pytest.fixture(scope="session")
def default_cells(bench_root):
    """The default benchmark (SFT baseline and DPO, seed 0, every setting at its default), run once, first."""
    from pobench.harness.pipeline import run_cell
    from pobench.harness.spec import resolve_spec

    logs: list[str] = []
    out = {}
    for algo in ("sft", "dpo"):
        spec, source = resolve_spec(algo, "sentiment", "tiny", 0, {})
        record, path = run_cell(spec, source, bench_root["out"], bench_root["cache"], device="cpu", log=logs.append)
        out[algo] = (record, path)
    out["logs"] = logs
    return out


@pytest.fixture(scope="session")
def reference_records():
    """The committed reference's records (results/reference), read once."""
    from pobench.core.record import read_records

    return read_records(Path(__file__).resolve().parents[1] / "results" / "reference")


@pytest.fixture(scope="session")
def reference_boards(reference_records):
    """The committed reference's leaderboard, built once: what the README's verdict and the figures' readability
    tests read."""
    from pobench.reports.leaderboard import build_boards

    return build_boards(reference_records)
