"""Where work units run: in this process, a local process pool, or a Ray cluster.

Every backend calls :func:`twin.sweep.cells.run_unit` on plain-data payloads and hands
each unit's results to ``on_result`` as soon as the unit finishes (in the calling
process, which stores them), so what a backend computes is the same everywhere and only
the order of completion differs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from twin.errors import DependencyNotInstalled
from twin.sweep.cells import run_unit

__all__ = ["import_ray", "init_ray", "run_inline", "run_pool", "run_ray"]

Payload = dict[str, Any]
OnResult = Callable[[Payload, list[dict[str, Any]]], None]


def _failed(payload: Payload, error: str) -> list[dict[str, Any]]:
    return [{"seed": int(s), "reward": float("nan"), "kpis": {}, "error": error, "wall_s": 0.0}
            for s in payload["seeds"]]  # fmt: skip


def run_inline(payloads: Sequence[Payload], on_result: OnResult) -> None:
    """Run every unit in this process, one after another."""
    for payload in payloads:
        on_result(payload, run_unit(payload))


def _init_worker() -> None:
    """Pool workers: one PyTorch thread each (the pool is the parallelism)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def run_pool(payloads: Sequence[Payload], on_result: OnResult, workers: int) -> None:
    """Run the units on ``workers`` local processes (fresh interpreters, ``spawn``).

    A worker that dies (killed, out of memory) fails its unit's cells with the reason;
    the other units go on.
    """
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        pending: dict[Future[list[dict[str, Any]]], Payload] = {
            pool.submit(run_unit, p): p for p in payloads
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    payload = pending.pop(fut)
                    exc = fut.exception()
                    if exc is None:
                        on_result(payload, fut.result())
                    else:
                        on_result(payload, _failed(payload, f"{type(exc).__name__}: {exc}"))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return host == "localhost" or host.startswith("127.")


def import_ray(address: str | None = None, *, private: bool = False) -> Any:
    """The ``ray`` module, or :class:`DependencyNotInstalled` with the pip hint.

    Ray turns ``127.0.0.1`` into the machine's address (it wants nodes reachable from
    other hosts) unless its single-machine switch is set before it is imported, both
    when it starts a cluster and when it connects to one; the switch is set for a
    ``private`` cluster this process starts (``ray.init``'s processes inherit it) and for
    an ``address`` on loopback. A private cluster also needs no auth token (nothing but
    this machine can reach it); Ray would otherwise write one to ``~/.ray/auth_token``,
    which turns on token auth for every later ``ray start`` on the machine.
    """
    # No usage statistics leave this machine (Ray would otherwise report to its makers).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if private or (address is not None and _loopback(address)):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    if private:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        import ray
    except ImportError:
        raise DependencyNotInstalled(
            "--backend ray needs Ray: pip install -c constraints.txt -e '.[distributed]' "
            "(or pip install 'ray[default,tune]')"
        ) from None
    return ray


def init_ray(ray: Any, address: str | None, workers: int | None) -> bool:
    """Connect to ``address``, or start a private cluster (``workers`` CPUs) for this run.

    Returns whether Ray was already initialised (then it is left as it was). Import Ray
    with :func:`import_ray` first, so a private cluster listens on loopback only.
    """
    if ray.is_initialized():
        return True
    kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    if address is not None:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, **kwargs)
    return False


def run_ray(
    payloads: Sequence[Payload],
    on_result: OnResult,
    address: str | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run the units as Ray tasks (one CPU each); returns facts about the cluster.

    Args:
        payloads: the units.
        on_result: called in this process as each unit finishes.
        address: a running cluster (``127.0.0.1:6379``, ``auto``); ``None`` starts a
            local one for this sweep (``workers`` CPUs) and stops it afterwards.
        workers: CPUs of the local cluster (default: all).
    """
    ray = import_ray(address, private=address is None)
    connected_before = init_ray(ray, address, workers)
    try:
        info = {"ray_version": ray.__version__,
                "cluster_cpus": float(ray.cluster_resources().get("CPU", 0)),
                "nodes": len(ray.nodes())}  # fmt: skip
        task = ray.remote(num_cpus=1, max_retries=1)(run_unit)
        pending = {task.remote(p): p for p in payloads}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                payload = pending.pop(ref)
                try:
                    results = ray.get(ref)
                except ray.exceptions.RayError as exc:  # the task or its worker died
                    results = _failed(payload, f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                on_result(payload, results)
        return info
    finally:
        if not connected_before:
            ray.shutdown()
