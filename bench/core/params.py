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


# bound name → (test that the value passes, how the error says it)
BOUNDS = {
    "gt": (lambda v, b: v > b, ">"),
    "ge": (lambda v, b: v >= b, ">="),
    "lt": (lambda v, b: v < b, "<"),
    "le": (lambda v, b: v <= b, "<="),
}


NO_LEGACY = object()  # the field has existed since the first records


def param(
    default: Any,
    help: str,
    choices: Sequence[Any] | None = None,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    legacy: Any = NO_LEGACY,
    meaning: str | None = None,
) -> Any:
    """A settable field: its default, help text, and what it accepts (``choices``, or bounds such as ``gt=0``).

    ``meaning``: what the setting is, where several adapters declare it and mean the same thing (the KL strength β
    of DPO, IPO and KTO: pobench.contracts.meanings). Without it a field means what its own class says, shared only
    with the adapters that inherit it. A sweep's unqualified ``--set KEY`` is refused where two of its algorithms
    mean different things by KEY (``meaning_of``).

    ``legacy``: for a setting added after records existed, the value that reproduces the behaviour from before
    it. At that value the setting is left out of the cell's identity (the spec hash and the comparability key), so
    earlier records keep their names (a sweep resumes over them) and rank beside new ones; any other value
    changes both, as a setting should."""
    bounds = {name: bound for name, bound in (("gt", gt), ("ge", ge), ("lt", lt), ("le", le)) if bound is not None}
    metadata = {"help": help, "choices": tuple(choices or ()), "bounds": bounds}
    if legacy is not NO_LEGACY:
        metadata["legacy"] = legacy
    if meaning is not None:
        metadata["meaning"] = meaning
    return dataclasses.field(default=default, metadata=metadata)


def legacy_values(cls: type) -> dict[str, Any]:
    """Field name → its declared ``legacy`` value, for the fields of a settings dataclass that have one."""
    return {f.name: f.metadata["legacy"] for f in dataclasses.fields(cls) if "legacy" in f.metadata}


def meaning_of(cls: type, name: str) -> str:
    """What setting ``name`` of the settings dataclass ``cls`` is: its declared ``meaning``, else the class that
    declares the field (so subclasses that inherit it share it, and two unrelated adapters' ``beta`` do not)."""
    f = settable_fields(cls)[name]
    if "meaning" in f.metadata:
        return f.metadata["meaning"]
    owner = next(c for c in cls.__mro__ if name in vars(c).get("__annotations__", {}))
    return f"{owner.__module__}.{owner.__qualname__}.{name}"


def meaning_text(cls: type, name: str) -> str:
    """``meaning_of`` as a person reads it: the declared meaning, else the field's help."""
    f = settable_fields(cls)[name]
    return f.metadata.get("meaning") or f.metadata.get("help", name)


def check_bounds(cls: type, instance: Any, where: str, owner: str = "") -> None:
    """Every field within its declared bounds, or a SettingsError naming the value, the bound and the setting."""
    for f in dataclasses.fields(cls):
        value = getattr(instance, f.name)
        for name, bound in f.metadata.get("bounds", {}).items():
            passes, _ = BOUNDS[name]
            if not passes(value, bound):
                about = f"{owner}'s {f.name}: " if owner else ""
                raise SettingsError(
                    f"{where} {f.name}={value!r}: must be {bounds_text(f)} ({about}{f.metadata.get('help', '')})"
                )


def bounds_text(f: dataclasses.Field) -> str:
    """``> 0``, ``in [0, 1)``: what a field's bounds accept, for help and errors."""
    bounds = f.metadata.get("bounds", {})
    low = [name for name in ("gt", "ge") if name in bounds]
    high = [name for name in ("lt", "le") if name in bounds]
    if len(low) == 1 and len(high) == 1:
        opening, closing = "(" if low[0] == "gt" else "[", ")" if high[0] == "lt" else "]"
        return f"in {opening}{bounds[low[0]]:g}, {bounds[high[0]]:g}{closing}"
    return " and ".join(f"{BOUNDS[name][1]} {bound:g}" for name, bound in bounds.items())


def field_type(cls: type, f: dataclasses.Field) -> type:
    return typing.get_type_hints(cls)[f.name]


def describe_field(cls: type, f: dataclasses.Field) -> str:
    choices = f.metadata.get("choices")
    kind = "|".join(map(str, choices)) if choices else field_type(cls, f).__name__
    accepts = f", {bounds_text(f)}" if f.metadata.get("bounds") else ""
    return f"{f.name} ({kind}{accepts}, default {f.default!r}): {f.metadata.get('help', '')}"


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


def ordered_fields(cls: type) -> list[dataclasses.Field]:
    """A settings dataclass's fields as shown to users: those it declares first, then those it inherits from a
    shared base (an adapter's own knobs before the learning rate every TRL-backed adapter has)."""
    inherited = {name for base in cls.__mro__[1:] for name in getattr(base, "__dataclass_fields__", {})}
    every = dataclasses.fields(cls)
    return [f for f in every if f.name not in inherited] + [f for f in every if f.name in inherited]


def settable_fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def build_settings(cls: type, overrides: dict[str, str], where: str, owner: str = "") -> Any:
    """Instantiate ``cls`` with the string ``overrides`` parsed against its field types and bounds; ``owner``
    (an algorithm's name) says in errors whose setting it is."""
    fields = settable_fields(cls)
    values = {}
    for key, text in overrides.items():
        f = fields[key]
        values[key] = parse_value(text, field_type(cls, f), f.metadata.get("choices", ()), f"{where} {key}")
    instance = cls(**values)
    check_bounds(cls, instance, where, owner)
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
