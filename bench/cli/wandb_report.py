"""Whether ``pobench leaderboard --format wandb`` can create its report: credentials, the server, the package."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

from pobench.core.params import SettingsError
from pobench.harness.tracking import logged_in

NETWORK_TIMEOUT_S = 5


def check_wandb_reachable() -> None:
    """Fail at once, naming what is missing, rather than after wandb's own retries."""
    hint = "; pobench leaderboard --format wandb --dry-run prints the report's specification without it"
    if not logged_in():
        raise SettingsError(
            "pobench leaderboard --format wandb needs wandb credentials: run `wandb login` or set WANDB_API_KEY" + hint
        )
    url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    host = urlparse(url).hostname or url
    port = urlparse(url).port or (80 if url.startswith("http://") else 443)
    try:
        socket.create_connection((host, port), timeout=NETWORK_TIMEOUT_S).close()
    except OSError as exc:
        raise SettingsError(f"pobench leaderboard --format wandb cannot reach {host}:{port} ({exc}){hint}") from None
    try:
        import wandb_workspaces  # noqa: F401  (optional until here)
    except ImportError:
        raise SettingsError(
            "pobench leaderboard --format wandb needs the package wandb-workspaces: pip install wandb-workspaces"
        ) from None
    print(f"pobench leaderboard: creating the report in {host}", file=sys.stderr)
