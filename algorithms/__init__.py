"""The algorithm registry. On first lookup every module in this package is imported, and an adapter module
registers itself with ``@register("name")``: adding a file is all it takes to add an algorithm."""

import dataclasses

from pobench.contracts.adapter import Adapter, TrainContext, TrainResult
from pobench.core.registry import Registry, RegistryError
from pobench.core.settings import common_keys

DATA_KINDS = ("paired", "unpaired", "prompts", "none")


def _check_adapter(name: str, cls: type) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Adapter)):
        raise RegistryError(f"algorithm {name!r}: {cls!r} is not a subclass of pobench.contracts.adapter.Adapter")
    if not dataclasses.is_dataclass(cls.hparams):
        raise RegistryError(f"algorithm {name!r}: hparams {cls.hparams!r} must be a dataclass")
    clash = sorted({f.name for f in dataclasses.fields(cls.hparams)} & set(common_keys()))
    if clash:
        raise RegistryError(f"algorithm {name!r}: hyperparameter(s) {clash} clash with shared settings of that name")
    if cls.data not in DATA_KINDS:
        raise RegistryError(f"algorithm {name!r}: data={cls.data!r}, expected one of {DATA_KINDS}")
    cls.name = name


ALGORITHMS: Registry[type[Adapter]] = Registry(
    "algorithm", entry_point_group="pobench.algorithms", check=_check_adapter, package=__name__
)
register = ALGORITHMS.register

__all__ = ["ALGORITHMS", "Adapter", "TrainContext", "TrainResult", "register"]
