"""Turn a scenario's zone groups into the struct-of-arrays the physics kernels consume.

One :class:`Building` holds every per-zone parameter as a 1-D array over zones (the
ISO 13790 conductances, solar apertures, HVAC capacities, lighting), plus the affine step
coefficients for a given time step. Batched code stacks buildings along a leading
environment axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.errors import ScenarioError
from twin.physics.kernels import heat_pump_inv_cop
from twin.physics.network import (
    CONSTRUCTION_CLASSES,
    H_IS,
    H_MS,
    LAMBDA_AT,
    RHO_C_AIR,
    RCParams,
    affine_coefficients,
)
from twin.scenario import Scenario, ZoneGroup

FACADES = ("N", "E", "S", "W")


@dataclass(frozen=True, slots=True)
class Building:
    """Per-zone parameters of one building (all arrays have length ``n_zones``)."""

    zone_names: tuple[str, ...]
    group_index: np.ndarray
    group_names: tuple[str, ...]
    group_kinds: tuple[str, ...]
    rc: RCParams
    aperture: np.ndarray  # (4, nz) m2 per facade N, E, S, W
    q_heat_max: np.ndarray  # W
    q_cool_max: np.ndarray  # W
    equipment_w: np.ndarray  # W, constant equipment gains
    floor_area: np.ndarray  # m2
    max_lux: np.ndarray
    installed_light_w: np.ndarray
    min_power_fraction: np.ndarray
    daylight_factor: np.ndarray
    cct_min: np.ndarray
    cct_max: np.ndarray
    dt: float
    coef: np.ndarray  # (N_COEF, nz) affine step coefficients for dt
    inv_a_a: np.ndarray  # (nz,) 1 / (K per W at the air node)

    @property
    def n_zones(self) -> int:
        """Number of zones."""
        return len(self.zone_names)

    def zones_of_kind(self, kind: str) -> np.ndarray:
        """Indices of the zones whose group has this ``kind`` (e.g. ``"guest_room"``)."""
        kinds = np.array(self.group_kinds)[self.group_index]
        return np.flatnonzero(kinds == kind)


def rc_params_of(group: ZoneGroup, where: str) -> RCParams:
    """ISO 13790 network parameters of one zone of ``group`` (``where`` names it in errors)."""
    A_f = group.floor_area_m2
    A_m_ratio, C_m_ratio = CONSTRUCTION_CLASSES[group.construction]
    A_m, C_m = A_m_ratio * A_f, C_m_ratio * A_f
    A_t = LAMBDA_AT * A_f
    H_tr_ms = H_MS * A_m
    H_tr_op = group.u_wall_w_m2k * group.exterior_wall_area_m2 + (
        group.u_roof_w_m2k * group.roof_area_m2
    )
    if H_tr_op >= H_tr_ms:
        raise ScenarioError(
            f"{where}: opaque conductance {H_tr_op:.1f} W/K exceeds the mass coupling "
            f"{H_tr_ms:.1f} W/K of a {A_f} m2 floor; reduce wall/roof area or U-values"
        )
    H_tr_em = 0.0 if H_tr_op == 0 else 1.0 / (1.0 / H_tr_op - 1.0 / H_tr_ms)
    H_tr_w = group.u_window_w_m2k * group.window_area_m2
    if 1.0 - A_m / A_t - H_tr_w / (H_MS * A_t) < 0:
        raise ScenarioError(
            f"{where}: window_area_m2 = {group.window_area_m2} is too large for "
            f"floor_area_m2 = {A_f} (ISO 13790 surface-node gain share would be negative)"
        )
    H_ve = RHO_C_AIR * group.air_changes_per_h * A_f * group.height_m / 3600.0
    H_ve *= 1.0 - group.heat_recovery
    return RCParams(
        H_ve=H_ve,
        H_tr_is=H_IS * A_t,
        H_tr_w=H_tr_w,
        H_tr_ms=H_tr_ms,
        H_tr_em=H_tr_em,
        C_m=C_m,
        A_m=A_m,
        A_t=A_t,
        A_f=A_f,
    )


def build_building(scenario: Scenario, dt: float | None = None) -> Building:
    """Expand the scenario's zone groups into per-zone arrays.

    Args:
        scenario: validated scenario.
        dt: physics step (s); defaults to the control step divided by ``hvac.substeps``.
    """
    if dt is None:
        dt = scenario.simulation.dt_s / scenario.hvac.substeps
    names: list[str] = []
    gidx: list[int] = []
    rc_rows: list[RCParams] = []
    aperture: list[np.ndarray] = []
    per_zone: dict[str, list[float]] = {
        k: []
        for k in (
            "q_heat_max", "q_cool_max", "equipment_w", "floor_area", "max_lux",
            "installed_light_w", "min_power_fraction", "daylight_factor", "cct_min", "cct_max",
        )
    }  # fmt: skip
    for gi, group in enumerate(scenario.zones):
        rc = rc_params_of(group, f"zones[{gi}] ({group.name})")
        a_sol = group.shading_factor * group.g_window * (1 - group.frame_fraction)
        a_sol *= group.window_area_m2
        width = len(str(group.count))
        for i in range(group.count):
            names.append(group.name if group.count == 1 else f"{group.name}_{i + 1:0{width}d}")
            gidx.append(gi)
            rc_rows.append(rc)
            ap = np.zeros(4)
            ap[FACADES.index(group.orientation[i % len(group.orientation)])] = a_sol
            aperture.append(ap)
            A_f = group.floor_area_m2
            light = group.lighting
            values = {
                "q_heat_max": group.heating_capacity_w_m2 * A_f,
                "q_cool_max": group.cooling_capacity_w_m2 * A_f,
                "equipment_w": group.equipment_gains_w_m2 * A_f,
                "floor_area": A_f,
                "max_lux": light.max_lux,
                "installed_light_w": light.installed_w_m2 * A_f,
                "min_power_fraction": light.min_dim_power_fraction,
                "daylight_factor": light.daylight_factor,
                "cct_min": light.cct_min_k,
                "cct_max": light.cct_max_k,
            }
            for key, value in values.items():
                per_zone[key].append(value)
    rc = RCParams(
        **{f: np.array([getattr(r, f) for r in rc_rows]) for f in RCParams.__slots__}  # type: ignore[attr-defined]
    )
    coef = affine_coefficients(rc, dt)
    arrays = {k: np.array(v, dtype=np.float64) for k, v in per_zone.items()}
    return Building(
        zone_names=tuple(names),
        group_index=np.array(gidx, dtype=np.int64),
        group_names=tuple(g.name for g in scenario.zones),
        group_kinds=tuple(g.kind for g in scenario.zones),
        rc=rc,
        aperture=np.ascontiguousarray(np.array(aperture).T),
        dt=float(dt),
        coef=coef,
        inv_a_a=1.0 / coef[6],
        **arrays,
    )


def heat_pump_arrays(scenario: Scenario, t_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1/COP of the scenario's heat pump for heating and cooling at each outdoor temperature."""
    hp = scenario.hvac.heat_pump
    t = np.ascontiguousarray(t_out, dtype=np.float64)
    inv_h, inv_c = np.empty_like(t), np.empty_like(t)
    heat_pump_inv_cop(
        t,
        hp.carnot_efficiency_heating,
        hp.carnot_efficiency_cooling,
        hp.supply_temp_heating_c,
        hp.supply_temp_cooling_c,
        hp.cop_min,
        hp.cop_max,
        inv_h,
        inv_c,
    )
    return inv_h, inv_c
