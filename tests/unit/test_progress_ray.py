"""The Ray executor's progress, driven without Ray: fake submissions and waits through ``run_cells``."""

from __future__ import annotations

import io
import types

import pobench.core.progress as progress_module
from pobench.core.progress import SweepProgress
from pobench.harness.grid import SweepConfig, resolve_grid
from pobench.harness.ray_executor import run_cells
from pobench.harness.sweep import Queue, SweepOutcome

from tests.helpers import record


def test_ray_cells_two_at_a_time_print_label_time_done_of_total_and_time_left(monkeypatch, tmp_path):
    clock = types.SimpleNamespace(now=0.0)
    monkeypatch.setattr(progress_module, "time", types.SimpleNamespace(monotonic=lambda: clock.now))
    config = SweepConfig(algos=["dpo"], seeds=[0])
    config.add_values("dpo.beta", ["0.1", "0.5", "1.0"], "--set")
    config.add_values("dpo.learning_rate", ["3e-4"], "--set")
    a, b, extra = resolve_grid(config)

    def follow_up(rec):  # as the placement does: a's record places one more cell
        return [extra] if rec.spec_hash == a[1].hash() else []

    queue = Queue(tmp_path, False, follow_up, SweepOutcome(), stream=None)
    queue.add([a, b])
    stream = io.StringIO()
    progress = SweepProgress([(c.algo, c.label) for c, _, _ in queue.todo], mode="quiet", stream=stream)
    queue.progress = progress

    launched = []

    def launch(spec, source):
        launched.append(spec)
        return f"ref{len(launched) - 1}"

    # each wait: (seconds on the clock when it returns, what it returns); [] is a second with no cell ending
    script = iter([(1.0, []), (12.0, ["ref0"]), (20.0, ["ref1"]), (30.0, ["ref2"])])
    waited = []

    def wait(refs, timeout):
        waited.append(sorted(refs))
        clock.now, ready = next(script)
        return ready

    def collect(ref, spec):
        assert spec is launched[int(ref[3:])]  # the spec the ref was launched with
        rec = record("dpo", spec.seed, 0.21, 1.03)
        rec.spec_hash = spec.hash()
        if ref == "ref1":  # the worker died twice: a failed record, with no time of the cell's own
            rec.status, rec.metrics, rec.error = "failed", {}, "ray: WorkerCrashedError: the worker died"
        else:
            rec.timings = {"total_s": {"ref0": 10.0, "ref2": 15.0}[ref]}
        return rec

    pending: dict = {}
    run_cells(queue, pending, 2, launch, collect, progress, wait=wait)

    assert [spec.hash() for spec in launched] == [a[1].hash(), b[1].hash(), extra[1].hash()]
    assert waited == [["ref0", "ref1"], ["ref0", "ref1"], ["ref1", "ref2"], ["ref2"]]
    assert pending == {} and len(queue.outcome.ran) == 3 and progress.slots == 2
    assert stream.getvalue().splitlines() == [
        "started: dpo beta=0.1 | sentiment | tiny | seed 0  (1 running)",
        "started: dpo beta=0.5 | sentiment | tiny | seed 0  (2 running)",
        # its record's 10 s; the time left goes by its 12 s of wall time: b has run 12 s (nothing left), and the
        # extra cell is not known yet
        "cell 1/2 ok in 10s: dpo beta=0.1 | sentiment | tiny | seed 0: gold reward +0.210, KL 1.03"
        " · elapsed 12s, time left 0s",
        "started: dpo beta=1.0 | sentiment | tiny | seed 0  (2 running)",  # the placed cell joins: 3 in all
        # b's wall time since it was submitted, 20 s; finished mean 16, the extra cell has run 8 s: 8 s left
        "cell 2/3 FAILED in 20s: dpo beta=0.5 | sentiment | tiny | seed 0: ray: WorkerCrashedError: the worker died"
        " · elapsed 20s, time left 8s",
        "cell 3/3 ok in 15s: dpo beta=1.0 | sentiment | tiny | seed 0: gold reward +0.210, KL 1.03"
        " · elapsed 30s, time left 0s",
    ]
