"""A heartbeat thread: call a function every ``interval_s`` until stopped.

The controller uses it to prove it is alive to each device (Modbus heartbeat register,
BACnet heartbeat analog-value) and to notice lost and regained connections. A failing
beat is reported to ``on_error`` and the thread keeps beating: a device that comes back
sees the heartbeat again without anyone restarting the controller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Heartbeat"]


class Heartbeat:
    """Run ``beat()`` every ``interval_s`` on a daemon thread; :meth:`stop` is idempotent.

    Args:
        interval_s: seconds between the starts of two beats.
        beat: the work of one beat.
        on_error: called with the exception when a beat raises (default: re-raise in
            the thread, which ends it; pass a handler to keep beating).
        name: thread name (shows in ``py-spy`` and thread dumps).
    """

    def __init__(
        self,
        interval_s: float,
        beat: Callable[[], None],
        on_error: Callable[[BaseException], None] | None = None,
        name: str = "twin-heartbeat",
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s = {interval_s} must be > 0")
        self.interval_s = interval_s
        self._beat = beat
        self._on_error = on_error
        self._stop = threading.Event()
        self.beats = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._beat()
                self.beats += 1
            except Exception as exc:  # handed to on_error, never swallowed silently
                if self._on_error is None:
                    raise
                self._on_error(exc)
            self._stop.wait(self.interval_s)

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop beating and wait for the thread (a beat in progress finishes first)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
