"""How a command's failure reaches the user: one line and exit 2 for bad input (a folder that cannot be written,
found before any work, included), one line and exit 1 for a disk or folder fault met after work began, 130 for
Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

from pobench.core.atomic import StorageError
from pobench.core.environment import quiet_libraries
from pobench.core.models import ModelError
from pobench.core.params import SettingsError
from pobench.core.registry import RegistryError
from pobench.harness.sweep import SweepLocked, VersionSplit


def run_reporting_errors(args: argparse.Namespace) -> int:
    quiet_libraries(getattr(args, "verbose", False))
    try:
        with sigterm_interrupts():
            return args.handler(args)
    except (RegistryError, SettingsError, ModelError, SweepLocked, VersionSplit) as exc:
        print(f"pobench: error: {exc}", file=sys.stderr)
        return 2
    except StorageError as exc:  # after work began: what was recorded before it stays
        print(f"pobench: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output was piped into a command that stopped reading (`| head`)
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("pobench: interrupted", file=sys.stderr)
        return 130


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within it, SIGTERM (``kill PID``, a job scheduler's stop) ends the command as Ctrl-C does: the running cell
    is recorded as interrupted, a sweep says how to resume, exit 130. Without it SIGTERM killed the process on the
    spot, and a sweep started in the background by a script, where the shell ignores SIGINT, had no clean way to
    stop. A handler someone else set (SIGTERM ignored, say) is kept; the old one is back on the way out."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
