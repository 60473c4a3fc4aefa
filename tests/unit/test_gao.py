"""The Gao et al. (2023) fits (bench/reports/gao.py): known α, β recovered from their own forms, exactly without
noise and closely with a little, a least-squares case worked by hand, the mean over seeds, and the fits in the
headline rows (gains over each seed's SFT gold)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pobench.core.record import RunRecord
from pobench.reports import gao
from pobench.reports.headline import build_headline, to_markdown

KLS = [0.25, 1.0, 2.25, 4.0, 9.0]  # d = 0.5, 1, 1.5, 2, 3


@pytest.mark.parametrize(("form", "alpha", "beta"), [("bon", 0.5, 0.1), ("rl", 0.3, 0.15), ("rl", 0.2, -0.05)])
def test_known_coefficients_are_recovered_exactly_without_noise(form, alpha, beta):
    gains = gao.model([math.sqrt(k) for k in KLS], alpha, beta, form)
    assert gao.fit(KLS, gains, form) == (pytest.approx(alpha, abs=1e-12), pytest.approx(beta, abs=1e-12))


@pytest.mark.parametrize(("form", "alpha", "beta"), [("bon", 0.5, 0.1), ("rl", 0.3, 0.15)])
def test_known_coefficients_are_recovered_closely_with_a_little_noise(form, alpha, beta):
    rng = np.random.default_rng(0)
    kls = np.geomspace(0.05, 16.0, 40)
    gains = gao.model(np.sqrt(kls), alpha, beta, form) + rng.normal(0.0, 0.002, kls.size)
    a, b = gao.fit(kls, gains, form)
    assert abs(a - alpha) < 0.005 and abs(b - beta) < 0.005


def test_least_squares_by_hand():
    # best-of-n form at d = 1, 2, 3 (KL 1, 4, 9), R = 1, 1, 0.2: X = [[1, −1], [2, −4], [3, −9]];
    # XᵀX = [[14, −36], [−36, 98]], det = 14·98 − 36² = 76; Xᵀy = [1 + 2 + 0.6, −(1 + 4 + 1.8)] = [3.6, −6.8];
    # α = (98·3.6 + 36·(−6.8))/76 = 108/76 = 1.421053, β = (36·3.6 + 14·(−6.8))/76 = 34.4/76 = 0.452632
    assert gao.fit([1.0, 4.0, 9.0], [1.0, 1.0, 0.2], "bon") == (approx6(108 / 76), approx6(34.4 / 76))
    # RL form at d = 1 and e (KL 1, e²): the rows are [1, −0] and [e, −e·1], so α = R(1) and β = α − R(e)/e
    assert gao.fit([1.0, math.e**2], [0.4, 0.3 * math.e], "rl") == (approx6(0.4), approx6(0.1))


def test_too_few_points_or_one_distance_give_no_fit():
    assert all(math.isnan(v) for v in gao.fit([1.0], [0.3], "rl"))
    assert all(math.isnan(v) for v in gao.fit([4.0, 4.0, 4.0], [0.3, 0.31, 0.29], "bon"))  # rank 1
    assert all(math.isnan(v) for v in gao.fit([0.0, -0.01, 1.0], [0.0, 0.0, 0.2], "rl"))  # d = 0 rows are zeros
    assert all(math.isnan(v) for v in gao.fit([1.0, math.nan, 4.0], [0.1, 0.2, math.nan], "rl"))  # one finite
    assert gao.design([0.0, 1.0], "rl").tolist() == [[0.0, 0.0], [1.0, -0.0]]
    with pytest.raises(ValueError, match="form must be one of bon, rl"):
        gao.design([1.0], "ppo")
    assert (gao.form_of("best-of-n"), gao.form_of("ppo"), gao.form_of("dpo")) == ("bon", "rl", "rl")


def test_over_seeds_the_mean_and_t_interval_of_the_fits():
    d = [0.5, 1.0, 2.0]
    per_seed = {
        s: [(x * x, g) for x, g in zip(d, gao.model(d, alpha, 0.1, "rl"))] for s, alpha in enumerate((0.5, 0.6, 0.7))
    }
    per_seed[3] = [(1.0, 0.5)]  # one point: no fit, not counted
    out = gao.fit_over_seeds(per_seed, "rl")
    # α 0.5, 0.6, 0.7 → mean 0.6, sd 0.1, ± 4.302653·0.1/√3 = 0.248414; β 0.1 on every seed → (0.1, 0.1)
    assert (out["alpha"], out["alpha_low"], out["alpha_high"]) == (approx6(0.6), approx6(0.351586), approx6(0.848414))
    assert (out["beta"], out["beta_low"], out["beta_high"], out["seeds"]) == (approx6(0.1), approx6(0.1),
                                                                             approx6(0.1), 3)  # fmt: skip
    one = gao.fit_over_seeds({0: per_seed[0], 1: [(1.0, 0.5)]}, "rl")
    assert one["seeds"] == 1 and math.isnan(one["alpha"])  # one seed fitted: no mean, shown "-"


def cell(algo, seed, kl, gold, proxy=None, beta=0.1) -> RunRecord:
    metrics = {"eval/kl": kl, "eval/reward": gold}
    if proxy is not None:
        metrics["eval/proxy_reward"] = proxy
    return RunRecord(spec={}, spec_hash=f"{algo}{seed}{beta}", algo=algo, hparams={"beta": beta}, task="sentiment",
                     task_version="2", model="tiny", seed=seed, status="ok", comparability_key="K",
                     metrics=metrics)  # fmt: skip


def test_the_headline_fits_gains_over_each_seeds_sft_gold():
    # seed s: SFT gold 0.1·s; ppo's gold = SFT + d(α_s − 0.1·log d), α_s = 0.3, 0.4; its proxy = SFT + d(0.5 − 0)
    # (a proxy that never bends over); best-of-n's gold = SFT + d(0.4 − 0.2·d) on both seeds
    records = []
    for s, alpha in enumerate((0.3, 0.4)):
        sft = 0.1 * s
        records.append(cell("sft", s, 0.0, sft))
        for beta, kl in ((1.0, 0.5), (0.3, 2.0), (0.1, 6.0)):
            d = math.sqrt(kl)
            gold = sft + d * (alpha - 0.1 * math.log(d))
            records.append(cell("ppo", s, kl, gold, proxy=sft + 0.5 * d, beta=beta))
            records.append(cell("best-of-n", s, kl, sft + d * (0.4 - 0.2 * d), beta=beta))
    rows = build_headline(records, budgets=(1.0,)).rows.set_index("algo")
    ppo, bon = rows.loc["ppo"], rows.loc["best-of-n"]
    assert (ppo["gao_form"], ppo["gao_alpha"], ppo["gao_beta"]) == ("rl", approx6(0.35), approx6(0.1))
    # α 0.3, 0.4: ± t_{1,0.975}·sd/√2 = 12.706205·0.0707107/1.414214 = 0.635310
    assert (ppo["gao_alpha_low"], ppo["gao_alpha_high"]) == (approx6(0.35 - 0.635310), approx6(0.35 + 0.635310))
    assert (ppo["gao_proxy_alpha"], ppo["gao_proxy_beta"], ppo["gao_proxy_seeds"]) == (approx6(0.5), approx6(0), 2)
    assert (bon["gao_form"], bon["gao_alpha"], bon["gao_beta"]) == ("bon", approx6(0.4), approx6(0.2))
    assert bon["gao_seeds"] == 2 and bon["gao_proxy_seeds"] == 0 and math.isnan(bon["gao_proxy_alpha"])
    text = to_markdown(build_headline(records, budgets=(1.0,)))
    fits = text[text.index("**Gao et al. (2023) fits: a reading aid**") :]
    assert "| best-of-n | R = d(α − β·d)     | +0.400 (+0.400, +0.400) | +0.200 (+0.200, +0.200) | -" in fits
    assert "A reading aid, not a headline" in fits


def approx6(x: float):
    return pytest.approx(x, abs=1e-6)
