"""`pobench tune-rm` on tiny measures a reward model exactly as a sweep's record reports it."""

from __future__ import annotations

from pobench.cli import main
from pobench.core.cache import ArtifactCache
from pobench.harness.pipeline import run_cell
from pobench.harness.spec import resolve_spec
from pobench.harness.tune_rm import probe
from pobench.kit.reward_model import RewardModelSettings

SMALL = {"sft_steps": "20", "data_pairs": "64", "eval_prompts": "8", "eval_samples": "4"}


def test_a_probe_of_the_presets_setting_is_what_the_records_report(tmp_path, capsys):
    cache = tmp_path / "cache"
    spec, source = resolve_spec("sft", "sentiment", "tiny", 3, SMALL)
    record, _ = run_cell(spec, source, tmp_path / "out", cache, device="cpu", log=lambda _: None)
    tiny_default = RewardModelSettings()  # tiny's preset sets no rm_learning_rate: every cell's proxy is this one
    other = RewardModelSettings(learning_rate=1e-4, epochs=1)
    found = probe("tiny", "sentiment", 3, [tiny_default, other], ArtifactCache(cache, log=lambda _: None), "cpu",
                  lambda _: None, SMALL)  # fmt: skip
    assert found[0].r2 == record.metrics["proxy/r2"] and found[0].slope == record.metrics["proxy/slope"]
    assert found[0].accuracy == record.metrics["proxy/heldout_accuracy"]
    assert found[0].build_s == 0  # the cell built it; the probe reused it
    assert found[1].r2 != found[0].r2 and found[1].build_s > 0  # another setting is another, new model

    argv = ["dev", "tune-rm", "--model", "tiny", "--seeds", "3", "--learning-rates", "1e-3,1e-4", "--epochs", "4,1"]
    assert main([*argv, "--cache", str(cache), *[f"--set={k}={v}" for k, v in SMALL.items()]]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| 0.00")]
    assert len(rows) == 4  # 2 rates × 2 epoch counts, one seed
    assert f"{found[0].r2:.3f}" in next(r for r in rows if r.startswith("| 0.001 ") and "| 4 " in r)
    assert out.rstrip().splitlines()[-1].startswith("highest mean R²")  # the chosen setting closes the output
