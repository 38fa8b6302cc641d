"""The guest kernel's PMV, evaluated in lock-step blocks, against the scalar path.

:func:`agents.hotel.guest_kernel.guest_step` gathers the guests present in their rooms and
evaluates their PMV in lock-step blocks (:func:`twin.physics.comfort.pmv_ppd_warm_into`).
Every guest must get exactly what a per-guest :func:`twin.physics.comfort.pmv_point_warm`
call would give, bit for bit, whatever its neighbours in the block do: vacant and out
slots are skipped, the count of present guests is not a multiple of the block size, warm
starts need different numbers of iterations and some guests start cold. Also passes (and
stays fast) with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import numpy as np

from agents.hotel.guest_kernel import clothing_activity, guest_step, routine_state
from agents.hotel.slots import GuestSlots
from agents.kernels import (
    ASLEEP,
    AWAKE,
    N_PARAMS,
    OUT,
    P_CCT_TOL,
    P_FEEDBACK,
    P_FEEDBACK_DECAY_H,
    P_LUX_TOL,
    P_MEMORY_H,
    P_RH,
    P_SLEEP_OFFSET,
    P_VR,
    P_W_C,
    P_W_L,
    P_W_T,
    VACANT,
)
from twin.physics.comfort import _BLOCK, _pmv_core, pmv_point_warm

DT_H = 5.0 / 60.0
#: Local hour of each environment at the first step: night, morning, midday, evening.
HOURS = np.array([3.0, 8.0, 12.5, 20.5])
N_ROOMS = 29
N_STEPS = 3


def params() -> np.ndarray:
    p = np.zeros(N_PARAMS)
    p[P_MEMORY_H], p[P_W_T], p[P_W_L], p[P_W_C] = 10.0, 0.6, 0.25, 0.15
    p[P_LUX_TOL], p[P_CCT_TOL], p[P_SLEEP_OFFSET], p[P_FEEDBACK] = 0.3, 600.0, -1.0, 1.0
    p[P_RH], p[P_VR], p[P_FEEDBACK_DECAY_H] = 45.0, 0.1, 3.0
    return p


def mixed_slots(rng: np.random.Generator) -> GuestSlots:
    """Guests with varied routines and preferences, some rooms vacant, mixed warm starts."""
    shape = (HOURS.size, N_ROOMS)
    s = GuestSlots.allocate(*shape)
    s.active[:] = rng.random(shape) < 0.8
    s.routine[:] = [
        rng.uniform(6.0, 9.0, shape),  # wake
        rng.uniform(8.0, 11.0, shape),  # out from
        rng.uniform(13.0, 19.0, shape),  # out until
        rng.uniform(21.5, 23.9, shape),  # sleep
    ]
    s.prefs[:] = [
        rng.uniform(20.0, 24.0, shape),
        rng.uniform(0.5, 2.0, shape),
        rng.uniform(100.0, 500.0, shape),
        rng.uniform(2700.0, 5000.0, shape),
        rng.uniform(0.5, 1.0, shape),
        rng.uniform(1.0, 1.4, shape),
    ]
    s.sat[:] = rng.uniform(0.3, 1.0, shape)
    s.acc[:] = rng.uniform(0.0, 5.0, s.acc.shape)
    s.feedback[:] = rng.uniform(-2.0, 2.0, s.feedback.shape)
    # Warm starts from far off (up to ~10 iterations), and some cold starts.
    s.tcl[:] = np.where(rng.random(shape) < 0.2, np.nan, rng.uniform(15.0, 40.0, shape))
    return s


def room_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = (HOURS.size, N_ROOMS)
    t_air = rng.uniform(16.0, 28.0, shape)
    return {
        "t_air": t_air,
        "t_op": t_air + rng.uniform(-1.5, 1.5, shape),
        "lux": rng.uniform(0.0, 900.0, shape),
        "cct": rng.uniform(2700.0, 6500.0, shape),
        "noise": rng.uniform(0.0, 0.3, shape),
    }


def scalar_pmv(s: GuestSlots, hour: np.ndarray, p: np.ndarray, inp, cold: bool = False):
    """Per guest, one ``pmv_point_warm`` call: expected states, PPD, tcl and iterations."""
    state = np.full(s.active.shape, VACANT)
    ppd = np.full(s.active.shape, np.nan)
    tcl = s.tcl.copy()
    iterations = []
    for e, r in np.ndindex(*s.active.shape):
        if s.active[e, r] == 0:
            continue
        state[e, r] = st = routine_state(hour[e], *s.routine[:, e, r])
        if st == OUT:
            continue
        clo, met = clothing_activity(st, hour[e], s.prefs[4, e, r], s.prefs[5, e, r])
        ta = inp["t_air"][e, r]
        args = (ta, 2.0 * inp["t_op"][e, r] - ta, p[P_VR], p[P_RH], met, clo, 0.0)
        guess = np.nan if cold else s.tcl[e, r]
        _, ppd[e, r], tcl[e, r] = pmv_point_warm(*args, guess)
        iterations.append(_pmv_core(*args, guess)[3])
    return state, ppd, tcl, np.array(iterations)


def test_kernel_pmv_equals_scalar_path_bit_for_bit() -> None:
    rng = np.random.default_rng(2024)
    p = params()
    s = mixed_slots(rng)
    inp = room_inputs(rng)
    # Some guesses already at the solution (a single iteration).
    _, _, tcl_solved, _ = scalar_pmv(s, HOURS, p, inp, cold=True)
    solved = (rng.random(s.tcl.shape) < 0.3) & np.isfinite(tcl_solved)
    s.tcl[solved] = tcl_solved[solved]
    for step in range(N_STEPS):
        hour = HOURS + step * DT_H
        if step > 0:  # conditions change in about half of the rooms
            new = room_inputs(rng)
            change = rng.random(s.tcl.shape) < 0.5
            inp = {key: np.where(change, new[key], inp[key]) for key in inp}
            s.tcl[rng.random(s.tcl.shape) < 0.1] = np.nan  # new arrivals start cold
        before = s.copy()
        state, ppd, tcl, iterations = scalar_pmv(before, hour, p, inp)
        present = (state == AWAKE) | (state == ASLEEP)

        # The case is the intended one: every state, a short last block, lanes that
        # converge after different numbers of iterations, warm and cold starts.
        assert set(np.unique(state).tolist()) == {VACANT, AWAKE, ASLEEP, OUT}
        assert present.sum() % _BLOCK != 0
        assert iterations.min() <= 2 and iterations.max() >= 6
        assert np.isnan(before.tcl[present]).any() and np.isfinite(before.tcl[present]).any()

        guest_step(
            hour, DT_H, p, s.active, s.routine, s.prefs, inp["t_air"], inp["t_op"], inp["lux"],
            inp["cct"], inp["noise"], s.state, s.sat, s.acc, s.tcl, s.feedback, s.ppd_now,
        )  # fmt: skip

        np.testing.assert_array_equal(s.state, state)
        # NaN where nobody is present; elsewhere bit for bit the scalar results.
        np.testing.assert_array_equal(s.ppd_now, ppd)
        np.testing.assert_array_equal(s.tcl, tcl)  # absent guests keep their warm start
        np.testing.assert_array_equal(s.acc[2], before.acc[2] + np.where(present, ppd, 0.0) * DT_H)
        np.testing.assert_array_equal(s.acc[3], before.acc[3] + np.where(present, DT_H, 0.0))


def test_comparison_sees_the_starting_point() -> None:
    """The check has teeth: a cold start (same tolerance) changes the results' bits."""
    rng = np.random.default_rng(2024)
    p = params()
    s = mixed_slots(rng)
    inp = room_inputs(rng)
    _, ppd_warm, tcl_warm, _ = scalar_pmv(s, HOURS, p, inp)
    _, ppd_cold, tcl_cold, _ = scalar_pmv(s, HOURS, p, inp, cold=True)
    present = np.isfinite(ppd_warm)
    warm_started = present & np.isfinite(s.tcl)
    assert (ppd_warm[warm_started] != ppd_cold[warm_started]).mean() > 0.5
    assert (tcl_warm[warm_started] != tcl_cold[warm_started]).mean() > 0.5
    np.testing.assert_allclose(ppd_warm[present], ppd_cold[present], atol=1.0)
