"""One registry type, instantiated once each for algorithms, tasks and models.

A registry maps a name to a class (or factory). Duplicate names are an error, unknown names are
answered with the closest registered name and the full list, and third-party packages can add
entries through a Python entry-point group without touching pobench. A registry given a ``package``
discovers it: on first lookup every module of that package is imported, and a module registers what it
defines, so adding a file is all it takes to add an entry.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(ValueError):
    """A bad name: duplicate on registration, unknown on lookup."""


class Registry(Generic[T]):
    """Name → entry, with one registration point (``@REGISTRY.register("name")``)."""

    def __init__(
        self,
        kind: str,
        entry_point_group: str | None = None,
        check: Callable[[str, T], None] | None = None,
        package: str | None = None,
    ) -> None:
        self.kind = kind  # "algorithm", "task", "model": used in error messages
        self.entry_point_group = entry_point_group
        self.package = package  # every module of this package is imported on first lookup
        self.check = check  # raises RegistryError if an entry is not acceptable (wrong base class, ...)
        self._entries: dict[str, T] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(entry: T) -> T:
            self.add(name, entry)
            return entry

        return decorator

    def add(self, name: str, entry: T) -> None:
        if not name or name != name.strip() or any(c.isspace() for c in name):
            raise RegistryError(f"invalid {self.kind} name {name!r}: use a non-empty name without spaces")
        if name in self._entries:
            raise RegistryError(
                f"duplicate {self.kind} name {name!r}: already registered by {_origin(self._entries[name])}"
            )
        if self.check is not None:
            self.check(name, entry)
        self._entries[name] = entry

    def get(self, name: str) -> T:
        self._load_plugins()
        if name in self._entries:
            return self._entries[name]
        raise RegistryError(self.unknown_message(name))

    def unknown_message(self, name: str) -> str:
        names = self.names()
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown {self.kind} {name!r}{hint} (registered: {', '.join(names)})"

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        for name in self.names():
            yield name, self._entries[name]

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._entries

    def _load_plugins(self) -> None:
        """Import the package's modules, then third-party entries, once; importing a module registers it."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        if self.package is not None:
            package = importlib.import_module(self.package)
            for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
                importlib.import_module(f"{self.package}.{module}")
        if self.entry_point_group is None:
            return
        for ep in entry_points(group=self.entry_point_group):
            try:
                ep.load()
            except Exception as exc:  # a broken plugin must not take pobench down
                raise RegistryError(
                    f"could not load {self.kind} plugin {ep.name!r} ({ep.value}) "
                    f"from entry-point group {self.entry_point_group!r}: {exc}"
                ) from exc


def _origin(entry: object) -> str:
    module = getattr(entry, "__module__", "?")
    qualname = getattr(entry, "__qualname__", type(entry).__name__)
    return f"{module}.{qualname}"
