"""How a command's failure reaches the user: one line and exit 2 for bad input (a folder that cannot be written,
found before any work, included), one line and exit 1 for a disk or folder fault met after work began, 130 for
Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from pobench.core.atomic import StorageError
from pobench.core.environment import quiet_libraries
from pobench.core.models import ModelError
from pobench.core.params import SettingsError
from pobench.core.registry import RegistryError
from pobench.harness.sweep import SweepLocked


def run_reporting_errors(args: argparse.Namespace) -> int:
    quiet_libraries(getattr(args, "verbose", False))
    try:
        return args.handler(args)
    except (RegistryError, SettingsError, ModelError, SweepLocked) as exc:
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
