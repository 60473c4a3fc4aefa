"""The claims registry. On first lookup every module of this package is imported; a claim module registers its
Claim subclass with ``@register("name")``. Plugins add claims through the ``pobench.claims`` entry-point group."""

from pobench.claims.claim import Claim, Finding, Scenario
from pobench.core.registry import Registry, RegistryError


def _check_claim(name: str, cls: type) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Claim)):
        raise RegistryError(f"claim {name!r}: {cls!r} is not a subclass of pobench.claims.Claim")
    missing = [a for a in ("method", "sentence", "source", "scenario") if not getattr(cls, a, None)]
    if missing:
        raise RegistryError(f"claim {name!r}: {', '.join(missing)} not given")
    cls.name = name


CLAIMS: Registry[type[Claim]] = Registry("claim", entry_point_group="pobench.claims", check=_check_claim,
                                         package=__name__)  # fmt: skip
register = CLAIMS.register

__all__ = ["CLAIMS", "Claim", "Finding", "Scenario", "register"]
