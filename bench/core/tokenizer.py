"""Tokenizers built for a task with the `tokenizers` library: byte-level BPE trained on its corpus, or a closed
word-level vocabulary for a task that declares one (an enumerable task)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int, folder: Path) -> None:
    """Byte-level BPE (every byte representable, no unknown token); BOS is prepended to every text."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        trainers,
    )

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    _save_with_bos(tok, folder)


def word_level_tokenizer(words: Sequence[str], folder: Path) -> None:
    """A closed vocabulary: exactly ``words`` and the special tokens, nothing else, so a model built on it has
    ``len(words) + 4`` outputs and every response of a few tokens can be enumerated. Every word is read with a
    space before it (byte-level, as the BPE tokenizers do), so a decoded completion starts with a space and
    ``prompt + completion`` tokenizes as the prompt's tokens then the completion's; BOS is prepended to every
    text, and anything outside the list becomes ``<unk>``."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
    )

    if len(set(words)) != len(words) or any(not w.isalnum() for w in words):
        raise ValueError(f"a closed vocabulary needs distinct words of letters and digits, got {list(words)}")
    specials = [PAD, BOS, EOS, UNK]
    vocab = {token: i for i, token in enumerate([*specials, *("\u0120" + w for w in words)])}  # Ġ: a leading space
    tok = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    tok.add_special_tokens(specials)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    _save_with_bos(tok, folder, unk_token=UNK)


def _save_with_bos(tok, folder: Path, **special) -> None:
    """BOS prepended to every text, then saved as a transformers fast tokenizer with pobench's special tokens."""
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, tok.token_to_id(BOS))]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD, **special)
    fast.save_pretrained(folder)
