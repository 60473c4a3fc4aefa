"""Models: the registry of built-in models, and loading any causal LM by id or local folder.

Every model, the embedded ``tiny`` one included, is stored with ``save_pretrained`` and loaded
with ``from_pretrained``: the code path a hub model or a local folder takes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from bench.registry import Registry, RegistryError


class ModelError(ValueError):
    """A model that cannot be found or loaded; the message says what to do."""


class ModelSource:
    """Where a base model comes from. ``needs_tokenizer_training``: the tokenizer is built from the task."""

    name: ClassVar[str]
    description: ClassVar[str]
    needs_tokenizer_training: ClassVar[bool] = False

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


MODELS: Registry[type[ModelSource]] = Registry("model", entry_point_group="pobench.models")


@MODELS.register("tiny")
@dataclass(frozen=True)
class TinyLlama(ModelSource):
    """A ~1M-parameter Llama with a byte-level BPE tokenizer trained on the task corpus."""

    description: ClassVar[str] = "Llama architecture, ~1M parameters, 2k-token byte-level BPE trained on the task"
    needs_tokenizer_training: ClassVar[bool] = True
    name: ClassVar[str] = "tiny"
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


@dataclass(frozen=True)
class Pretrained(ModelSource):
    """Any causal LM given by a local folder or a hub id (loaded with ``from_pretrained``)."""

    name: ClassVar[str] = "pretrained"
    description: ClassVar[str] = "any causal LM: a local folder or a hub id"
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
        tokenizer = load_tokenizer(self.id_or_path)
        return tokenizer if getattr(tokenizer, "chat_template", None) else None

    def check_available(self) -> None:
        if not can_load(self.id_or_path):
            raise ModelError(
                f"model {self.id_or_path!r} is not a local folder, not in the local hub cache, and the hub "
                f"cannot be reached: this machine looks offline. Download it where there is network, then pass "
                f"the folder with --model /path/to/folder."
            )


def resolve_model(name: str) -> ModelSource:
    """A registered name, else a local folder, else a hub id ("org/name"); anything else is an error."""
    if name in MODELS:
        return MODELS.get(name)()
    if Path(name).is_dir() or ("/" in name and not name.startswith((".", "/"))):
        return Pretrained(name)
    raise RegistryError(MODELS.unknown_message(name) + "; or give a local model folder or a hub id like org/name")


def load_tokenizer(id_or_path: str | Path):
    from transformers import AutoTokenizer

    return _from_pretrained(AutoTokenizer, id_or_path)


def load_model(id_or_path: str | Path, device: str = "cpu", dtype: torch.dtype = torch.float32):
    from transformers import AutoModelForCausalLM

    return _from_pretrained(AutoModelForCausalLM, id_or_path, dtype=dtype).to(device)


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
    import socket
    from urllib.parse import urlparse

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
