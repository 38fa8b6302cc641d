"""The native vector env split over processes, one shard of copies per core.

The copies are cut into ``workers`` contiguous shards, each a
:class:`~twin.envs.vector.TwinVectorEnv` of the scenario's venue (still one Numba call
per step for physics and people within the shard). The calling process steps the first
shard itself while child processes step the others, so ``workers = 2`` keeps both
cores of a 2-core machine busy with no idle parent. Actions, observations and rewards of
the child shards travel through shared memory; a step sends one byte down each pipe and
gets one byte back. A process waiting for the other polls its pipe for up to :data:`SPIN_S` before
it blocks: on a virtual machine a blocked process's idle vCPU is halted, and waking it
again cost about 110 µs per step, more than the step's own coordination work.
The venues' discrete events are Python and bound to one core per process, so this is
how a batch uses the second core. Copy ``i`` seeded ``s_i`` follows exactly the
trajectory of a single env seeded ``s_i``.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import time
from multiprocessing import shared_memory
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from twin.envs.core import ScenarioLike, resolve_scenario
from twin.scenario import Scenario

#: How long a waiting process polls its pipe before blocking (s). Long enough to cover
#: the other side's step (about a millisecond), short enough that an idle shard gives
#: its core back quickly (e.g. while the learner updates the policy).
SPIN_S = 0.005
#: One-byte messages: step command, and step done (not truncated / truncated).
_STEP, _DONE, _DONE_TRUNCATED = b"s", b"0", b"1"


def _receive(conn: Connection) -> bytes:
    """The next message on ``conn``: poll for up to :data:`SPIN_S`, then block."""
    deadline = time.perf_counter() + SPIN_S
    while not conn.poll() and time.perf_counter() < deadline:
        pass
    return conn.recv_bytes()


def _attach(name: str, shape: tuple[int, ...], dtype: Any) -> tuple[Any, np.ndarray]:
    shm = shared_memory.SharedMemory(name=name)
    return shm, np.ndarray(shape, dtype=dtype, buffer=shm.buf)


def _worker(conn: Any, scenario_json: str, personal_data: bool, lo: int, hi: int,
            buffers: dict[str, tuple[str, tuple[int, ...], str]]) -> None:  # fmt: skip
    """Step one shard of copies on command (runs in a child process)."""
    import os

    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    import gc

    from twin.envs.vector import TwinVectorEnv

    # Everything imported so far lives as long as this process: keep it out of the
    # cyclic collector's full passes, which otherwise scan some 200,000 library objects
    # (about 60 ms each) to find the hotels' garbage. Only this worker's own process is
    # affected; the env created below stays collectable.
    gc.freeze()
    venv = TwinVectorEnv(hi - lo, Scenario.from_json(scenario_json), personal_data)
    views = {k: _attach(*v) for k, v in buffers.items()}
    obs, act, rew, terms = (views[k][1] for k in ("obs", "act", "rew", "terms"))
    venv.write_observations_to(obs[lo:hi])
    try:
        while True:
            msg = _receive(conn)
            if msg == _STEP:
                _, r, _, truncated, infos = venv.step(act[lo:hi])
                rew[lo:hi] = r
                for j, key in enumerate(venv.task.reward_terms):
                    terms[j, lo:hi] = infos["reward_terms"][key]
                if "final_obs" in infos:  # end of the episodes: the rest goes pickled
                    final = (infos["final_obs"], infos["final_info"]["kpis"], infos["world_seed"])
                    conn.send((bool(truncated.all()), final))
                else:
                    conn.send_bytes(_DONE_TRUNCATED if truncated.all() else _DONE)
                continue
            cmd, arg = pickle.loads(msg)
            if cmd == "reset":
                _, info = venv.reset(seed=arg)
                conn.send(info["world_seed"])
            elif cmd == "close":
                break
    except (EOFError, KeyboardInterrupt):  # parent went away
        pass
    finally:
        for shm, _ in views.values():
            shm.close()
        conn.close()


class ShardedVectorEnv(VectorEnv):
    """``num_envs`` venue copies stepped by ``workers`` processes (see module docstring).

    ``workers`` counts the calling process: ``workers = 2`` starts one child process.

    Use it as a context manager or call :meth:`close`: it owns processes and shared
    memory. Same spaces, autoreset (``SAME_STEP``) and ``infos`` as
    :class:`~twin.envs.vector.TwinVectorEnv`.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(
        self,
        num_envs: int = 64,
        scenario: ScenarioLike = None,
        personal_data: bool = True,
        workers: int = 2,
    ) -> None:
        if not 1 <= workers <= num_envs:
            raise ValueError(f"workers = {workers} must be between 1 and num_envs = {num_envs}")
        from twin.envs.vector import TwinVectorEnv

        self.scenario = resolve_scenario(scenario, "hotel")
        self.num_envs = num_envs
        bounds = np.linspace(0, num_envs, workers + 1).astype(int)
        shards = list(zip(bounds[:-1], bounds[1:], strict=True))
        self._local_hi = int(shards[0][1])
        self._local = TwinVectorEnv(self._local_hi, self.scenario, personal_data)
        self.reward_terms = self._local.task.reward_terms
        self._shards = shards[1:]
        probe = self._local.task
        self.single_observation_space = self._local.single_observation_space
        self.single_action_space = self._local.single_action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._closed = False
        shapes = {
            "obs": ((num_envs, probe.obs_size), np.float32),
            "act": ((num_envs, probe.act_size), np.float32),
            "rew": ((num_envs,), np.float64),
            "terms": ((len(self.reward_terms), num_envs), np.float64),
        }
        self._shm: dict[str, Any] = {}
        self._views: dict[str, np.ndarray] = {}
        buffers = {}
        for key, (shape, dtype) in shapes.items():
            size = int(np.prod(shape)) * np.dtype(dtype).itemsize
            shm = shared_memory.SharedMemory(create=True, size=max(size, 1))
            self._shm[key] = shm
            self._views[key] = np.ndarray(shape, dtype=dtype, buffer=shm.buf)
            buffers[key] = (shm.name, shape, np.dtype(dtype).str)
        ctx = mp.get_context("spawn")
        self._conns = []
        self._procs = []
        for lo, hi in self._shards:
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=_worker,
                args=(child, self.scenario.to_json(), personal_data, int(lo), int(hi), buffers),
                daemon=True,
            )
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every copy; ``seed`` is one int (copies get seed, seed+1, ...) or a list."""
        seeds: list[int] | None = None
        if seed is not None:
            seeds = (
                [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else list(seed)
            )
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset got {len(seeds)} seeds for {self.num_envs} envs")
        for conn, (lo, hi) in zip(self._conns, self._shards, strict=True):
            conn.send(("reset", None if seeds is None else seeds[lo:hi]))
        k = self._local_hi
        obs = self._new_obs()
        _, info = self._local.reset(seed=None if seeds is None else seeds[:k])
        world_seeds = np.concatenate([info["world_seed"], *(conn.recv() for conn in self._conns)])
        obs[k:] = self._views["obs"][k:]
        return obs, {"world_seed": world_seeds}

    def _new_obs(self) -> np.ndarray:
        """A new observation array; the local shard writes its rows straight into it."""
        obs = np.empty((self.num_envs, self._local.task.obs_size), np.float32)
        self._local.write_observations_to(obs[: self._local_hi])
        return obs

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step all shards in parallel: the children's, and the first one here."""
        k = self._local_hi
        self._views["act"][k:] = actions[k:]
        for conn in self._conns:
            conn.send_bytes(_STEP)
        obs = self._new_obs()
        _, rew_k, _, trunc_k, info_k = self._local.step(actions[:k])
        n = self.num_envs
        rew = np.empty(n)
        rew[:k] = rew_k
        terms = np.empty((len(self.reward_terms), n))
        for j, key in enumerate(self.reward_terms):
            terms[j, :k] = info_k["reward_terms"][key]
        replies = [self._reply(conn) for conn in self._conns]
        views = self._views
        obs[k:] = views["obs"][k:]
        rew[k:] = views["rew"][k:]
        terms[:, k:] = views["terms"][:, k:]
        truncated = np.full(n, bool(trunc_k.all()))
        infos: dict[str, Any] = {"reward_terms": dict(zip(self.reward_terms, terms, strict=True))}
        if "final_obs" in info_k:
            finals = [(info_k["final_obs"], info_k["final_info"]["kpis"], info_k["world_seed"])]
            finals += [r[1] for r in replies]
            infos["final_obs"] = np.concatenate([f[0] for f in finals])
            infos["final_info"] = {"kpis": [kp for f in finals for kp in f[1]]}
            infos["world_seed"] = np.concatenate([f[2] for f in finals])
            infos["_final_obs"] = np.ones(n, dtype=bool)
        return obs, rew, np.zeros(n, dtype=bool), truncated, infos

    @staticmethod
    def _reply(conn: Connection) -> tuple[bool, Any]:
        """A shard's answer to a step: ``(truncated, final)``, ``final`` at episode ends."""
        msg = _receive(conn)
        if len(msg) == 1:
            return msg == _DONE_TRUNCATED, None
        return pickle.loads(msg)

    def close(self, **kwargs: Any) -> None:
        """Stop the workers and release the shared memory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for conn in self._conns:
            try:
                conn.send(("close", None))
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        for shm in self._shm.values():
            shm.close()
            shm.unlink()

    def __enter__(self) -> ShardedVectorEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()


#: The name this env had when the hotel was the only venue.
ShardedHotelVectorEnv = ShardedVectorEnv
