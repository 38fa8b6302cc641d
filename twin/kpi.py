"""Key performance indicators of a run, as flat ``{name: float}`` dictionaries.

Definitions follow BOPTEST where one exists: thermal discomfort is the integral of the
operative temperature's excursion outside the comfort band, in kelvin-hours per zone
(BOPTEST ``tdis_tot``, which uses air temperature; operative temperature is what people
feel, and with ideal air-temperature control the air stays on its set-point).
"""

from __future__ import annotations

import numpy as np

from twin.calendar import in_window
from twin.physics.comfort import pmv_ppd
from twin.scenario import Comfort, Tariff

#: Number of decimals kept in KPI files: far below any physical resolution, and it keeps
#: the files readable.
KPI_DECIMALS = 6


def tariff_per_step(tariff: Tariff, local_hours: np.ndarray) -> np.ndarray:
    """Electricity price (per kWh) of each step from the local hour of day."""
    peak = in_window(local_hours, tariff.peak_hours)
    return np.where(peak, tariff.peak_price_per_kwh, tariff.price_per_kwh)


def discomfort_kh(op: np.ndarray, lower: np.ndarray, upper: np.ndarray, dt_h: float) -> float:
    """Kelvin-hours per zone outside ``[lower, upper]``; arrays ``(nt, nz)`` (bands broadcast)."""
    excess = np.maximum(lower - op, 0.0) + np.maximum(op - upper, 0.0)
    return float(excess.sum() * dt_h / op.shape[1])


def ppd_of(air: np.ndarray, op: np.ndarray, comfort: Comfort) -> np.ndarray:
    """ISO 7730 PPD (%) for the zones' air and operative temperatures (any shape).

    Mean radiant temperature follows from the operative temperature at low air speed,
    ``t_r = 2 t_op - t_a``; clothing, activity, humidity and air speed come from the
    scenario's comfort section.
    """
    ta = np.ascontiguousarray(air, dtype=np.float64).ravel()
    tr = 2.0 * np.ascontiguousarray(op, dtype=np.float64).ravel() - ta
    n = ta.size

    def full(v: float) -> np.ndarray:
        return np.full(n, v)

    _, ppd = pmv_ppd(
        ta,
        tr,
        full(comfort.air_speed_m_s),
        full(comfort.relative_humidity_pct),
        full(comfort.metabolic_met),
        full(comfort.clothing_clo),
        full(0.0),
    )
    return ppd.reshape(np.shape(air))


def building_kpis(
    *,
    air: np.ndarray,
    op: np.ndarray,
    p_hvac_el: np.ndarray,
    p_light: np.ndarray,
    occupied: np.ndarray,
    price: np.ndarray,
    comfort: Comfort,
    dt_h: float,
) -> dict[str, float]:
    """Energy, cost, peak, discomfort and PPD of a run.

    Args:
        air, op: ``(nt, nz)`` air and operative temperatures (deg C).
        p_hvac_el, p_light: ``(nt, nz)`` electric power of HVAC and lighting (W).
        occupied: ``(nt, nz)`` bool, whether the zone counts as occupied.
        price: ``(nt,)`` electricity price per kWh.
        comfort: band and PMV inputs.
        dt_h: step in hours.
    """
    p_total = (p_hvac_el + p_light).sum(axis=1)  # W per step
    lower = np.where(occupied, comfort.lower_c, comfort.unoccupied_lower_c)
    upper = np.where(occupied, comfort.upper_c, comfort.unoccupied_upper_c)
    ppd = ppd_of(air[occupied], op[occupied], comfort) if occupied.any() else np.array([np.nan])
    kpis = {
        "energy_kwh": p_total.sum() * dt_h / 1000.0,
        "hvac_energy_kwh": p_hvac_el.sum() * dt_h / 1000.0,
        "lighting_energy_kwh": p_light.sum() * dt_h / 1000.0,
        "cost": float((p_total * price).sum() * dt_h / 1000.0),
        "peak_kw": p_total.max() / 1000.0,
        "discomfort_kh": discomfort_kh(op, lower, upper, dt_h),
        "mean_ppd": float(np.mean(ppd)),
    }
    return rounded(kpis)


def rounded(kpis: dict[str, float]) -> dict[str, float]:
    """Plain floats rounded to :data:`KPI_DECIMALS`, for stable, readable KPI files.

    NaN (a KPI with nothing to measure, e.g. no checked-out guest yet) becomes ``None``
    so the files stay valid JSON.
    """
    return {
        k: (round(float(v), KPI_DECIMALS) if np.isfinite(v) else None)  # type: ignore[misc]
        for k, v in kpis.items()
    }
