"""The store's control step as one Numba call over every copy.

:func:`store_step` runs, per copy, the building's lighting pass, adds the shoppers' heat
(the zone counts of the previous step) to the gains and runs the zone pass; then the
shoppers' update over every copy (:func:`agents.store.shopper_kernel.shopper_step`);
then, per copy, occupancy (every zone while the store is open, or when somebody is in
it) and the building's KPI pass. Arrivals and the checkout lanes stay in SimPy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.store.shopper_kernel import Ambience, Catalogue, StoreGeometry, shopper_step
from agents.store.slots import ShopperArrays
from twin.physics.passes import (
    BuildingArrays,
    StepWeather,
    ZoneCommands,
    ZoneOutputs,
    ZoneState,
    kpi_pass,
    lighting_pass,
    zone_pass,
)

#: Sensible heat of a shopper walking and browsing (W): about 1.8 met, ASHRAE Handbook
#: Fundamentals ch. 18 table 1 ("walking, standing" ~ 75-100 W sensible).
HEAT_SHOPPER_W = 90.0


@njit(cache=True, error_model="numpy")
def store_step(
    t0_s: float,
    dt_h: float,
    price: float,
    open_now: bool,
    p: np.ndarray,
    beh: np.ndarray,
    b: BuildingArrays,
    wx: StepWeather,
    cmd: ZoneCommands,
    st: ZoneState,
    out: ZoneOutputs,
    count: np.ndarray,
    band: np.ndarray,
    acc: np.ndarray,
    geo: StoreGeometry,
    cat: Catalogue,
    amb: Ambience,
    s: ShopperArrays,
    noise: np.ndarray,
    cursor: np.ndarray,
    disclosed: np.ndarray,
    ready: np.ndarray,
    n_ready: np.ndarray,
    sacc: np.ndarray,
    tacc: np.ndarray,
    visits: np.ndarray,
    dwell_min: np.ndarray,
) -> None:
    """Advance every copy of the store by one control step.

    Args:
        t0_s: run time at the start of the step (s); ``dt_h`` the step (h).
        price: electricity price of this step (per kWh).
        open_now: whether the store is open (its zones count as occupied).
        p, beh: the shoppers' experience and behaviour parameter vectors.
        b, wx, cmd, st, out: the World's building arrays, this step's weather, the
            commands in force, the physics state and the zone outputs.
        count: ``(ne, nz)`` shoppers per zone: the previous step's in, this step's out.
        band, acc: the comfort band and the World's building KPI accumulator.
        geo, cat, amb: the floor plan, catalogue and ambience (whose air, operative
            temperature, light and colour are ``out``'s arrays, written here first).
        s ... dwell_min: see :func:`agents.store.shopper_kernel.shopper_step`.
    """
    ne, nz = cmd.heat_sp.shape
    gains = np.empty(nz)
    rec = np.empty((4, nz))
    for e in range(ne):
        lighting_pass(e, b, wx, cmd, out, gains)
        for z in range(nz):
            gains[z] += count[e, z] * HEAT_SHOPPER_W
        zone_pass(e, b, wx, cmd, st, out, gains, rec)
    shopper_step(
        t0_s, dt_h, p, beh, geo, cat, amb, s, count, noise, cursor, disclosed, ready,
        n_ready, sacc, tacc, visits, dwell_min,
    )  # fmt: skip
    for e in range(ne):
        for z in range(nz):
            out.occupied[e, z] = open_now or count[e, z] > 0.0
        kpi_pass(e, out, band, price, dt_h, acc)


@njit(cache=True, error_model="numpy")
def count_zones(stage: np.ndarray, zone: np.ndarray, count: np.ndarray) -> None:
    """``count`` ``(ne, nz)``: shoppers in each zone (every non-empty slot)."""
    count[:] = 0.0
    for e in range(stage.shape[0]):
        for m in range(stage.shape[1]):
            if stage[e, m] != 0:
                count[e, zone[e, m]] += 1.0
