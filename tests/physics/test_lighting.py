"""Daylight-harvesting, tunable-white lighting kernel."""

from __future__ import annotations

import numpy as np

from twin.physics.kernels import lighting_step
from twin.physics.reference import lighting_numpy


def run(target, cct, daylight, max_lux=500.0, inst=200.0, fmin=0.1, cmin=2700.0, cmax=6500.0):
    n = np.size(target)

    def arr(v):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=float), (n,)))

    outs = [np.empty(n) for _ in range(4)]
    ins = [arr(v) for v in (target, cct, daylight, max_lux, inst, fmin, cmin, cmax)]
    lighting_step(*ins, *outs)
    return outs, ins


def test_kernel_matches_numpy_reference():
    rng = np.random.default_rng(0)
    n = 500
    outs, ins = run(
        rng.uniform(0, 800, n), rng.uniform(1500, 9000, n), rng.uniform(0, 900, n),
        rng.uniform(200, 800, n), rng.uniform(50, 500, n), rng.uniform(0, 0.3, n),
    )  # fmt: skip
    for got, want in zip(outs, lighting_numpy(*ins), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_daylight_harvesting_saves_power_and_meets_target():
    target = np.full(5, 400.0)
    daylight = np.array([0.0, 100.0, 300.0, 400.0, 900.0])
    (dim, lux, power, _), _ = run(target, 3000.0, daylight)
    np.testing.assert_allclose(lux[:4], 400.0)  # topped up exactly to the target
    assert lux[4] == 900.0  # daylight alone exceeds the target: lights off
    assert np.all(np.diff(power) <= 0) and power[-1] == 0.0 and power[-2] == 0.0
    np.testing.assert_allclose(dim[:3], (400.0 - daylight[:3]) / 500.0)
    # Power at 80 % dimming with a 10 % driver floor: 200 W * (0.1 + 0.9 * 0.8).
    assert power[0] == 200.0 * (0.1 + 0.9 * 0.8)


def test_colour_temperature_is_clamped_and_mixed_with_daylight():
    (_, _, _, cct), _ = run(np.full(3, 500.0), np.array([1800.0, 4000.0, 12000.0]), 0.0)
    np.testing.assert_allclose(cct, [2700.0, 4000.0, 6500.0])
    # Equal electric (2700 K) and daylight (6500 K) illuminance mixes in mired space.
    (_, _, _, cct), _ = run(np.array([500.0]), 2700.0, 250.0)
    expected = 1e6 / (0.5 * 1e6 / 2700.0 + 0.5 * 1e6 / 6500.0)
    np.testing.assert_allclose(cct, expected)
