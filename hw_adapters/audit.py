"""The append-only audit log: one JSON line per command, whatever became of it.

Every command the controller handles (a policy's set-point, an operator's override, a
watchdog's fall-back, a relinquish on stop) leaves exactly one record saying what was
asked, what was sent (``null`` if nothing), in which mode, the decision and its reason.
The file is opened for appending only, each record is flushed (and fsynced) as it is
written, or a control step's records together (:meth:`AuditLog.batch`), and nothing
ever rewrites it: a crash loses at most the record (or step) being written.

Non-finite requests are written as the strings ``"nan"``, ``"inf"``, ``"-inf"`` so each
line stays valid JSON.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = ["AuditLog", "AuditRecord", "Decision", "Mode", "read_audit_log"]


class Mode(StrEnum):
    """What the controller does with an accepted command."""

    DRY_RUN = "dry-run"  # log what would be written; write nothing
    SHADOW = "shadow"  # as dry-run, and log the difference to what the site does
    ACT = "act"  # write to the devices


class Decision(StrEnum):
    """What became of one command."""

    ACCEPTED = "accepted"  # inside the envelope (written in act mode)
    REJECTED = "rejected"  # outside the envelope: nothing written
    FALLBACK = "fallback"  # replaced by the point's fail-safe value
    RELINQUISH = "relinquish"  # control handed back to the building
    FAILED = "failed"  # accepted, but the device did not confirm the write


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log."""

    time: str  # ISO 8601 UTC, milliseconds
    point: str
    requested: float | str | None  # None for relinquish; "nan"/"inf" when not finite
    sent: float | None  # None when nothing was written
    mode: str
    decision: str
    reason: str
    source: str = "policy"  # policy | override | site | controller
    site: float | None = None  # shadow mode: the value the site's own control holds
    latency_ms: float | None = None  # act mode: until the device (or broker) confirmed


_FIELDS = tuple(f.name for f in fields(AuditRecord))


def _number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


class AuditLog:
    """Append JSON Lines records to ``path`` (created with its folder if missing).

    Args:
        path: the log file; an existing file is appended to, never truncated.
        fsync: also ``os.fsync`` each record (the default; a few ms per record on disk).
    """

    def __init__(self, path: str | Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._lock = threading.Lock()
        self._file = self.path.open("a", encoding="utf-8")
        self._batch = 0
        self.count = 0

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Records inside are written together (one flush and ``fsync``) when the block ends.

        A control step's records cost one write and one ``fsync`` instead of one each; a
        crash inside the block can lose at most that step's records.
        """
        with self._lock:
            self._batch += 1
        try:
            yield
        finally:
            with self._lock:
                self._batch -= 1
                if self._batch == 0 and not self._file.closed:
                    self._file.flush()
                    if self._fsync:
                        os.fsync(self._file.fileno())

    def record(
        self,
        point: str,
        requested: float | None,
        sent: float | None,
        mode: Mode | str,
        decision: Decision | str,
        reason: str,
        *,
        source: str = "policy",
        site: float | None = None,
        latency_ms: float | None = None,
    ) -> AuditRecord:
        """Write one record now and return it."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        rec = AuditRecord(
            time=now, point=point, requested=_number(requested), sent=sent, mode=str(mode),
            decision=str(decision), reason=reason, source=source, site=site,
            latency_ms=None if latency_ms is None else round(latency_ms, 3),
        )  # fmt: skip
        line = json.dumps({f: getattr(rec, f) for f in _FIELDS}, allow_nan=False) + "\n"
        with self._lock:
            if self._file.closed:
                raise ValueError(f"audit log {self.path} is closed")
            self._file.write(line)
            if self._batch == 0:
                self._file.flush()
                if self._fsync:
                    os.fsync(self._file.fileno())
            self.count += 1
        return rec

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_audit_log(path: str | Path) -> list[dict[str, Any]]:
    """All records of an audit log, in order (for tests and reports)."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
