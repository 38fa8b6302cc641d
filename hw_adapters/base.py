"""What every protocol adapter offers, and the helpers they share.

An adapter moves values of the points of one protocol between the twin's units and a
device. It knows addresses and encodings, never policies or safety: the safety
envelope (:mod:`hw_adapters.envelope`) decides *whether* a value is written; the
adapter only writes it, and raises :class:`~twin.errors.HardwareError` when the device
did not confirm. Protocol clients are imported lazily (:func:`require`), so the twin
runs without the ``hw`` extra.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from twin.errors import DependencyNotInstalled

if TYPE_CHECKING:
    from hw_adapters.pointmap import Point

__all__ = ["Adapter", "AdapterBase", "Reading", "require", "tcp_reachable"]

PIP_HINT = 'pip install -c constraints.txt -e ".[hw]"'


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of a point in twin units and when it was observed (``time.time()`` s).

    For MQTT the timestamp is when the state message arrived; for polled protocols it is
    when the device answered. Staleness is judged against it.
    """

    value: float
    timestamp: float


@runtime_checkable
class Adapter(Protocol):
    """A protocol adapter: read and write points, hand them back, close.

    ``read`` returns the points it has a value for; an MQTT point whose device has not
    published yet is absent (the envelope treats absence as stale). ``write`` raises
    :class:`~twin.errors.HardwareError` when the device did not confirm the value.
    ``relinquish`` hands the point back to the building's own control (BACnet: NULL at
    the point's priority; protocols without a priority array write ``fail_safe``).
    ``close`` is idempotent.
    """

    protocol: str

    def read(self, points: Sequence[Point]) -> dict[str, Reading]:
        """Current values of ``points`` by point name."""
        ...

    def write(self, point: Point, value: float) -> None:
        """Command ``value`` (twin units) to ``point``; raise if not confirmed."""
        ...

    def relinquish(self, point: Point) -> None:
        """Hand ``point`` back to the building's own control."""
        ...

    def heartbeat(self) -> None:
        """Prove liveness to the device side (no-op where the protocol does it itself)."""
        ...

    def close(self) -> None:
        """Release the connection; safe to call twice."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class AdapterBase:
    """Context-manager plumbing shared by the adapters (``close`` does the work)."""

    def close(self) -> None:  # pragma: no cover - overridden
        """Release resources."""

    def heartbeat(self) -> None:
        """Default: the protocol keeps liveness itself (e.g. MQTT keepalive + Last Will)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def require(module: str, package: str) -> ModuleType:
    """Import an optional protocol client or raise with the install hint.

    Raises:
        DependencyNotInstalled: ``package`` is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyNotInstalled(
            f"{package} is needed for this adapter ({exc.name} not found): {PIP_HINT}"
        ) from None


def tcp_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
