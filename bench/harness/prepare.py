"""Stage 1 of a cell: the shared work, built once and cached by a hash of what determines it.

tokenizer (task corpus, vocab) → reference/SFT model (base model, tokenizer, SFT settings) →
preference data (reference, task, data settings) and the reference's eval samples (reference,
task, eval settings). Each key includes its upstream keys, so a change anywhere rebuilds exactly
what depends on it, and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from pobench.contracts.task import Task
from pobench.core.cache import Artifact, ArtifactCache
from pobench.core.environment import package_versions
from pobench.core.flops import count_flops
from pobench.core.hashing import file_hash
from pobench.core.models import ModelError, ModelSource, load_model, load_tokenizer, preset_of
from pobench.core.settings import SFTSettings
from pobench.core.tokenizer import train_bpe_tokenizer, word_level_tokenizer
from pobench.harness.evaluate import REFERENCE_SAMPLE_SEED, eval_prompts, reference_gold
from pobench.harness.spec import CellSpec
from pobench.kit.preference import DATA_FILES, PAIRS, build_pairs, read_jsonl, write_given_rows
from pobench.kit.proxy import Proxy, build_calibration, load_proxy, proxy_settings, write_calibration
from pobench.kit.reward_model import RewardModelSettings, load_reward_scorer, prepare_reward_model
from pobench.kit.sft import sft_train

TOKENIZER_CORPUS = 20_000  # SFT examples the tokenizer is trained on
REF_GOLD = "reference_gold.json"


@dataclass
class Prepared:
    reference: Artifact
    data: Artifact
    ref_eval: Artifact
    proxy_model: Artifact | None = None  # the seed's reward model, judging every cell (pobench.kit.proxy)
    proxy_line: Artifact | None = None  # its calibration into gold units and the held-out pairs
    proxy_skipped: str = ""  # why this cell has no proxy
    base: Artifact | None = None  # the model SFT starts from, where the policy starts there (ORPO's start=base)
    loaded: dict = field(default_factory=dict, repr=False)

    @property
    def data_fingerprint(self) -> str:
        return self.data.extra["fingerprint"]

    @property
    def data_identity(self) -> str:
        """What the comparability key says about the data: a file's rows are the same for every seed (their
        fingerprint); sampled pairs are a new draw per seed, made the same way (reference, task, data settings,
        all in the key already), so every seed of the same recipe compares."""
        return self.data_fingerprint if self.data.extra.get("given") else "sampled per seed"

    def ref_gold(self) -> list[float]:
        return json.loads((self.ref_eval.path / REF_GOLD).read_text())

    def info(self) -> dict:
        info = {"reference": self.reference.info, "data": self.data.info, "ref_eval": self.ref_eval.info}
        if self.base is not None:
            info["base"] = self.base.info
        if self.proxy_line is not None:
            info["proxy"] = {**self.proxy_line.info, "reward_model": self.proxy_model.key}
        elif self.proxy_skipped:
            info["proxy"] = {"skipped": self.proxy_skipped}
        return info

    def proxy(self, device: str) -> Proxy | None:
        """The seed's proxy, loaded once; None where it could not be built (``proxy_skipped`` says why)."""
        if self.proxy_line is None:
            return None
        if "proxy" not in self.loaded:
            model, line = self.proxy_model, self.proxy_line
            self.loaded["proxy"] = load_proxy(model.path, line.path, model.extra, device)
        return self.loaded["proxy"]


def key_versions() -> dict:
    """Library versions that change numerics: a new one rebuilds rather than reuses. They enter the tokenizer's and
    the SFT model's keys, so every comparability key."""
    v = package_versions()
    return {k: v[k] for k in ("torch", "transformers", "tokenizers")}


def task_inputs(task: Task) -> dict:
    return {"task": task.name, "version": task.version, **task.fingerprint_inputs()}


def prepare_reference(
    task: Task,
    source: ModelSource,
    sft: SFTSettings,
    cache: ArtifactCache,
    device: str,
    log: Callable[[str], None],
    base: bool = False,
) -> Artifact:
    """The SFT model (the reference every cell is measured against), built or reused; ``base``: the model SFT
    starts from instead, untrained (ORPO's start=base)."""
    tokenizer_art = None
    if source.needs_tokenizer_training:
        vocab = source.key_inputs().get("vocab_size", 2048)
        if task.vocabulary:  # a closed word list: nothing is trained, the words are the tokenizer
            trained_on = {"vocabulary": list(task.vocabulary)}
        else:
            trained_on = {"vocab_size": vocab, "corpus": TOKENIZER_CORPUS, "seed": sft.sft_seed}
        tok_inputs = {**task_inputs(task), **trained_on, "versions": key_versions()}

        def build_tokenizer(folder: Path) -> dict:
            if task.vocabulary:
                word_level_tokenizer(task.vocabulary, folder)
                return {"vocabulary": len(task.vocabulary)}
            texts = [e.prompt + e.completion for e in task.sft_examples(TOKENIZER_CORPUS, sft.sft_seed)]
            train_bpe_tokenizer(texts, vocab, folder)
            return {}

        tokenizer_art = cache.get_or_build("tokenizer", tok_inputs, build_tokenizer, f"{task.name} tokenizer")

    inputs = {
        **task_inputs(task),
        "model": source.key_inputs(),
        "sft": asdict(sft),
        "versions": key_versions(),
        "tokenizer": tokenizer_art.key if tokenizer_art else None,
    }

    def build_reference(folder: Path) -> dict:
        source.build_base(tokenizer_art.path if tokenizer_art else None, folder, seed=sft.sft_seed)
        model, tokenizer = load_model(folder, device=device), load_tokenizer(folder)
        stats = {}
        if sft.sft_steps and not base:
            examples = task.sft_examples(sft.sft_steps * sft.sft_batch_size, sft.sft_seed)
            with count_flops() as compute:
                stats = sft_train(model, tokenizer, examples, sft, max_length=128, log=log)
            stats["sft_flops"] = float(compute.total)  # what a method that starts from SFT spent before it
        source.after_sft(model, tokenizer, task).save_pretrained(folder)
        return stats

    if base:  # the model SFT starts from: pretrained weights, or tiny's random initialization (the SFT seed's)
        inputs = {**inputs, "sft": {"sft_seed": sft.sft_seed}}
        return cache.get_or_build(
            "base", inputs, build_reference, f"base (pre-SFT) model {source.key_inputs()['source']}"
        )
    return cache.get_or_build(
        "reference", inputs, build_reference, f"reference (SFT) model {source.key_inputs()['source']}"
    )


