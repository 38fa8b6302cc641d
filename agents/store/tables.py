"""The store scenario as the arrays the shopper kernels read, built once per World.

:class:`StoreTables` gathers the floor plan's geometry, the catalogue, the behaviour and
experience parameter vectors and the segment table, so the kernels never touch the
scenario objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.kernels import (
    P_CCT_TOL,
    P_FEEDBACK_DECAY_H,
    P_LUX_TOL,
    P_MEMORY_H,
    P_RH,
    P_VR,
    P_W_C,
    P_W_L,
    P_W_T,
)
from agents.store.floorplan import FloorPlan
from agents.store.population import SegmentTable
from agents.store.shopper_kernel import (
    B_AFFINITY_U,
    B_ATTENTION,
    B_CROWD_M2,
    B_DWELL_COMFORT,
    B_DWELL_HIGH,
    B_DWELL_LOW,
    B_DWELL_MEAN,
    B_DWELL_PER_BPM,
    B_DWELL_SD,
    B_DWELL_UTILITY,
    B_IMPULSE_AFFINITY,
    B_IMPULSE_AMBIENCE,
    B_IMPULSE_LOGIT,
    B_IMPULSE_PROMO,
    B_LEAVE_CROWD,
    B_LEAVE_DISCOMFORT,
    B_MOOD_U,
    B_NO_PURCHASE_U,
    B_PRICE_COEF,
    B_PROMO_U,
    B_REF_TEMPO,
    N_BEHAVIOUR,
    N_STORE_PARAMS,
    P_VOL_TOL,
    P_W_M,
    Catalogue,
    StoreGeometry,
)
from twin.scenario import Scenario, Store


@dataclass(frozen=True)
class StoreTables:
    """Everything about a store scenario the kernels need, as arrays."""

    plan: FloorPlan
    geometry: StoreGeometry
    catalogue: Catalogue
    segments: SegmentTable
    behaviour: np.ndarray  # (N_BEHAVIOUR,)
    params: np.ndarray  # (N_STORE_PARAMS,)
    service: np.ndarray  # (4, 2) mean, sd, low, high of the base and per-item service (s)

    @classmethod
    def of(cls, scenario: Scenario) -> StoreTables:
        """The tables of a store scenario."""
        store = scenario.store
        assert store is not None
        plan = FloorPlan.of(scenario)
        zone_names = plan.zone_names
        entrance_zone = int(plan.zone_of[tuple(plan.place_cells[plan.entrance][0])])
        checkout_zone = int(plan.zone_of[tuple(plan.place_cells[plan.checkout][0])])
        place_zone = np.array([*plan.section_zone, entrance_zone, checkout_zone], np.int64)
        geometry = StoreGeometry(
            distance_m=np.ascontiguousarray(plan.distance_m),
            pass_order=np.ascontiguousarray(plan.pass_order),
            place_zone=place_zone,
            display_sees=np.ascontiguousarray(plan.display_sees),
            display_zone=np.ascontiguousarray(plan.display_zone, dtype=np.int64),
            zone_area_m2=np.ascontiguousarray(plan.zone_area_m2, dtype=np.float64),
        )
        assert len(zone_names) == len(plan.zone_area_m2)
        return cls(
            plan=plan,
            geometry=geometry,
            catalogue=catalogue_of(store),
            segments=SegmentTable.of(store),
            behaviour=behaviour_vector(store),
            params=experience_params(scenario),
            service=np.array(
                [
                    [
                        getattr(d, f)
                        for d in (store.checkout.service_base_s, store.checkout.service_per_item_s)
                    ]
                    for f in ("mean", "sd", "low", "high")
                ]
            ),  # fmt: skip
        )


def catalogue_of(store: Store) -> Catalogue:
    """Products (padded with NaN) and music tempos as arrays."""
    n_cat = len(store.categories)
    width = max(len(c.prices) for c in store.categories)
    prices = np.full((n_cat, width), np.nan)
    appeal = np.zeros((n_cat, width))
    for i, c in enumerate(store.categories):
        prices[i, : len(c.prices)] = c.prices
        if c.appeal:
            appeal[i, : len(c.appeal)] = c.appeal
    return Catalogue(
        prices=prices,
        appeal=appeal,
        n_products=np.array([len(c.prices) for c in store.categories], np.int64),
        quantity_mean=np.array([c.quantity_mean for c in store.categories]),
        picks_mean=np.array([c.picks_mean for c in store.categories]),
        tempo_bpm=np.array([g.tempo_bpm for g in store.music]),
    )


def behaviour_vector(store: Store) -> np.ndarray:
    """``[store.behaviour]`` in the layout of the ``B_*`` indices."""
    b = store.behaviour
    v = np.zeros(N_BEHAVIOUR)
    v[[B_DWELL_MEAN, B_DWELL_SD, B_DWELL_LOW, B_DWELL_HIGH]] = (
        b.dwell_min.mean, b.dwell_min.sd, b.dwell_min.low, b.dwell_min.high,
    )  # fmt: skip
    pairs = {
        B_REF_TEMPO: b.reference_tempo_bpm, B_DWELL_PER_BPM: b.dwell_per_bpm,
        B_DWELL_COMFORT: b.dwell_comfort, B_ATTENTION: b.attention_prob,
        B_PROMO_U: b.promo_utility, B_MOOD_U: b.mood_utility,
        B_NO_PURCHASE_U: b.no_purchase_utility, B_PRICE_COEF: b.price_coef,
        B_AFFINITY_U: b.affinity_utility, B_IMPULSE_LOGIT: b.impulse_logit,
        B_IMPULSE_AFFINITY: b.impulse_affinity, B_IMPULSE_PROMO: b.impulse_promo,
        B_IMPULSE_AMBIENCE: b.impulse_ambience, B_LEAVE_DISCOMFORT: b.leave_discomfort_per_h,
        B_CROWD_M2: b.crowding_m2_per_person, B_LEAVE_CROWD: b.leave_crowding_per_h,
        B_DWELL_UTILITY: b.dwell_utility,
    }  # fmt: skip
    for k, value in pairs.items():
        v[k] = value
    return v


def experience_params(scenario: Scenario) -> np.ndarray:
    """The shared occupant-experience parameter vector, plus the music terms."""
    sat, comfort = scenario.store.satisfaction, scenario.comfort  # type: ignore[union-attr]
    p = np.zeros(N_STORE_PARAMS)
    p[[P_MEMORY_H, P_W_T, P_W_L, P_W_C, P_LUX_TOL, P_CCT_TOL]] = (
        sat.memory_min / 60.0, sat.weight_thermal, sat.weight_light, sat.weight_cct,
        sat.lux_tolerance_rel, sat.cct_tolerance_k,
    )  # fmt: skip
    p[[P_RH, P_VR, P_FEEDBACK_DECAY_H]] = (
        comfort.relative_humidity_pct,
        comfort.air_speed_m_s,
        1.0,
    )
    p[P_W_M] = sat.weight_music
    p[P_VOL_TOL] = sat.volume_tolerance_db
    return p
