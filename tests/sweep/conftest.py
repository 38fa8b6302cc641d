"""A real Ray cluster on 127.0.0.1 for the sweep tests, started once and stopped after."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """``ray start --head`` on 127.0.0.1 with 2 CPUs; yields its address; stops it by pid.

    The head runs with ``--block`` in its own session, so stopping it ends exactly the
    processes it started (never ``ray stop``, which would stop any Ray on the machine).
    """
    pytest.importorskip("ray")
    ray_bin = Path(sys.executable).with_name("ray")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are limited
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    # Single-machine mode: Ray would turn 127.0.0.1 into the machine's address otherwise.
    # No auth token on this loopback-only cluster (the head, `ray status` and the sweeps
    # the tests start, which inherit this process's environment, must agree).
    saved = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": path,
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}  # fmt: skip
    log = open(Path(temp) / "head.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         f"--temp-dir={temp}", "--disable-usage-stats"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"ray start exited: {(Path(temp) / 'head.log').read_text()}")
            status = subprocess.run(
                [str(ray_bin), "status", f"--address={address}"],
                capture_output=True, text=True, env=env, timeout=60,
            )  # fmt: skip
            if status.returncode == 0 and "CPU" in status.stdout:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray head not up after 120 s: {status.stderr[-2000:]}")
            time.sleep(1)
        yield address
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
        time.sleep(1)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of its session still alive
        except ProcessLookupError:
            pass
        log.close()
        if saved is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = saved
