"""Outdoor weather on the simulation's control step: synthetic or from an EPW file.

Why this module exists: the building physics needs, per control step, the outdoor
temperature, humidity, the solar gains through windows on each facade and the daylight
on the ground. Those come from two sources with very different shapes: a seeded
synthetic generator (cheap, any site, any length, reproducible from one RNG) and
EnergyPlus EPW files (a measured typical year, hourly). Both end up as the same
:class:`Weather`: plain float64 arrays of length ``n_steps``, computed once before a run,
so the kernels never touch pandas, files or random numbers.

Time conventions (the same for both sources):

* ``Weather.times[i]`` is the local standard time (no daylight saving) at the *start* of
  step ``i``; every value of step ``i`` stands for the interval
  ``[times[i], times[i] + dt)`` and is evaluated at the step's midpoint.
* EPW row ``(month, day, hour=h)`` covers the hour ``[h-1, h)``. Following the EPW
  definitions, irradiance and illuminance are averages over that hour (placed at its
  midpoint ``h - 0.5``), while temperature and humidity are readings at the end of it
  (placed at ``h``). Both are interpolated linearly to the step midpoints, which keeps
  daily means (exactly over a whole cyclic year) for any step that divides an hour.
* The sun is below the horizon when its refraction-corrected zenith is >= 90 deg; all
  irradiance and illuminance values are then exactly 0.

Solar geometry uses pvlib's NREL SPA (``method="nrel_numpy"``, about 0.15 s for a year of
quarter-hours); transposition onto the four vertical facades uses pvlib's isotropic sky model
with ground albedo 0.2.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from twin.errors import WeatherError
from twin.scenario.building import EpwWeather, Site, SyntheticWeather

__all__ = [
    "FACADES",
    "EpwData",
    "Weather",
    "ar1",
    "build_weather",
    "epw_weather",
    "facade_irradiance",
    "read_epw",
    "synthetic_weather",
]

FACADES = ("N", "E", "S", "W")
"""Facade order of ``Weather.facade_irr`` columns (surface azimuths 0, 90, 180, 270 deg)."""
FACADE_AZIMUTHS_DEG = (0.0, 90.0, 180.0, 270.0)
GROUND_ALBEDO = 0.2
LUMINOUS_EFFICACY_LM_W = 110.0
"""Global daylight efficacy used when no measured illuminance is available."""
CLOUD_CORRELATION_H = 6.0
"""Correlation time of the synthetic cloud-cover process (no scenario field for it yet)."""
EPW_HEADER_LINES = 8
EPW_MIN_FIELDS = 35
EPW_MAX_GAP_H = 6
"""Longest run of missing hours in one EPW field that is bridged by interpolation."""

_HEADER_KEYWORDS = {1: "LOCATION", 8: "DATA PERIODS"}
# 1-based EPW field number -> (attribute, description, missing code, valid min, valid max).
# Order checked against the column list of pvlib.iotools.read_epw (pvlib 0.16).
# As in EnergyPlus, a value >= its missing code or outside the valid range is missing.
_EPW_FIELDS = {
    7: ("t_out", "dry bulb temperature", 99.9, -70.0, 70.0),
    9: ("rh", "relative humidity", 999.0, 0.0, 110.0),
    14: ("ghi", "global horizontal radiation", 9999.0, 0.0, 2000.0),
    15: ("dni", "direct normal radiation", 9999.0, 0.0, 2000.0),
    16: ("dhi", "diffuse horizontal radiation", 9999.0, 0.0, 2000.0),
    17: ("illuminance_lux", "global horizontal illuminance", 999900.0, 0.0, 250000.0),
}
_SERIES = ("t_out", "rh", "ghi", "dni", "dhi", "facade_irr", "illuminance_lux")
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True, eq=False)
class Weather:
    """Weather resampled to the simulation's control step (arrays of length ``n_steps``).

    Value ``i`` of every series stands for the step ``[times[i], times[i] + dt)``. The
    arrays are float64 copies made read-only, so one ``Weather`` can be shared safely by
    many environments.

    Attributes:
        times: ``datetime64[s]``, local standard time at the start of each step.
        t_out: Outdoor dry-bulb temperature, deg C.
        rh: Relative humidity, % (0-100).
        ghi: Global horizontal irradiance, W/m2.
        dni: Direct normal irradiance, W/m2.
        dhi: Diffuse horizontal irradiance, W/m2.
        facade_irr: ``(n_steps, 4)`` total irradiance on vertical facades facing N, E, S,
            W (see :data:`FACADES`), W/m2; isotropic sky plus ground reflection (albedo 0.2).
        illuminance_lux: Global horizontal illuminance, lux.
        latitude_deg: Latitude of the weather's location (north positive).
        longitude_deg: Longitude (east positive).
        utc_offset_h: Offset of local standard time from UTC, hours.
        source: ``"synthetic"`` or the EPW path.
    """

    times: np.ndarray
    t_out: np.ndarray
    rh: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    facade_irr: np.ndarray
    illuminance_lux: np.ndarray
    latitude_deg: float
    longitude_deg: float
    utc_offset_h: float
    source: str

    def __post_init__(self) -> None:
        times = np.array(self.times, dtype="datetime64[s]")
        if times.ndim != 1 or times.size == 0:
            raise WeatherError(f"Weather.times must be a non-empty 1-D array, got {times.shape}")
        n = times.size
        times.flags.writeable = False
        object.__setattr__(self, "times", times)
        for name in _SERIES:
            arr = np.array(getattr(self, name), dtype=np.float64)
            shape = (n, len(FACADES)) if name == "facade_irr" else (n,)
            if arr.shape != shape:
                raise WeatherError(f"Weather.{name} has shape {arr.shape}; expected {shape}")
            finite = np.isfinite(arr.reshape(n, -1)).all(axis=1)
            if not finite.all():
                step = int(np.flatnonzero(~finite)[0])
                raise WeatherError(f"Weather.{name} is not finite at step {step} ({times[step]})")
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        """Number of steps."""
        return int(self.times.size)


@dataclass(frozen=True, slots=True, eq=False)
class EpwData:
    """The hourly data of an EPW file plus the location from its header.

    Row ``k`` covers the local-standard-time hour ``[hour[k] - 1, hour[k])`` of
    ``month[k]/day[k]``. Missing or out-of-range values (EPW missing codes) have been
    interpolated; missing illuminance is ``ghi * LUMINOUS_EFFICACY_LM_W``.

    Attributes:
        path: File the data came from.
        city: City name from the LOCATION line.
        latitude_deg: Latitude, north positive.
        longitude_deg: Longitude, east positive.
        utc_offset_h: Time zone of the data (hours from UTC, standard time).
        elevation_m: Site elevation.
        month: Month of each row (1-12).
        day: Day of month of each row.
        hour: EPW hour of each row (1-24, hour-ending).
        t_out: Dry-bulb temperature at the end of the hour, deg C.
        rh: Relative humidity at the end of the hour, %.
        ghi: Global horizontal irradiance averaged over the hour, W/m2.
        dni: Direct normal irradiance averaged over the hour, W/m2.
        dhi: Diffuse horizontal irradiance averaged over the hour, W/m2.
        illuminance_lux: Global horizontal illuminance averaged over the hour, lux.
    """

    path: str
    city: str
    latitude_deg: float
    longitude_deg: float
    utc_offset_h: float
    elevation_m: float
    month: np.ndarray
    day: np.ndarray
    hour: np.ndarray
    t_out: np.ndarray
    rh: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    illuminance_lux: np.ndarray

    @property
    def is_leap(self) -> bool:
        """Whether the file holds 8784 rows (includes February 29)."""
        return self.t_out.size == 8784


# --------------------------------------------------------------------------- EPW reading


def _expected_calendar(leap: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month, day and hour (1-24) of each row of a complete EPW year."""
    days = list(_MONTH_DAYS)
    days[1] += leap
    month = np.repeat(np.arange(1, 13), np.array(days) * 24)
    day = np.concatenate([np.repeat(np.arange(1, d + 1), 24) for d in days])
    hour = np.tile(np.arange(1, 25), sum(days))
    return month, day, hour