def prepare(
    spec: CellSpec,
    *,
    task: Task,
    source: ModelSource,
    cache: ArtifactCache,
    device: str,
    log: Callable[[str], None],
) -> Prepared:
    """Build or reuse everything ``spec``'s cell needs, by its SFT, data and eval settings; its seed draws the
    preference pairs. ``task``: the spec's task, built (``spec.task_object``)."""
    sft, data, eval_settings, seed = spec.sft, spec.data, spec.eval, spec.seed
    reference = prepare_reference(task, source, sft, cache, device, log)
    starts_from_base = getattr(spec.hparams, "start", "sft") == "base"
    base = prepare_reference(task, source, sft, cache, device, log, base=True) if starts_from_base else None
    loaded: dict = {}

    def ref_model():
        if not loaded:
            loaded["model"] = load_model(reference.path, device=device).eval()
            loaded["tokenizer"] = load_tokenizer(reference.path)
        return loaded["model"], loaded["tokenizer"]

    def build_data(folder: Path) -> dict:
        if given:  # a task made from a preference file: the data as given, the same for every seed
            stats = {**write_given_rows(task, given_rows, folder), "given": True}
        else:
            stats = build_pairs(*ref_model(), task, data, folder, seed=seed)
        return {**stats, "fingerprint": file_hash(folder / PAIRS)}

    given_rows = task.preference_rows()  # built once: a dataset's rows are joined to their prompts here
    given = given_rows is not None
    data_inputs = {**task_inputs(task), "reference": reference.key, "data": asdict(data), "files": DATA_FILES}
    if not given:
        data_inputs["seed"] = seed
    what = f"{task.name} preference data" + ("" if given else f" (seed {seed})")
    data_art = cache.get_or_build("data", data_inputs, build_data, what)
    if task.data_stats():  # e.g. duplicate rows dropped: this run's, so added after the cache
        data_art = replace(data_art, extra={**data_art.extra, **task.data_stats()})

    def build_ref_eval(folder: Path) -> dict:
        gold = reference_gold(*ref_model(), task, eval_settings)
        (folder / REF_GOLD).write_text(json.dumps(gold))
        return {"samples": len(gold)}

    eval_inputs = {**task_inputs(task), "reference": reference.key, "eval": asdict(eval_settings)}
    ref_eval = cache.get_or_build("ref-eval", eval_inputs, build_ref_eval, "reference eval samples (for win rate)")
    return Prepared(reference, data_art, ref_eval, base=base)


def proxy_obstacle(task: Task, data: Artifact) -> str:
    """Why no proxy can judge this cell's samples, or "" if one can."""
    if not task.has_gold:
        return f"task {task.name!r} has no gold reward to calibrate a reward model against"
    if len(read_jsonl(data.path / PAIRS)) < 2:
        return "fewer than 2 preference pairs to train a reward model on"
    return ""


def prepare_proxy(
    spec: CellSpec,
    task: Task,
    prepared: Prepared,
    cache: ArtifactCache,
    device: str,
    log: Callable[[str], None],
    rm_settings: RewardModelSettings | None = None,
) -> Prepared:
    """``prepared`` with the seed's proxy reward model (trained on its pairs as PPO's is: ``proxy_settings`` of the
    model's preset, or ``rm_settings`` where given: pobench.harness.tune_rm) and its calibration on the reference's
    samples of the eval prompts, built or reused; or with the reason it has none."""
    reason = proxy_obstacle(task, prepared.data)
    if reason:
        return replace(prepared, proxy_skipped=reason)
    reference, data = prepared.reference, prepared.data
    try:
        rm_settings = rm_settings or proxy_settings(preset_of(spec.model).settings)
        model = prepare_reward_model(cache, reference.path, data.path, rm_settings, device, log)
    except ModelError as exc:  # e.g. the tabular model carries no reward head
        return replace(prepared, proxy_skipped=str(exc))
    settings = spec.eval
    inputs = {
        **task_inputs(task),
        "reference": reference.key,
        "reward_model": model.key,
        "eval": asdict(settings),
        "seed": REFERENCE_SAMPLE_SEED,
    }

    def build(folder: Path) -> dict:
        ref, tokenizer = load_model(reference.path, device=device).eval(), load_tokenizer(reference.path)
        scorer = load_reward_scorer(model.path, device)
        prompts = eval_prompts(task, settings)
        k, batch = settings.eval_samples, settings.eval_batch_size
        line, pairs = build_calibration(ref, tokenizer, scorer, task, prompts, k, REFERENCE_SAMPLE_SEED, batch)
        log(f"  proxy: gold = {line['intercept']:.4g} + {line['slope']:.4g}·score (R² {line['r2']:.3f})")
        return write_calibration(folder, line, pairs)

    line = cache.get_or_build("proxy-calibration", inputs, build, "proxy calibration on the reference's samples")
    return replace(prepared, proxy_model=model, proxy_line=line)
