"""The page's JavaScript bundle, served by the dashboard itself so nothing leaves the machine.

Solara's page loads its app bundle (``@widgetti/solara-vuetify3-app``, an npm package)
from a CDN, through a proxy in the Solara server that fetches and caches on first use.
The dashboard fills that cache ahead of time with npm's own client (``npm pack``) and
turns the fetch off (:func:`forbid_cdn`), so the server and the browser talk only to
each other on loopback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from twin.errors import DependencyNotInstalled


def cache_dir() -> Path:
    """Where the bundles live: ``$TWIN_DASHBOARD_ASSETS`` or ``~/.cache/twin/solara-cdn``."""
    env = os.environ.get("TWIN_DASHBOARD_ASSETS")
    return Path(env) if env else Path.home() / ".cache" / "twin" / "solara-cdn"


def bundles() -> list[str]:
    """``name@version`` of the npm packages the installed Solara's page loads from its CDN."""
    template = (files("solara.server") / "templates" / "solara.html.j2").read_text()
    vue3 = int(version("ipyvue").split(".")[0]) >= 3
    app = "solara-vuetify3-app" if vue3 else "solara-vuetify-app"
    found = [re.search(rf"@widgetti/{app}@(\d+\.\d+\.\d+)", template),
             re.search(r"requirejs@(\d+\.\d+\.\d+)", template)]  # fmt: skip
    if None in found:
        raise DependencyNotInstalled(f"cannot tell which {app} this Solara version loads")
    return [f"@widgetti/{app}@{found[0].group(1)}", f"requirejs@{found[1].group(1)}"]  # type: ignore[union-attr]


def ensure_assets() -> Path:
    """Put the page's npm packages in :func:`cache_dir` (once, with ``npm pack``)."""
    root = cache_dir()
    for bundle in bundles():
        target = root / bundle
        if not target.is_dir():
            _npm_pack(bundle, target)
    return root


def _npm_pack(bundle: str, target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DependencyNotInstalled(
            f"twin dashboard needs the npm package {bundle} once: install npm "
            f"(apt-get install npm), or unpack it into {target}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", bundle, "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        tgz = next(Path(tmp).glob("*.tgz"), None)
        if done.returncode != 0 or tgz is None:
            raise DependencyNotInstalled(
                f"npm pack {bundle} failed: {' '.join(done.stderr.strip().splitlines()[-1:])}"
            )
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(tmp) / "package"), target)


def forbid_cdn() -> None:
    """Make the Solara server's CDN proxy answer from its cache only (a miss is a 404)."""
    from solara.server import cdn_helper

    def offline(url: str) -> bytes:
        raise FileNotFoundError(f"not fetched (the dashboard stays on loopback): {url}")

    cdn_helper.fetch_from_cdn = offline
