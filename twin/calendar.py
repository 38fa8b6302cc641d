"""Local time of a run: hour of day, day boundaries, weekdays, daily hour windows.

Every part of the twin that asks "what time is it locally" or "is this hour inside a
daily window" (the thermostat's occupied hours, the tariff's peak hours, opening hours,
a policy's day) asks here, so a window that wraps past midnight (``(22, 6)``) means the
same thing everywhere.

>>> from datetime import datetime
>>> cal = Calendar(datetime(2026, 1, 5, 7, 30))  # a Monday, 07:30
>>> cal.hour_of(3600.0), cal.weekday_of(24 * 3600.0)
(8.5, 1)
>>> bool(in_window(23.5, (22.0, 6.0))), bool(in_window(12.0, (22.0, 6.0)))
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import overload

import numpy as np


@overload
def in_window(hours: float, window: tuple[float, float]) -> np.bool_: ...
@overload
def in_window(hours: np.ndarray, window: tuple[float, float]) -> np.ndarray: ...
def in_window(hours, window):  # type: ignore[no-untyped-def]
    """Whether each local hour lies in the daily window ``[start, end)``.

    A window whose start is after its end wraps past midnight: ``(22, 6)`` holds 23:00
    and 05:00. ``(start, start)`` is empty.
    """
    start, end = window
    hours = np.asarray(hours)
    if start <= end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)


def local_hours(times: np.ndarray) -> np.ndarray:
    """Hour of day (float) of ``datetime64`` local times."""
    seconds = (times - times.astype("datetime64[D]")).astype("timedelta64[s]").astype(float)
    return seconds / 3600.0


@dataclass(frozen=True, slots=True)
class Calendar:
    """The local clock of a run that starts at ``start`` (run time ``t`` in seconds)."""

    start: datetime

    @property
    def start_s(self) -> int:
        """Seconds from local midnight to the start."""
        s = self.start
        return s.hour * 3600 + s.minute * 60 + s.second

    def hour_of(self, t: float) -> float:
        """Local hour of day at run time ``t`` (s)."""
        return ((self.start_s + t) / 3600.0) % 24.0

    def day_start(self, day: int) -> float:
        """Run time (s) of the local midnight that starts day ``day`` (day 0 holds the start)."""
        return day * 86400.0 - self.start_s

    def day_of(self, t: float) -> int:
        """Which day (0 = the start's) run time ``t`` falls on."""
        return int((self.start_s + t) // 86400)

    def weekday(self, day: int) -> int:
        """Weekday (0 = Monday) of day ``day``."""
        return (self.start.weekday() + day) % 7

    def weekday_of(self, t: float) -> int:
        """Weekday (0 = Monday) at run time ``t`` (s)."""
        return self.weekday(self.day_of(t))