def _parse_location(line: str, where: str) -> tuple[str, float, float, float, float]:
    parts = [p.strip() for p in line.split(",")]
    if len(parts) < 10:
        raise WeatherError(
            f"{where}: LOCATION line has {len(parts)} fields, needs 10 "
            "(LOCATION,city,state,country,source,WMO,latitude,longitude,time zone,elevation)"
        )
    values = []
    for i, (name, lo, hi) in enumerate(
        (("latitude", -90, 90), ("longitude", -180, 180), ("time zone", -12, 14)), start=6
    ):
        try:
            v = float(parts[i])
        except ValueError:
            raise WeatherError(f"{where}: LOCATION {name} {parts[i]!r} is not a number") from None
        if not lo <= v <= hi:
            raise WeatherError(f"{where}: LOCATION {name} = {v} is outside [{lo}, {hi}]")
        values.append(v)
    try:
        elevation = float(parts[9])
    except ValueError:
        raise WeatherError(f"{where}: LOCATION elevation {parts[9]!r} is not a number") from None
    return parts[1], values[0], values[1], values[2], elevation


def _fill_missing(values: np.ndarray, bad: np.ndarray, name: str, path: str) -> np.ndarray:
    """Interpolate flagged values cyclically; refuse long gaps."""
    if not bad.any():
        return values
    n = values.size
    idx = np.flatnonzero(bad)
    if idx.size == n:
        raise WeatherError(f"{path}: every value of {name} is missing or out of range")
    starts = idx[np.r_[True, np.diff(idx) > 1]]
    ends = idx[np.r_[np.diff(idx) > 1, True]]
    longest = int(np.argmax(ends - starts))
    if ends[longest] - starts[longest] + 1 > EPW_MAX_GAP_H:
        a, b = starts[longest] + EPW_HEADER_LINES + 1, ends[longest] + EPW_HEADER_LINES + 1
        raise WeatherError(
            f"{path}: lines {a}-{b}: {name} is missing or out of range for {b - a + 1} "
            f"consecutive hours; at most {EPW_MAX_GAP_H} can be interpolated"
        )
    good = np.flatnonzero(~bad)
    out = values.copy()
    out[idx] = np.interp(idx, good, values[good], period=n)
    warnings.warn(
        f"{path}: {idx.size} missing or out-of-range values of {name} (first at line "
        f"{idx[0] + EPW_HEADER_LINES + 1}) were interpolated",
        stacklevel=3,
    )
    return out


