"""wandb: one run per cell and one summary run per sweep, shaped for the usual dashboard moves.

A cell's run: group = the sweep's name, job_type = the algorithm, name = ``algo-task-model-seedN``,
tags = task and model, config = the resolved spec with flat keys plus the comparability key. The
training curve is logged live, step by step, from the cell's ``Curve`` under the names the record
uses (``train/loss``, ``train/kl``, ...; ``train/global_step`` is the x axis). TRL-backed trainers
fill the curve from the same log dicts TRL's own wandb callback would send, so every adapter,
PPO included, reaches wandb through one path with one naming. At the end: the final metrics in the
summary and a table of sample completions.

wandb never costs a result: if it is missing, fails to start, times out or loses the network,
pobench warns once, stops using it, and the local record is complete either way.
"""

from __future__ import annotations

import io
import netrc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODES = ("online", "offline", "disabled")
SAMPLE_COLUMNS = ("prompt", "completion", "gold", "length", "kl", "proxy_score")
# a checkpoint's point (pobench.harness.evaluate.TRAJECTORY_METRICS, with its step)
TRAJECTORY_COLUMNS = ("step", "kl", "kl_se", "reward", "reward_se", "proxy_reward", "length", "truncation_rate")
INIT_TIMEOUT_S = 60
FINISH_TIMEOUT_S = 120
# the leaderboard run's images besides each frontier plot: its board's plots of these kinds, in the same folder
BOARD_PLOT_KINDS = ("headline", "proxy_vs_kl", "reward_vs_compute")


def resolve_mode(flag: str | None) -> str:
    """``--wandb`` if given; else wandb's own WANDB_MODE; else online when logged in, offline otherwise."""
    if flag is not None:
        return flag
    env = os.environ.get("WANDB_MODE", "").strip().lower()
    aliases = {"dryrun": "offline", "run": "online", "disabled": "disabled", "offline": "offline", "online": "online"}
    if env in aliases:
        return aliases[env]
    return "online" if logged_in() else "offline"


