"""Public preference datasets as tasks: the rows of a hub dataset, or of a local copy in its schema.

``--task NAME`` loads the dataset from the hub (``datasets.load_dataset``); ``--task NAME:PATH``
loads a local copy: a folder written by ``save_to_disk``, a folder of data files, or one
.jsonl/.json/.parquet/.csv file in the dataset's own schema. ``@module:function`` adds a gold reward,
as for ``file:``. Offline, naming a hub dataset fails at once, saying so and how to pass a copy.
Each dataset's rows are converted to pairs (prompt, chosen, rejected) by its task's ``convert``;
conversations are rendered with the model's chat template when it has one (``render_prompt``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

from pobench.core.models import hub_unavailable
from pobench.tasks.file_task import dropped_warning, usable_rows
from pobench.tasks.preference_rows import DataFileError, PreferenceRowsTask

LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def load_rows(source: str, split: str, dataset_id: str, task: str) -> list[dict]:
    """The rows of ``split`` from a local copy (``source`` is a path) or from the hub (``source`` = the id)."""
    import datasets

    path = Path(source)
    if path.exists():
        if path.is_file():
            builder = LOCAL_FORMATS.get(path.suffix.lower())
            if builder is None:
                raise DataFileError(
                    f"{path}: unknown format (accepted: {', '.join(LOCAL_FORMATS)} or a dataset folder)"
                )
            data = datasets.load_dataset(builder, data_files=str(path), split="train")
        elif (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            data = datasets.load_from_disk(str(path))
            data = data[split] if isinstance(data, datasets.DatasetDict) else data
        else:
            data = datasets.load_dataset(str(path), split=split)
        return data.to_list()

    if hub_unavailable():
        raise DataFileError(
            f"dataset {dataset_id!r} cannot be fetched: this machine looks offline. Download it where there is "
            f"network (datasets.load_dataset({dataset_id!r}, split={split!r}).save_to_disk('copy')) and pass the "
            f"copy: --task {task}:/path/to/copy (a save_to_disk folder, or a .jsonl/.parquet file in its schema)"
        )
    return datasets.load_dataset(dataset_id, split=split).to_list()


def render(messages: list[dict]) -> str:
    """A conversation as plain text in Anthropic's HH format, ending where the assistant speaks next."""
    names = {"user": "Human", "assistant": "Assistant", "system": "System"}
    turns = "".join(f"\n\n{names.get(m['role'], m['role'].title())}: {m['content']}" for m in messages)
    return turns + "\n\nAssistant:"


class HubPreferenceTask(PreferenceRowsTask):
    """A public preference dataset; subclasses set ``dataset_id``, ``split`` and ``convert``."""

    dataset_id: ClassVar[str]
    split: ClassVar[str] = "train"
    needs_loading: ClassVar[bool] = True
    max_new_tokens = 128

    def __init__(self, spec: str = "", chat_tokenizer=None) -> None:
        self.chat_tokenizer = chat_tokenizer
        where, _, gold = spec.partition("@")
        source = where or self.dataset_id
        raw = load_rows(source, self.split, self.dataset_id, self.registered_name)
        converted, problems = [], []
        for number, row in enumerate(raw, start=1):
            try:
                converted.append((number, self.convert(row)))
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                problems.append(
                    f"{source} row {number}: not in {self.dataset_id}'s schema ({type(exc).__name__}: {exc})"
                )
        if problems:
            listed = "\n  ".join(problems[:20])
            raise DataFileError(
                f"{source}: {len(problems)} row(s) could not be converted; nothing was trained:\n  {listed}"
            )
        kind, rows, self.duplicates_dropped = usable_rows(Path(f"{source} row"), converted)
        if self.duplicates_dropped:  # public sets often carry them: the first of each is kept
            print(dropped_warning(source, self.duplicates_dropped), file=sys.stderr)
        self.setup(f"{self.registered_name}{':' + where if where else ''}", source, kind, rows, gold or None)
        if gold:
            self.name += "@" + gold

    registered_name: ClassVar[str]  # the name in the task registry (``name`` becomes NAME[:PATH][@gold])

    def data_stats(self) -> dict:
        return {"duplicate_rows_dropped": len(self.duplicates_dropped)}

    def convert(self, row: dict) -> dict:
        """One dataset row → {"prompt", "chosen", "rejected"}; raises on a row not in the schema."""
        raise NotImplementedError

    def render_prompt(self, messages: list[dict]) -> str:
        """A conversation up to the assistant's turn: through the model's chat template if it has one,
        else as plain text in the HH format."""
        if self.chat_tokenizer is not None:
            return self.chat_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return render(messages)
