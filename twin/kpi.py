"""Key performance indicators of a run, as flat ``{name: float}`` dictionaries.

Definitions follow BOPTEST where one exists: thermal discomfort is the integral of the
operative temperature's excursion outside the comfort band, in kelvin-hours per zone
(BOPTEST ``tdis_tot``, which uses air temperature; operative temperature is what people
feel, and with ideal air-temperature control the air stays on its set-point).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.physics.comfort import pmv_ppd
from twin.scenario import Comfort, Tariff

if TYPE_CHECKING:
    from twin.world import World

#: Number of decimals kept in KPI files: far below any physical resolution, and it keeps
#: the files readable.
KPI_DECIMALS = 6


def tariff_per_step(tariff: Tariff, local_hours: np.ndarray) -> np.ndarray:
    """Electricity price (per kWh) of each step from the local hour of day."""
    start, end = tariff.peak_hours
    peak = (
        (local_hours >= start) & (local_hours < end)
        if start <= end
        else ((local_hours >= start) | (local_hours < end))
    )
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


def hotel_kpis(world: World, e: int) -> dict[str, float]:
    """Building and guest KPIs of copy ``e`` of a World (flat; per-segment keys suffixed).

    Guest KPIs weigh every guest party equally: ``mean_satisfaction`` averages each
    guest's stay-average satisfaction (checked-out and still in-house guests);
    ``mean_review`` and ``return_rate`` cover checked-out guests; ``fairness_gap`` is
    the gap in mean satisfaction between the best- and worst-served segment;
    ``personal_data_used`` counts guest-hours of consented personal preferences the
    policy was shown.
    """
    hotel = world.hotels[e]
    outcomes = world.guest_outcomes(e)
    energy_hvac = float(world.energy_hvac[e].sum()) / 3.6e6
    energy_light = float(world.acc_energy_light[e]) / 3.6e6
    present_h = float(world.acc_present_h[e])
    kpis: dict[str, float] = {
        "energy_kwh": energy_hvac + energy_light,
        "hvac_energy_kwh": energy_hvac,
        "lighting_energy_kwh": energy_light,
        "cost": float(world.acc_cost[e]),
        "peak_kw": float(world.acc_peak[e]) / 1000.0,
        "discomfort_kh": float(world.acc_discomfort[e]),
        "mean_ppd": float(world.acc_ppd[e]) / present_h if present_h > 0 else float("nan"),
    }
    stayed = [g for g in outcomes if g.present_h > 0 or g.checked_out]
    out = [g for g in outcomes if g.checked_out]
    sats = np.array([g.mean_satisfaction for g in stayed])
    reviews = np.array([g.review for g in out], dtype=float)
    kpis["mean_satisfaction"] = float(sats.mean()) if sats.size else float("nan")
    kpis["mean_review"] = float(reviews.mean()) if reviews.size else float("nan")
    for star in range(1, 6):
        kpis[f"review_{star}_share"] = float(np.mean(reviews == star)) if reviews.size else 0.0
    kpis["return_rate"] = (
        float(np.mean([g.return_probability for g in out])) if out else float("nan")
    )
    seg_means = {}
    for seg in world.scenario.hotel.segments:  # type: ignore[union-attr]
        vals = [g.mean_satisfaction for g in stayed if g.segment == seg.name]
        if vals:
            seg_means[seg.name] = float(np.mean(vals))
            kpis[f"satisfaction_{seg.name}"] = seg_means[seg.name]
    kpis["fairness_gap"] = (
        max(seg_means.values()) - min(seg_means.values()) if seg_means else float("nan")
    )
    kpis["personal_data_used"] = float(world.acc_disclosed_h[e])
    waits = hotel.checkin_waits_min
    kpis["checkin_wait_min"] = float(np.mean(waits)) if waits else 0.0
    kpis["turned_away"] = float(hotel.turned_away)
    kpis["arrivals"] = float(hotel.arrivals)
    kpis["guests"] = float(len(stayed))
    hours = world.t * world.dt_h
    kpis["occupancy"] = float(world.acc_in_house_h[e]) / (world.n_rooms * hours) if hours else 0.0
    return rounded(kpis)
