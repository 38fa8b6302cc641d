"""An asyncio event loop in its own thread, driven from synchronous code.

bacpypes3 and pymodbus servers are asyncio libraries; the controller and the tests are
synchronous. One daemon thread per owner runs the loop; :meth:`LoopThread.run` submits
a coroutine and waits for its result with a timeout, so a dead device turns into a
``TimeoutError`` instead of a hang.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """A running event loop on a daemon thread; :meth:`stop` ends it (idempotent)."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # Cancel what is left so sockets and tasks close inside their own loop.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and return its result (``TimeoutError`` after ``timeout``).

        On timeout the coroutine is cancelled, so nothing keeps running behind the caller.
        """
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call(self, fn: Any, *args: Any) -> None:
        """Schedule a plain callable on the loop thread."""
        self.loop.call_soon_threadsafe(fn, *args)

    @property
    def alive(self) -> bool:
        """True while the loop thread runs."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and join its thread."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