def logged_in() -> bool:
    """Whether wandb has credentials here: WANDB_API_KEY, or a wandb host in ~/.netrc (`wandb login`)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        hosts = netrc.netrc().hosts
    except (OSError, netrc.NetrcParseError):
        return False
    return any("wandb" in host for host in hosts)


def run_name(spec: dict[str, Any]) -> str:
    return f"{spec['algo']}-{spec['task']}-{spec['model']}-seed{spec['seed']}".replace("/", "_")


class Tracker:
    """The wandb side of a sweep (or of one ``pobench run``). Every method is safe to call: after the
    first wandb error it warns once and does nothing more."""

    def __init__(
        self,
        mode: str,
        out_dir,
        group: str,
        project: str = "pobench",
        entity: str | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.mode, self.out_dir, self.group, self.project, self.entity = mode, out_dir, group, project, entity
        self.warn = warn or (lambda text: print(text, file=sys.stderr))
        self.enabled = mode != "disabled"
        self.run = None
        self.run_dirs: list[str] = []  # where each run's files went (offline: what `wandb sync` takes)
        self._wandb = None
        if self.enabled:
            self._guard("import", self._import)

    def worker_settings(self) -> dict[str, Any]:
        """What another process (a Ray worker) needs to log its cells to the same project, group and folder."""
        return {"mode": self.mode, "out_dir": str(self.out_dir), "group": self.group, "project": self.project,
                "entity": self.entity}  # fmt: skip

    # -- cells ---------------------------------------------------------------------------------------
    def start_cell(self, spec: dict[str, Any]) -> None:
        self._guard("init", lambda: self._init(run_name(spec), spec["algo"], spec, [spec["task"], spec["model"]]))

    def set_config(self, values: dict[str, Any]) -> None:
        if self.run is not None:
            self._guard("config", lambda: self.run.config.update(values, allow_val_change=True))

    def log_curve(self, row: dict[str, Any]) -> None:
        """One curve row ({"step": n, "train/...": v}), logged with ``train/global_step`` as its x axis."""
        if self.run is not None:
            metrics = {k: v for k, v in row.items() if k != "step"}
            self._guard("log", lambda: self.run.log({**metrics, "train/global_step": row["step"]}))

    def finish_cell(self, record) -> None:
        """Final metrics into the summary, the sample completions as a table, then close the run."""
        if self.run is None:
            return

        def finish() -> None:
            wandb = self._wandb
            summary = {**record.metrics, "status": record.status, "spec_hash": record.spec_hash}
            if record.error:
                summary["error"] = record.error
            self.run.summary.update(summary)
            if record.samples:
                table = wandb.Table(columns=list(SAMPLE_COLUMNS))
                for sample in record.samples:
                    table.add_data(*(sample.get(c) for c in SAMPLE_COLUMNS))
                self.run.log({"eval/samples": table})
            if record.trajectory:  # the frontier along training: gold against KL, one row per checkpoint
                table = wandb.Table(columns=list(TRAJECTORY_COLUMNS))
                for point in record.trajectory:
                    table.add_data(*(point.get(c) for c in TRAJECTORY_COLUMNS))
                self.run.log({"eval/trajectory": table})

        self._guard("summary", finish)
        self._finish(0 if record.status == "ok" else 1)

    # -- sweep -----------------------------------------------------------------------------------------
    def finish_sweep(self, leaderboard_csv: str, frontier_pngs: list, headline_csv: str = "") -> None:
        """One run for the whole sweep: the headline (reward at matched KL, with the proxy, gap, compute and Gao
        columns) and the leaderboard as tables, and the plots as images ``KIND/NAME`` (``board_images``)."""
        if not self.enabled or self._wandb is None:
            return

        def log() -> None:

            import pandas as pd

            wandb = self._wandb
            self._init(f"{self.group}-leaderboard", "leaderboard", {"sweep": self.group}, ["leaderboard"])
            if self.run is None:
                return
            frame = pd.read_csv(io.StringIO(leaderboard_csv)) if leaderboard_csv.strip() else pd.DataFrame()
            payload: dict[str, Any] = {"leaderboard": wandb.Table(dataframe=frame)}
            if headline_csv.strip():
                payload["headline"] = wandb.Table(dataframe=pd.read_csv(io.StringIO(headline_csv)))
            for key, path in board_images(frontier_pngs).items():
                payload[key] = wandb.Image(str(path))
            self.run.log(payload)

        self._guard("leaderboard", log)
        self._finish(0)

    # -- wandb calls -----------------------------------------------------------------------------------
    def _import(self) -> None:
        import wandb

        self._wandb = wandb

    def _init(self, name: str, job_type: str, config: dict[str, Any], tags: list[str]) -> None:
        if not self.enabled or self._wandb is None:
            return
        wandb = self._wandb
        self.run = wandb.init(
            project=self.project,
            entity=self.entity,
            group=self.group,
            job_type=job_type,
            name=name,
            tags=tags,
            config=config,
            dir=str(self.out_dir),
            mode=self.mode,
            reinit="create_new",
            settings=wandb.Settings(
                init_timeout=INIT_TIMEOUT_S,
                # with the network gone, finish would wait for the upload for ever: give up, say so, go on
                finish_timeout=FINISH_TIMEOUT_S,
                finish_timeout_raises=True,
                console="off",
                quiet=True,
                silent=True,
                x_disable_stats=True,
            ),
        )
        self.run.define_metric("train/global_step")
        self.run.define_metric("train/*", step_metric="train/global_step")
        self.run_dirs.append(self.run.dir)

    def _finish(self, exit_code: int) -> None:
        run, self.run = self.run, None
        if run is not None:
            self._guard("finish", lambda: run.finish(exit_code=exit_code))

    def _guard(self, what: str, action: Callable[[], Any]) -> None:
        if not self.enabled:
            return
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - wandb must never cost a result, whatever it raises
            self.enabled = False
            self.warn(
                f"pobench: warning: wandb {what} failed ({type(exc).__name__}: {exc}); continuing without wandb "
                "(records are complete without it)"
            )
            run, self.run = self.run, None
            if run is not None:
                try:
                    run.finish(exit_code=1)
                except Exception:  # noqa: BLE001
                    pass


def board_images(pngs: list) -> dict[str, Path]:
    """``KIND/NAME`` → path for the plots given (``frontier-…`` and any other) and, beside each, its board's plots of
    BOARD_PLOT_KINDS (``proxy_vs_kl-STEM.png`` next to ``frontier-STEM.png``) where they were written."""
    out: dict[str, Path] = {}
    for given in map(Path, pngs):
        kind, _, stem = given.stem.partition("-")
        siblings = [given.with_name(f"{other}-{stem}.png") for other in BOARD_PLOT_KINDS] if kind == "frontier" else []
        for path in [given, *siblings]:
            if path == given or path.exists():
                out[f"{path.stem.partition('-')[0]}/{path.stem}"] = path
    return out