def read_epw(path: str | Path) -> EpwData:
    """Read an EnergyPlus weather (EPW) file.

    The file has 8 header lines (the first is ``LOCATION``, the last ``DATA PERIODS``)
    and then one row per hour of a whole year, 8760 rows (8784 with February 29), from
    1/1 hour 1 to 12/31 hour 24, each with at least 35 comma-separated fields. The year
    column is ignored (a typical year mixes years).

    Args:
        path: The EPW file.

    Returns:
        The hourly data and the location.

    Raises:
        WeatherError: the file is missing or malformed; the message names the file, the
            1-based line number and what is wrong.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        raise WeatherError(f"{path}: cannot read EPW file ({exc.strerror})") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < EPW_HEADER_LINES:
        raise WeatherError(
            f"{path}: line {len(lines) + 1}: file ends inside the {EPW_HEADER_LINES}-line header"
        )
    for lineno, keyword in _HEADER_KEYWORDS.items():
        if not lines[lineno - 1].upper().startswith(keyword):
            raise WeatherError(
                f"{path}: line {lineno}: bad header, expected a line starting with "
                f"{keyword!r}, found {lines[lineno - 1][:40]!r}"
            )
    city, lat, lon, tz, elev = _parse_location(lines[0], f"{path}: line 1")
    periods = [p.strip() for p in lines[EPW_HEADER_LINES - 1].split(",")]
    if len(periods) > 2 and periods[2] not in ("1", ""):
        raise WeatherError(
            f"{path}: line {EPW_HEADER_LINES}: {periods[2]} records per hour; only hourly "
            "EPW files (1 record per hour) are supported"
        )

    rows = lines[EPW_HEADER_LINES:]
    n = len(rows)
    cal = np.empty((n, 3), dtype=np.int64)
    data = np.empty((n, len(_EPW_FIELDS)), dtype=np.float64)
    cols = tuple(_EPW_FIELDS)
    for k, line in enumerate(rows):
        parts = line.split(",")
        if len(parts) < EPW_MIN_FIELDS:
            raise WeatherError(
                f"{path}: line {k + EPW_HEADER_LINES + 1}: {len(parts)} fields, an EPW data "
                f"row needs at least {EPW_MIN_FIELDS}"
            )
        try:
            cal[k] = (int(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            raise WeatherError(
                f"{path}: line {k + EPW_HEADER_LINES + 1}: month/day/hour "
                f"{','.join(parts[1:4])!r} are not integers"
            ) from None
        try:
            data[k] = [float(parts[c - 1]) for c in cols]
        except ValueError:
            for c in cols:  # find the culprit for the message
                try:
                    float(parts[c - 1])
                except ValueError:
                    raise WeatherError(
                        f"{path}: line {k + EPW_HEADER_LINES + 1}: field {c} "
                        f"({_EPW_FIELDS[c][1]}) = {parts[c - 1]!r} is not a number"
                    ) from None
    if n not in (8760, 8784):
        raise WeatherError(
            f"{path}: line {n + EPW_HEADER_LINES}: the file ends after {n} data rows; an EPW "
            f"year has 8760 (or 8784 with February 29) rows after the {EPW_HEADER_LINES} "
            "header lines"
        )
    expected = np.stack(_expected_calendar(n == 8784), axis=1)
    wrong = np.flatnonzero((cal != expected).any(axis=1))
    if wrong.size:
        k = int(wrong[0])
        raise WeatherError(
            f"{path}: line {k + EPW_HEADER_LINES + 1}: month/day/hour = "
            f"{cal[k, 0]}/{cal[k, 1]}/{cal[k, 2]}, expected {expected[k, 0]}/{expected[k, 1]}/"
            f"{expected[k, 2]}: rows must run hour by hour from 1/1 hour 1 to 12/31 hour 24"
        )

    columns: dict[str, np.ndarray] = {}
    for j, (name, desc, missing, lo, hi) in enumerate(_EPW_FIELDS.values()):
        v = data[:, j]
        bad = (v >= missing) | (v < lo) | (v > hi)
        if name == "illuminance_lux":
            fallback = columns["ghi"] * LUMINOUS_EFFICACY_LM_W
            if not (v[~bad] > 0).any() and (columns["ghi"] > 0).any():
                bad[:] = True  # an all-zero column under a shining sun means "not measured"
            columns[name] = np.where(bad, fallback, v)
        else:
            columns[name] = _fill_missing(v, bad, f"field {desc}", str(path))
    columns["rh"] = np.minimum(columns["rh"], 100.0)
    return EpwData(
        path=str(path),
        city=city,
        latitude_deg=lat,
        longitude_deg=lon,
        utc_offset_h=tz,
        elevation_m=elev,
        month=cal[:, 0].copy(),
        day=cal[:, 1].copy(),
        hour=cal[:, 2].copy(),
        **columns,
    )


# --------------------------------------------------------------------------- helpers


def _check_steps(n_steps: int, dt_s: float) -> None:
    if int(n_steps) != n_steps or n_steps < 1:
        raise WeatherError(f"n_steps = {n_steps} must be a positive integer")
    if not (math.isfinite(dt_s) and dt_s > 0):
        raise WeatherError(f"dt_s = {dt_s} must be a positive number of seconds")


def _local_start(start: datetime, utc_offset_h: float) -> np.datetime64:
    """``start`` as naive local standard time; an aware datetime is converted first."""
    if start.tzinfo is not None and start.utcoffset() is not None:
        tz = timezone(timedelta(hours=utc_offset_h))
        start = start.astimezone(tz).replace(tzinfo=None)
    return np.datetime64(start.replace(microsecond=0), "s")


def _step_clock(start: np.datetime64, n: int, dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Step start times (``datetime64[s]``) and step midpoints (``datetime64[ms]``)."""
    offsets = np.arange(n) * dt_s
    times = start + np.round(offsets).astype(np.int64).astype("timedelta64[s]")
    mid_ms = np.round((offsets + 0.5 * dt_s) * 1e3).astype(np.int64).astype("timedelta64[ms]")
    return times, start.astype("datetime64[ms]") + mid_ms


