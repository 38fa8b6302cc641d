"""The guests' per-step update: the Numba kernel against the Mesa agents, and by hand.

:func:`agents.hotel.guest_kernel.guest_step` (batched over slots, what the World runs)
and :func:`agents.hotel.reference.guest_step_reference` (one Mesa agent in plain Python)
must perform the same update. They are compared on a realistic state: a small hotel run
for a day and a half under the rule-based policy, with room conditions and feedback draws
chosen so that guests are asleep, awake, out and complaining. The routine and the
satisfaction memory are checked against hand computations. Everything here also passes
(and stays fast) with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

import agents.hotel.reference as guest_module
from agents.hotel.guest_kernel import guest_step
from agents.hotel.reference import guest_step_reference
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
from policies import make_policy
from twin.scenario import load_scenario
from twin.venues.hotel.task import HotelTask
from twin.world import World

from ..conftest import SCENARIOS

#: Slot arrays the update writes, compared between the two paths.
UPDATED = ("state", "sat", "acc", "tcl", "feedback", "ppd_now")
TOL = 1e-9
#: Local hours the update is compared at: night, early and late morning, midday,
#: evening (lighter clothes) and bedtime.
HOURS = (2.0, 6.75, 8.25, 13.0, 20.5, 23.25)
WARMUP_STEPS = 150  # 37.5 h of 15-minute steps: check-outs, arrivals, a night behind


@pytest.fixture(scope="module")
def world() -> World:
    """Two copies of the small hotel after a day and a half under the rule-based policy."""
    w = World(load_scenario(SCENARIOS / "hotel_small.toml"), n_envs=2)
    w.reset([11, 12])
    task = HotelTask(w, personal_data=True)
    policy = make_policy("rule_based", task)
    for _ in range(WARMUP_STEPS):
        obs, known = task.observe()
        action, _ = policy.predict(obs)
        w.step(task.decode(action), disclosed=known)
    s = w.venue.slots
    # A realistic mix: guests in both copies, some rooms vacant with a departed guest's
    # feedback still decaying, warm-started clothing temperatures, varied satisfaction.
    assert (s.active == 1).sum(axis=1).min() >= 3
    assert (s.active == 0).any()
    assert np.isfinite(s.tcl[s.active == 1]).any()
    return w


def room_inputs(n_envs: int, n_rooms: int, seed: int) -> dict[str, np.ndarray]:
    """Room conditions from too cold to too warm, dark to bright, and feedback draws."""
    rng = np.random.default_rng(seed)
    shape = (n_envs, n_rooms)
    t_air = rng.uniform(16.0, 28.0, shape)
    return {
        "t_air": t_air,
        "t_op": t_air + rng.uniform(-1.5, 1.5, shape),
        "lux": rng.uniform(0.0, 900.0, shape),
        "cct": rng.uniform(2700.0, 6500.0, shape),
        # Feedback chances per 15-minute step are at most ~0.22 here: draws below 0.3
        # make about half the awake guests complain.
        "noise": rng.uniform(0.0, 0.3, shape),
    }


def kernel_update(
    slots: GuestSlots, hour: float, dt_h: float, p: np.ndarray, inp: dict[str, np.ndarray]
) -> None:
    """One update of every slot of every environment by the Numba kernel."""
    ne = slots.active.shape[0]
    guest_step(
        np.full(ne, hour), dt_h, p, slots.active, slots.routine, slots.prefs,
        inp["t_air"], inp["t_op"], inp["lux"], inp["cct"], inp["noise"], slots.state,
        slots.sat, slots.acc, slots.tcl, slots.feedback, slots.ppd_now,
    )  # fmt: skip


def mesa_update(
    world: World, slots: GuestSlots, hour: float, inp: dict[str, np.ndarray]
) -> set[tuple[int, int]]:
    """One update by the Mesa agents of every copy, on ``slots``; the slots they cover."""
    covered = set()
    for e, model in enumerate(world.venue.hotels):
        saved = model.slots
        model.slots = slots
        step_inputs = {
            "hour": hour,
            "dt_h": world.dt_h,
            "p": world.venue.params,
            **{key: value[e] for key, value in inp.items()},
        }
        try:
            model.agents.do(guest_step_reference, step_inputs)
        finally:
            model.slots = saved
        covered |= {(e, agent.slot) for agent in model.agents}
    return covered


def max_mismatch(a: GuestSlots, b: GuestSlots, mask: np.ndarray) -> dict[str, float]:
    """Largest difference per updated array over the slots in ``mask`` (NaN == NaN)."""
    out = {}
    for name in UPDATED:
        x = getattr(a, name)[..., mask].astype(np.float64)
        y = getattr(b, name)[..., mask].astype(np.float64)
        both_nan = np.isnan(x) & np.isnan(y)
        diff = np.where(both_nan, 0.0, np.abs(x - y))
        out[name] = float(np.nan_to_num(diff, nan=np.inf).max(initial=0.0))
    return out


def compare(world: World, hour: float, seed: int):
    """Apply one update both ways to copies of the World's slots; return both results."""
    before = world.venue.slots.copy()
    inp = room_inputs(*before.active.shape, seed=seed)
    by_kernel, by_mesa = before.copy(), before.copy()
    kernel_update(by_kernel, hour, world.dt_h, world.venue.params, inp)
    covered = mesa_update(world, by_mesa, hour, inp)
    return before, by_kernel, by_mesa, covered


