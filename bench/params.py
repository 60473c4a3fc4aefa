"""Typed settings dataclasses and ``--set key=value`` parsing against them.

Every settable value in pobench (an adapter's hyperparameters, the shared budget, data and eval
settings) is a field of a frozen dataclass declared with :func:`param`: a default, a help line
and optionally the accepted choices. ``--set`` values are parsed against those types, so a typo or
a wrong type is reported before any work starts.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Sequence
from typing import Any


class SettingsError(ValueError):
    """A bad ``--set`` key or value; the message names it and what is accepted."""


def param(default: Any, help: str, choices: Sequence[Any] | None = None) -> Any:
    return dataclasses.field(default=default, metadata={"help": help, "choices": tuple(choices or ())})


def field_type(cls: type, f: dataclasses.Field) -> type:
    return typing.get_type_hints(cls)[f.name]


def describe_field(cls: type, f: dataclasses.Field) -> str:
    choices = f.metadata.get("choices")
    kind = "|".join(map(str, choices)) if choices else field_type(cls, f).__name__
    return f"{f.name} ({kind}, default {f.default!r}): {f.metadata.get('help', '')}"


def parse_value(text: str, typ: type, choices: Sequence[Any], where: str) -> Any:
    """Parse a command-line string as ``typ``; ``where`` names the setting in errors."""
    try:
        if typ is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            value: Any = lowered in ("true", "1", "yes")
        elif typ is int:
            value = int(text)
        elif typ is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
        elif typ is str:
            value = text
        else:  # pragma: no cover - a settings class declared a type we do not parse
            raise SettingsError(f"{where}: settings of type {typ} cannot be set from the command line")
    except ValueError:
        raise SettingsError(f"{where}={text!r}: not a valid {typ.__name__}") from None
    if choices and value not in choices:
        raise SettingsError(f"{where}={text!r}: must be one of {', '.join(map(str, choices))}")
    return value


def settable_fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def build_settings(cls: type, overrides: dict[str, str], where: str) -> Any:
    """Instantiate ``cls`` with the string ``overrides`` parsed against its field types."""
    fields = settable_fields(cls)
    values = {}
    for key, text in overrides.items():
        f = fields[key]
        values[key] = parse_value(text, field_type(cls, f), f.metadata.get("choices", ()), f"{where}.{key}")
    instance = cls(**values)
    check = getattr(instance, "validate", None)
    if check is not None:
        check()
    return instance


def parse_assignments(items: Sequence[str], where: str = "--set") -> dict[str, str]:
    """``["beta=0.1", "epochs=2"]`` → ``{"beta": "0.1", "epochs": "2"}``; malformed items are errors."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingsError(f"{where} {item!r}: expected KEY=VALUE, e.g. {where} beta=0.1")
        if key in out:
            raise SettingsError(f"{where} {key} given twice ({out[key]!r} and {value!r})")
        out[key] = value
    return out