def ar1(eps: np.ndarray, phi: float, std: float) -> np.ndarray:
    """Stationary AR(1) series driven by standard-normal innovations ``eps``.

    ``x[0] = std * eps[0]`` and ``x[k] = phi * x[k-1] + std * sqrt(1 - phi**2) * eps[k]``,
    so every ``x[k]`` has standard deviation ``std`` and lag-1 correlation ``phi``. With
    ``phi = exp(-dt / tau)`` the statistics do not depend on the step ``dt``.

    The recursion is evaluated in blocks as ``x[k] = phi**k * cumsum(w / phi**j)``, with
    blocks short enough that ``phi**-k`` stays below ``e**50``: pure NumPy, no Python
    loop per step.

    Args:
        eps: Standard-normal innovations, one per step.
        phi: Lag-1 autocorrelation in [0, 1).
        std: Stationary standard deviation.

    Returns:
        The series, same length as ``eps``.
    """
    w = np.asarray(eps, dtype=np.float64) * (std * math.sqrt(1.0 - phi * phi))
    if w.size == 0 or std == 0.0:
        return np.zeros_like(w)
    w[0] = std * eps[0]
    if phi <= 0.0:
        return w
    block = max(1, int(50.0 / -math.log(phi)))
    powers = phi ** np.arange(min(block, w.size))
    out = np.empty_like(w)
    carry = 0.0
    for s in range(0, w.size, block):
        chunk = w[s : s + block]
        p = powers[: chunk.size]
        out[s : s + chunk.size] = p * (carry * phi + np.cumsum(chunk / p))
        carry = out[s + chunk.size - 1]
    return out