@pytest.mark.parametrize("hour", HOURS)
def test_kernel_equals_mesa_agents(world: World, hour: float) -> None:
    before, by_kernel, by_mesa, covered = compare(world, hour, seed=int(hour * 100))
    active = before.active == 1
    # The agents are exactly the checked-in guests of their own copy.
    assert covered == set(zip(*np.nonzero(active), strict=True))
    mismatch = max_mismatch(by_kernel, by_mesa, active)
    assert all(v <= TOL for v in mismatch.values()), mismatch
    # Both paths updated something: the comparison is not between two no-ops.
    assert not np.array_equal(by_kernel.acc[:, active], before.acc[:, active])


def test_comparison_covers_every_state_and_feedback(world: World) -> None:
    """Over the compared hours, guests sleep, are awake, go out and complain both ways."""
    states, raised = set(), {0: 0, 1: 0}
    for hour in HOURS:
        before, by_kernel, _, _ = compare(world, hour, seed=int(hour * 100))
        active = before.active == 1
        states |= set(np.unique(by_kernel.state[active]).tolist())
        decay = math.exp(-world.dt_h / world.venue.params[P_FEEDBACK_DECAY_H])
        jump = by_kernel.feedback - decay * before.feedback
        for kind in (0, 1):
            raised[kind] += int((np.abs(jump[kind][active]) > 0.5).sum())
        awake = by_kernel.state == AWAKE
        # Complaints only come from awake guests; the others never complain.
        assert np.allclose(jump[:, ~awake], 0.0, atol=1e-12)
        if awake.any():  # and some awake guests stay quiet
            assert (np.abs(jump[:, awake]).max(axis=0) < 0.5).any()
    assert states == {AWAKE, ASLEEP, OUT}
    assert raised[0] > 0 and raised[1] > 0, raised


def test_vacant_slots(world: World) -> None:
    """Vacant rooms: the kernel marks them; Mesa has no agent there; both leave them clean.

    Check-out clears the room's feedback (a departed guest's complaints must not reach the
    policy as the room's), so the kernel's decay of vacant slots and the Mesa path (which
    has no agent there) agree: the one place the paths could differ holds only zeros.
    """
    for hour in (2.0, 13.0, 20.5):
        before, by_kernel, by_mesa, _ = compare(world, hour, seed=7)
        vacant = before.active == 0
        assert vacant.any()
        assert np.abs(before.feedback[:, vacant]).max() == 0.0  # cleared at check-out
        np.testing.assert_array_equal(by_kernel.feedback[:, vacant], by_mesa.feedback[:, vacant])
        decay = math.exp(-world.dt_h / world.venue.params[P_FEEDBACK_DECAY_H])
        assert (by_kernel.state[vacant] == VACANT).all()
        assert np.isnan(by_kernel.ppd_now[vacant]).all()
        np.testing.assert_allclose(
            by_kernel.feedback[:, vacant], decay * before.feedback[:, vacant], rtol=1e-12
        )
        for name in ("sat", "acc", "tcl"):
            np.testing.assert_array_equal(
                getattr(by_kernel, name)[..., vacant], getattr(before, name)[..., vacant]
            )
        # The Mesa path does not touch any slot it has no agent for.
        for f in fields(GuestSlots):
            if getattr(before, f.name).shape[-2:] != vacant.shape:
                continue  # per environment, not per slot (at_desk)
            np.testing.assert_array_equal(
                getattr(by_mesa, f.name)[..., vacant], getattr(before, f.name)[..., vacant]
            )
        # Slots that are not updated at all are identical in both paths.
        for name in ("active", "routine", "prefs", "party", "segment", "guest_id"):
            np.testing.assert_array_equal(getattr(by_kernel, name), getattr(by_mesa, name))


