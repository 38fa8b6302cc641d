"""The dashboard in a real headless browser: Debian's chromium driven by Playwright.

Each test starts ``twin dashboard`` as a subprocess on a free loopback port, opens the
page, checks what it draws and saves a screenshot (under pytest's tmp dir and
``$TWIN_TEST_ARTIFACTS``, default ``tests/artifacts/``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("solara")
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (make system-deps)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def artifact(src: Path) -> Path:
    """Copy a test artefact where CI keeps them; return the copy."""
    out = Path(os.environ.get("TWIN_TEST_ARTIFACTS", ROOT / "tests" / "artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, out / src.name))


class Server:
    """``twin dashboard TARGET`` in its own process group, stopped by killing that group."""

    def __init__(self, target: str, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = (tmp / "server.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main())",
             "dashboard", target, "--port", str(self.port)],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"dashboard exited {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("dashboard did not answer in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield b
        finally:
            b.close()


def serve(target: str, tmp: Path) -> Iterator[Server]:
    server = Server(target, tmp)
    try:
        server.wait()
        yield server
    finally:
        server.stop()
        print((tmp / "server.log").read_text()[-3000:])


def images_drawn(page: object, selector: str) -> int:
    """Natural width of the figure image inside ``selector`` (0 when none is drawn)."""
    page.wait_for_selector(f"{selector} img", timeout=60_000)  # type: ignore[attr-defined]
    return int(page.eval_on_selector(f"{selector} img", "i => i.naturalWidth"))  # type: ignore[attr-defined]


def test_live_dashboard_draws_and_steps(browser, tmp_path):
    for server in serve("store_small", tmp_path):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url)
        clock = page.wait_for_selector(".twin-clock", timeout=60_000)
        assert images_drawn(page, ".twin-plan") > 100  # the floor plan
        assert images_drawn(page, ".twin-charts") > 100  # the KPI charts
        before = clock.inner_text()
        assert "step 0/" in before
        page.click(".twin-step")
        page.wait_for_function(
            "b => document.querySelector('.twin-clock').innerText !== b", arg=before,
            timeout=30_000,
        )  # fmt: skip
        after = page.inner_text(".twin-clock")
        assert after != before and "step 1/" in after
        assert before.split()[2] != after.split()[2]  # the shown sim time moved on
        page.click(".twin-play")  # play until the clock passes step 2, then pause
        page.wait_for_function(
            "() => /step ([3-9]|\\d\\d+)\\//.test(document.querySelector('.twin-clock').innerText)",
            timeout=60_000,
        )
        page.click(".twin-play")
        page.wait_for_function(
            "() => document.querySelector('.twin-play').innerText.trim().toLowerCase() === 'play'",
            timeout=30_000,
        )
        shot = tmp_path / "dashboard_store_small.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        artifact(shot)


def test_replay_of_a_run_directory(browser, tmp_path):
    run_dir = tmp_path / "run"
    from twin.cli import main

    assert main(["run", "homes_small", "--out", str(run_dir)]) == 0
    assert (run_dir / "replay.npz").is_file()
    for server in serve(str(run_dir), tmp_path):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url)
        page.wait_for_selector(".twin-clock", timeout=60_000)
        assert images_drawn(page, ".twin-plan") > 100
        before = page.inner_text(".twin-clock")
        page.click(".twin-step")
        page.wait_for_function(
            "b => document.querySelector('.twin-clock').innerText !== b", arg=before,
            timeout=30_000,
        )  # fmt: skip
        assert "step 1/" in page.inner_text(".twin-clock")
        shot = tmp_path / "dashboard_replay_homes_small.png"
        page.screenshot(path=str(shot), full_page=True)
        artifact(shot)
