"""Start the dashboard: validate what to show, then run Solara's server on loopback only.

Everything a user can get wrong (scenario, run directory, policy, the missing
``dashboard`` extra) is checked here, in this process, so ``twin dashboard`` fails with
one ``error:`` line before any server exists. The server is Solara's own (``solara
run``, via :mod:`twin.dashboard.launch`), bound to 127.0.0.1, with its usage telemetry and
version check off and its CDN proxy cache-only:
the page's bundle is fetched once with npm (:mod:`twin.dashboard.assets`) and served
from a local cache, so the browser and the server talk only to each other.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from twin.errors import DependencyNotInstalled

#: Loopback only: the dashboard shows occupants' data and has no authentication.
HOST = "127.0.0.1"


def require_solara() -> None:
    """Raise :class:`DependencyNotInstalled` with the extra to install when Solara is missing."""
    if importlib.util.find_spec("solara") is None:
        raise DependencyNotInstalled("twin dashboard needs Solara: pip install 'twin[dashboard]'")


def server_env(
    target: str, policy: str | None, seed: int | None, port: int, cache_dir: Path
) -> dict[str, str]:
    """The environment of the server process: what to show, and Solara kept on loopback."""
    env = dict(os.environ)
    env.update(
        TWIN_DASHBOARD_TARGET=target,
        TWIN_DASHBOARD_POLICY=policy or "",
        TWIN_DASHBOARD_SEED="" if seed is None else str(seed),
        SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
        # the page's CDN assets come from this server's cache (twin.dashboard.assets)
        SOLARA_ASSETS_PROXY="True",
        SOLARA_ASSETS_PROXY_CACHE_DIR=str(cache_dir),
        SOLARA_ASSETS_FONTAWESOME_ENABLED="False",
        SOLARA_THEME_LOADER="plain",
        MPLBACKEND="Agg",
    )
    return env


def serve(target: str, policy: str | None, seed: int | None, port: int) -> None:
    """Check ``target`` and ``policy``, then replace this process by the Solara server."""
    require_solara()
    from twin.dashboard.assets import ensure_assets
    from twin.dashboard.session import open_session

    open_session(target, policy, seed)  # raises the user's mistake before serving
    assets = ensure_assets()
    target = str(Path(target).resolve()) if Path(target).exists() else target
    args = [
        sys.executable, "-m", "twin.dashboard.launch", "run", "twin.dashboard.app",
        "--host", HOST, "--port", str(port), "--production", "--no-open",
        "--no-check-version", "--log-level", "warning",
    ]  # fmt: skip
    print(f"twin dashboard: http://{HOST}:{port}/  (Ctrl+C stops it)", flush=True)
    os.execve(sys.executable, args, server_env(target, policy, seed, port, assets))