def test_comparison_catches_a_different_feedback_rule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check has teeth: flip the direction of thermal complaints in the Mesa path."""

    original = guest_module._comfort_score

    def flipped(*args):
        score, dt_err, dl_err = original(*args)
        return score, -dt_err, dl_err

    monkeypatch.setattr(guest_module, "_comfort_score", flipped)
    before, by_kernel, by_mesa, _ = compare(world, 20.5, seed=2050)
    mismatch = max_mismatch(by_kernel, by_mesa, before.active == 1)
    assert mismatch["feedback"] > 0.5  # caught, and only there
    assert all(v <= TOL for k, v in mismatch.items() if k != "feedback"), mismatch


# ---------------------------------------------------------------------- by hand
WAKE, OUT_START, OUT_END, SLEEP = 7.0, 9.0, 17.0, 23.0


def hand_params() -> np.ndarray:
    p = np.zeros(N_PARAMS)
    p[P_MEMORY_H], p[P_W_T], p[P_W_L], p[P_W_C] = 10.0, 0.6, 0.25, 0.15
    p[P_LUX_TOL], p[P_CCT_TOL], p[P_SLEEP_OFFSET], p[P_FEEDBACK] = 0.3, 600.0, -1.0, 1.0
    p[P_RH], p[P_VR], p[P_FEEDBACK_DECAY_H] = 45.0, 0.1, 3.0
    return p


def hand_slots(ne: int, n_rooms: int = 1) -> GuestSlots:
    """Checked-in guests with one routine: up at 7, out 9-17, asleep from 23."""
    s = GuestSlots.allocate(ne, n_rooms)
    s.active[:] = 1
    s.routine[:] = np.array([WAKE, OUT_START, OUT_END, SLEEP])[:, None, None]
    # Preferred 22 degC +-1 K, 300 lx, 3500 K, 0.8 clo, 1.2 met.
    s.prefs[:] = np.array([22.0, 1.0, 300.0, 3500.0, 0.8, 1.2])[:, None, None]
    s.sat[:] = 0.8
    return s


def step_hand(s: GuestSlots, hour, dt_h, p, t_op, lux, cct, noise=1.0) -> None:
    ne, nr = s.active.shape
    full = lambda v: np.full((ne, nr), float(v))  # noqa: E731
    guest_step(
        np.broadcast_to(np.asarray(hour, float), (ne,)).copy(), dt_h, p, s.active, s.routine,
        s.prefs, full(t_op), full(t_op), full(lux), full(cct), full(noise), s.state, s.sat,
        s.acc, s.tcl, s.feedback, s.ppd_now,
    )  # fmt: skip


def test_routine_states() -> None:
    """ASLEEP before waking and from bedtime, OUT in the out hours, AWAKE otherwise."""
    expected = {
        0.0: ASLEEP, 2.0: ASLEEP, 6.99: ASLEEP, 7.0: AWAKE, 8.5: AWAKE, 8.99: AWAKE,
        9.0: OUT, 12.0: OUT, 16.99: OUT, 17.0: AWAKE, 20.0: AWAKE, 22.99: AWAKE,
        23.0: ASLEEP, 23.75: ASLEEP,
    }  # fmt: skip
    hours = np.array(list(expected))
    # One environment per hour, plus a vacant second room in each.
    s = hand_slots(len(hours), n_rooms=2)
    s.active[:, 1] = 0
    step_hand(s, hours, 0.25, hand_params(), t_op=22.0, lux=300.0, cct=3500.0)
    np.testing.assert_array_equal(s.state[:, 0], list(expected.values()))
    assert (s.state[:, 1] == VACANT).all()
    present = s.state[:, 0] != OUT
    assert np.isfinite(s.ppd_now[present, 0]).all() and np.isnan(s.ppd_now[~present, 0]).all()
    # In-house hours count for everyone checked in; present hours only when not out.
    np.testing.assert_allclose(s.acc[1, :, 0], 0.25)
    np.testing.assert_allclose(s.acc[3, :, 0], 0.25 * present)


def hand_score_awake(p, t_op, lux, cct) -> float:
    """ISO-free comfort score of the satisfaction model, written out by hand."""
    s_t = math.exp(-0.5 * ((22.0 - t_op) / 1.0) ** 2)
    s_l = math.exp(-0.5 * ((300.0 - lux) / (p[P_LUX_TOL] * 300.0)) ** 2)
    s_c = math.exp(-0.5 * ((3500.0 - cct) / p[P_CCT_TOL]) ** 2)
    return (p[P_W_T] * s_t + p[P_W_L] * s_l + p[P_W_C] * s_c) / (p[P_W_T] + p[P_W_L] + p[P_W_C])


@pytest.mark.parametrize(
    ("hour", "t_op", "lux", "cct", "score"),
    [
        # Awake: 1 K too cold (one tolerance), light as preferred, colour one tolerance off.
        (8.5, 21.0, 300.0, 4100.0, (0.6 * math.exp(-0.5) + 0.25 + 0.15 * math.exp(-0.5))),
        # Asleep: 1 K above the sleep target (22 - 1), 30 lx (the dark tolerance).
        (3.0, 22.0, 30.0, 3500.0, (0.6 * math.exp(-0.5) + 0.25 * math.exp(-0.5)) / 0.85),
    ],
)
def test_satisfaction_memory(hour, t_op, lux, cct, score) -> None:
    """Under constant conditions the gap to the comfort score shrinks by 1/e per memory_h."""
    p = hand_params()
    dt_h = 0.25
    n = int(round(p[P_MEMORY_H] / dt_h))  # one memory time constant
    s = hand_slots(1)
    sat0 = float(s.sat[0, 0])
    s.feedback[:] = 1.0
    sats = [sat0]
    for _ in range(n):
        step_hand(s, hour, dt_h, p, t_op, lux, cct)
        sats.append(float(s.sat[0, 0]))
    if hour > WAKE:
        assert score == pytest.approx(hand_score_awake(p, t_op, lux, cct), rel=1e-12)
    gap0, gap = sat0 - score, sats[-1] - score
    assert gap / gap0 == pytest.approx(math.exp(-1.0), rel=1e-9)
    # Monotone approach, and every step is the same exponential decay of the gap.
    ratios = (np.array(sats[1:]) - score) / (np.array(sats[:-1]) - score)
    np.testing.assert_allclose(ratios, math.exp(-dt_h / p[P_MEMORY_H]), rtol=1e-9)
    # Satisfaction-hours add the satisfaction at the start of every step.
    assert s.acc[0, 0, 0] == pytest.approx(dt_h * sum(sats[:-1]), rel=1e-12)
    assert s.acc[1, 0, 0] == pytest.approx(p[P_MEMORY_H], rel=1e-12)
    # Noise 1.0 never triggers feedback; the old feedback decays with its own constant.
    expected_fb = math.exp(-p[P_MEMORY_H] / p[P_FEEDBACK_DECAY_H])
    np.testing.assert_allclose(s.feedback[:, 0, 0], expected_fb, rtol=1e-9)


def test_feedback_rule_by_hand() -> None:
    """An awake guest 2 K too cold complains 'warmer' exactly when the draw is below the chance."""
    p = hand_params()
    dt_h = 0.25
    t_op, lux, cct = 20.0, 300.0, 3500.0  # only the temperature is off
    score = hand_score_awake(p, t_op, lux, cct)
    chance = 1.0 - math.exp(-p[P_FEEDBACK] * dt_h * (1.0 - score))
    results = {}
    for label, noise in (("below", chance - 1e-9), ("above", chance + 1e-9)):
        s = hand_slots(1)
        step_hand(s, 8.5, dt_h, p, t_op, lux, cct, noise=noise)
        results[label] = s.feedback[:, 0, 0].copy()
    np.testing.assert_array_equal(results["below"], [1.0, 0.0])
    np.testing.assert_array_equal(results["above"], [0.0, 0.0])
    # Too bright instead: the light error is now the larger relative one -> 'dimmer'.
    s = hand_slots(1)
    step_hand(s, 8.5, dt_h, p, t_op=22.3, lux=600.0, cct=3500.0, noise=0.0)
    np.testing.assert_array_equal(s.feedback[:, 0, 0], [0.0, -1.0])
