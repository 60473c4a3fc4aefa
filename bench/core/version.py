"""This pobench's version (kept free of heavy imports: the command line's --version and a record's schema message
read it)."""

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """This pobench's version, as installed."""
    try:
        return version("pobench")
    except PackageNotFoundError:  # a checkout on sys.path, not installed
        return "unknown (not installed)"