def _day_of_year(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional day of year (1.0 = January 1, 00:00) and the length of that year."""
    year = t.astype("datetime64[Y]")
    doy = 1.0 + (t - year.astype(t.dtype)) / np.timedelta64(1, "D")
    length = ((year + 1).astype("datetime64[D]") - year.astype("datetime64[D]")).astype(float)
    return doy, length


def _solar_position(
    mid: np.ndarray, lat: float, lon: float, utc_offset_h: float, elevation_m: float
) -> pd.DataFrame:
    """Sun position (pvlib's NREL SPA, NumPy version) at local-standard-time instants.

    Pure geometry, the same for every seed: a vector env resetting 64 copies of one
    scenario asks for it 64 times, so recent results are kept (read-only frames).
    """
    key = (mid.tobytes(), lat, lon, utc_offset_h, elevation_m)
    cached = _SOLAR_CACHE.get(key)
    if cached is not None:
        return cached
    utc = mid - np.timedelta64(int(round(utc_offset_h * 3.6e6)), "ms")
    pos = pvlib.solarposition.get_solarposition(
        pd.DatetimeIndex(utc).tz_localize("UTC"),
        lat,
        lon,
        altitude=elevation_m,
        pressure=float(pvlib.atmosphere.alt2pres(elevation_m)),
        method="nrel_numpy",
    )
    if len(_SOLAR_CACHE) >= _SOLAR_CACHE_SIZE:
        _SOLAR_CACHE.pop(next(iter(_SOLAR_CACHE)))
    _SOLAR_CACHE[key] = pos
    return pos


def _read_epw_cached(path: Path) -> EpwData:
    """:func:`read_epw`, re-read only when the file changes (resets read it per copy)."""
    try:
        stat = path.stat()
    except OSError:
        return read_epw(path)  # let read_epw report the problem
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _EPW_CACHE:
        _EPW_CACHE.clear()
        _EPW_CACHE[key] = read_epw(path)
    return _EPW_CACHE[key]


_EPW_CACHE: dict[tuple[str, int, int], EpwData] = {}
#: Solar positions by (instants, site); a handful of scenarios' worth.
_SOLAR_CACHE: dict[tuple, pd.DataFrame] = {}
_SOLAR_CACHE_SIZE = 4


def _irradiance(
    pos: pd.DataFrame,
    doy: np.ndarray,
    ghi: np.ndarray,
    dni: np.ndarray | None = None,
    dhi: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zero the night, split GHI with Erbs if DNI/DHI are not given, transpose to facades.

    Returns:
        ``(ghi, dni, dhi, facade_irr, night)``, ``night`` a boolean mask.
    """
    zenith = pos["apparent_zenith"].to_numpy()
    azimuth = pos["azimuth"].to_numpy()
    night = zenith >= 90.0
    ghi = np.where(night, 0.0, ghi)
    if dni is None or dhi is None:
        split = pvlib.irradiance.erbs(ghi, pos["zenith"].to_numpy(), doy)
        dni, dhi = np.asarray(split["dni"]), np.asarray(split["dhi"])
    dni = np.where(night, 0.0, dni)
    dhi = np.where(night, 0.0, dhi)
    facade = np.empty((ghi.size, len(FACADES)))
    for j, az in enumerate(FACADE_AZIMUTHS_DEG):
        poa = pvlib.irradiance.get_total_irradiance(
            90.0, az, zenith, azimuth, dni, ghi, dhi, albedo=GROUND_ALBEDO, model="isotropic"
        )["poa_global"]
        facade[:, j] = np.where(night, 0.0, np.maximum(poa, 0.0))
    return ghi, dni, dhi, facade, night


def _saturation_pressure(t_c: np.ndarray) -> np.ndarray:
    """Magnus formula (WMO), hPa."""
    return 6.112 * np.exp(17.62 * t_c / (243.12 + t_c))


def _check_season(config: SyntheticWeather, lat: float) -> None:
    """Warn when the coldest day falls in the local summer outside the tropics."""
    if abs(lat) <= 23.44:
        return
    summer_solstice = 172 if lat > 0 else 355
    gap = abs(config.coldest_day_of_year - summer_solstice) % 365
    if min(gap, 365 - gap) < 91:
        suggestion = 20 if lat > 0 else 202
        warnings.warn(
            f"coldest_day_of_year = {config.coldest_day_of_year} lies in the local summer at "
            f"latitude {lat}; the coldest day there is usually around day {suggestion}",
            stacklevel=3,
        )


# --------------------------------------------------------------------------- builders


def synthetic_weather(
    config: SyntheticWeather,
    site: Site,
    start: datetime,
    n_steps: int,
    dt_s: float,
    rng: np.random.Generator,
) -> Weather:
    """Seeded synthetic weather for a site.

    Temperature is ``mean - annual_amplitude * cos(2 pi (d - coldest_day) / year)
    + daily_amplitude * cos(2 pi (h - warmest_hour) / 24)`` plus an AR(1) noise with
    standard deviation ``noise_std_k`` and correlation time ``noise_correlation_h``
    (``d`` = fractional day of year with noon of day N at N, ``h`` = hour of day).
    Cloud cover is an AR(1) process (mean and std from the config, correlation time
    :data:`CLOUD_CORRELATION_H`) clipped to [0, 1]; GHI is the Haurwitz clear sky reduced
    by Kasten-Czeplak, ``clear * (1 - 0.75 c**3.4)``, split into DNI/DHI by Erbs.
    Relative humidity keeps the vapour pressure of the day's mean temperature, so it
    falls in the warm afternoon; without a daily cycle it equals the configured value.

    All randomness comes from ``rng``: one ``(n_steps, 2)`` standard-normal draw, so a
    longer run with the same seed and step starts with the same weather.

    Args:
        config: Synthetic weather parameters.
        site: Location (latitude, longitude, UTC offset, elevation).
        start: First step start, local standard time (an aware datetime is converted).
        n_steps: Number of steps.
        dt_s: Step length, seconds.
        rng: Source of all randomness.

    Returns:
        The weather, ``source = "synthetic"``.

    Raises:
        WeatherError: ``n_steps`` or ``dt_s`` is not positive.
    """
    _check_steps(n_steps, dt_s)
    _check_season(config, site.latitude_deg)
    times, mid = _step_clock(_local_start(start, site.utc_offset_h), int(n_steps), dt_s)
    doy, year_len = _day_of_year(mid)
    hour = (mid - mid.astype("datetime64[D]")) / np.timedelta64(1, "h")
    eps = rng.standard_normal((int(n_steps), 2))

    seasonal = -config.annual_amplitude_k * np.cos(
        2 * np.pi * (doy - 0.5 - config.coldest_day_of_year) / year_len
    )
    daily = config.daily_amplitude_k * np.cos(2 * np.pi * (hour - config.warmest_hour) / 24.0)
    phi_t = math.exp(-dt_s / (3600.0 * config.noise_correlation_h))
    noise = ar1(eps[:, 0], phi_t, config.noise_std_k)
    base = config.mean_temp_c + seasonal + noise
    t_out = base + daily
    rh = np.clip(
        config.relative_humidity_pct * _saturation_pressure(base) / _saturation_pressure(t_out),
        1.0,
        100.0,
    )

    phi_c = math.exp(-dt_s / (3600.0 * CLOUD_CORRELATION_H))
    cloud = np.clip(config.cloud_cover_mean + ar1(eps[:, 1], phi_c, config.cloud_cover_std), 0, 1)
    pos = _solar_position(
        mid, site.latitude_deg, site.longitude_deg, site.utc_offset_h, site.elevation_m
    )
    clear = pvlib.clearsky.haurwitz(pos["apparent_zenith"])["ghi"].to_numpy()
    ghi, dni, dhi, facade, _ = _irradiance(pos, doy, clear * (1.0 - 0.75 * cloud**3.4))
    return Weather(
        times=times,
        t_out=t_out,
        rh=rh,
        ghi=ghi,
        dni=dni,
        dhi=dhi,
        facade_irr=facade,
        illuminance_lux=ghi * LUMINOUS_EFFICACY_LM_W,
        latitude_deg=site.latitude_deg,
        longitude_deg=site.longitude_deg,
        utc_offset_h=site.utc_offset_h,
        source="synthetic",
    )


def epw_weather(epw: EpwData, start: datetime, n_steps: int, dt_s: float) -> Weather:
    """Resample an EPW year onto the control step, starting at ``start``.

    ``start``'s month, day and time select the first row (its year only sets the calendar:
    in a leap year February 29 reuses February 28 of a 365-day file); the year wraps
    around from December 31 to January 1. Conventions: see the module docstring.

    Args:
        epw: Data from :func:`read_epw`.
        start: First step start, local standard time of the EPW location.
        n_steps: Number of steps.
        dt_s: Step length, seconds.

    Returns:
        The weather at the EPW's location, ``source = epw.path``.
    """
    _check_steps(n_steps, dt_s)
    times, mid = _step_clock(_local_start(start, epw.utc_offset_h), int(n_steps), dt_s)
    h0 = times[0].astype("datetime64[h]") - np.timedelta64(1, "h")
    n_hours = int(math.ceil((n_steps * dt_s + 7200.0) / 3600.0)) + 1
    hour_start = h0 + np.arange(n_hours).astype("timedelta64[h]")
    date = hour_start.astype("datetime64[D]")
    month = (date.astype("datetime64[M]") - date.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (date - date.astype("datetime64[M]")).astype(np.int64) + 1
    if not epw.is_leap:
        day = np.where((month == 2) & (day == 29), 28, day)
    first_day = np.cumsum((0, *_MONTH_DAYS[:-1])) + np.r_[0, 0, np.full(10, int(epw.is_leap))]
    row = (first_day[month - 1] + day - 1) * 24 + (hour_start - date).astype(np.int64)

    x = (mid - h0.astype("datetime64[ms]")) / np.timedelta64(1, "h")
    node_end = np.arange(1, n_hours + 1, dtype=np.float64)  # readings at the hour's end
    node_mid = node_end - 0.5  # averages over the hour
    t_out = np.interp(x, node_end, epw.t_out[row])
    rh = np.clip(np.interp(x, node_end, epw.rh[row]), 0.0, 100.0)
    ghi, dni, dhi, illum = (
        np.interp(x, node_mid, v[row]) for v in (epw.ghi, epw.dni, epw.dhi, epw.illuminance_lux)
    )
    pos = _solar_position(
        mid, epw.latitude_deg, epw.longitude_deg, epw.utc_offset_h, epw.elevation_m
    )
    ghi, dni, dhi, facade, night = _irradiance(pos, _day_of_year(mid)[0], ghi, dni, dhi)
    return Weather(
        times=times,
        t_out=t_out,
        rh=rh,
        ghi=ghi,
        dni=dni,
        dhi=dhi,
        facade_irr=facade,
        illuminance_lux=np.where(night, 0.0, illum),
        latitude_deg=epw.latitude_deg,
        longitude_deg=epw.longitude_deg,
        utc_offset_h=epw.utc_offset_h,
        source=epw.path,
    )


def build_weather(
    config: SyntheticWeather | EpwWeather,
    site: Site,
    start: datetime,
    n_steps: int,
    dt_s: float,
    rng: np.random.Generator,
) -> Weather:
    """Build the weather of a run from the scenario's weather section.

    Args:
        config: ``SyntheticWeather`` or ``EpwWeather`` (its path is used as given;
            :func:`twin.scenario.load_scenario` already resolved it).
        site: The scenario's site; an EPW file brings its own location instead.
        start: First step start, local standard time.
        n_steps: Number of steps.
        dt_s: Step length, seconds.
        rng: Randomness for synthetic weather (EPW weather uses none).

    Returns:
        The weather on the control step.

    Raises:
        WeatherError: the EPW file is missing or malformed, or the step arguments are bad.
    """
    if isinstance(config, SyntheticWeather):
        return synthetic_weather(config, site, start, n_steps, dt_s, rng)
    if isinstance(config, EpwWeather):
        return epw_weather(_read_epw_cached(Path(config.path)), start, n_steps, dt_s)
    raise WeatherError(
        f"unknown weather config {type(config).__name__}; use SyntheticWeather or EpwWeather"
    )


def facade_irradiance(times: np.ndarray, ghi: np.ndarray, site: Site, dt_s: float) -> np.ndarray:
    """``(n, 4)`` irradiance on the N, E, S, W facades (W/m2) from measured GHI.

    For steps starting at ``times`` (``datetime64``, local standard time) of ``dt_s``
    seconds: the sun at each step's midpoint, the Erbs split and the isotropic sky of
    the synthetic weather. A site's pyranometer gives GHI only; ``twin validate``
    replays a deployment's facade gains with this.
    """
    start = np.asarray(times).astype("datetime64[ms]")
    mid = start + np.int64(round(0.5 * dt_s * 1e3)).astype("timedelta64[ms]")
    doy, _ = _day_of_year(mid)
    pos = _solar_position(
        mid, site.latitude_deg, site.longitude_deg, site.utc_offset_h, site.elevation_m
    )
    _, _, _, facade, _ = _irradiance(pos, doy, np.asarray(ghi, dtype=np.float64))
    return facade
