"""What a hotel run directory adds: guest records, occupancy, rooms against preferences.

Called by :func:`twin.report.write_run` after the building's artefacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from twin import plots
from twin.building import build_building
from twin.rundir import write_records


def timeseries_columns(scenario: Any, episode: Any) -> dict[str, np.ndarray]:
    """The hotel's columns of ``timeseries.parquet``: rooms sold, guests present, desk queue."""
    sr = episode.series
    return {
        "rooms_sold": sr["room_sold"].sum(axis=1),
        "guests_present": sr["room_present"].sum(axis=1),
        "desk_queue": sr["queue"][:, 0],
    }


def write_artifacts(out: Path, scenario: Any, episode: Any) -> None:
    """Guest records and the hotel's plots.

    ``guests.parquet`` and ``guests.csv`` hold one row per stay (pseudonymous ids only);
    the plots are ``occupancy.png``, ``room_vs_preference.png`` and ``satisfaction.png``.
    """
    sr = episode.series
    write_records(out, "guests", episode.records)
    times = sr["times"].astype("datetime64[m]").astype(object)
    rooms = build_building(scenario).zones_of_kind("guest_room")
    plots.plot_occupancy(
        out / "occupancy.png", times, sr["room_sold"].sum(1), sr["room_present"].sum(1),
        sr["queue"][:, 0],
    )  # fmt: skip
    plots.plot_room_vs_preference(
        out / "room_vs_preference.png", times, sr["t_op"][:, rooms], sr["room_pref_temp"],
        sr["room_present"],
    )  # fmt: skip
    segs = tuple(seg.name for seg in scenario.hotel.segments)
    plots.plot_satisfaction(
        out / "satisfaction.png", times, sr["room_sat"], sr["room_segment"], segs
    )
