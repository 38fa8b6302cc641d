"""Tests of the ISO 7730 PMV/PPD kernels in twin.physics.comfort.

Independent references, strongest first: the check table printed in ISO 7730:2005
(Table D.1), pythermalcomfort (test-only dependency), and our own plain-NumPy version.
Everything here must also pass with NUMBA_DISABLE_JIT=1, so sizes stay moderate.
"""

from __future__ import annotations

import itertools
import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.physics.comfort import (
    TCL_TOLERANCE,
    _newton,
    _pmv_core,
    _setup,
    pmv_point,
    pmv_point_warm,
    pmv_ppd,
    pmv_ppd_numpy,
    pmv_ppd_parallel,
    pmv_ppd_warm,
    pmv_ppd_warm_into,
    ppd_from_pmv,
)

# ISO 7730:2005 Annex D, Table D.1, as printed: ta (°C), tr (°C), var (m/s), RH (%),
# met, clo -> PMV, PPD (%). External work is 0 in every row.
ISO_7730_TABLE_D1 = [
    (22.0, 22.0, 0.10, 60.0, 1.2, 0.5, -0.75, 17.0),
    (27.0, 27.0, 0.10, 60.0, 1.2, 0.5, 0.77, 17.0),
    (27.0, 27.0, 0.30, 60.0, 1.2, 0.5, 0.44, 9.0),
    (23.5, 25.5, 0.10, 60.0, 1.2, 0.5, -0.01, 5.0),
    (23.5, 25.5, 0.30, 60.0, 1.2, 0.5, -0.55, 11.0),
    (19.0, 19.0, 0.10, 40.0, 1.2, 1.0, -0.60, 13.0),
    (23.5, 23.5, 0.10, 40.0, 1.2, 1.0, 0.50, 10.0),
    (23.5, 23.5, 0.30, 40.0, 1.2, 1.0, 0.12, 5.0),
    (23.0, 21.0, 0.10, 40.0, 1.2, 1.0, 0.05, 5.0),
    (23.0, 21.0, 0.30, 40.0, 1.2, 1.0, -0.16, 6.0),
    (22.0, 22.0, 0.10, 60.0, 1.6, 0.5, 0.05, 5.0),
    (27.0, 27.0, 0.10, 60.0, 1.6, 0.5, 1.17, 34.0),
    (27.0, 27.0, 0.30, 60.0, 1.6, 0.5, 0.95, 24.0),
]

# Row 7 cannot be reproduced by the Annex D program itself: it gives PMV 0.36 / PPD 7.7
# (as do pythermalcomfort and other open implementations, which skip this row). The
# printed 0.50 / 10 is taken to be a misprint in the table; strict xfail flags the day
# this row starts to pass, which would mean the algorithm changed.
_ROW7_REASON = (
    "ISO 7730:2005 Table D.1 row 7 (23.5/23.5 °C, 0.1 m/s, 40 %, 1.2 met, 1.0 clo) prints "
    "PMV 0.50 / PPD 10, but the standard's own Annex D program gives 0.36 / 7.7"
)


def _table_params() -> list:
    params = []
    for number, row in enumerate(ISO_7730_TABLE_D1, start=1):
        marks = [pytest.mark.xfail(strict=True, reason=_ROW7_REASON)] if number == 7 else []
        params.append(pytest.param(row, id=f"row{number:02d}", marks=marks))
    return params


# Tolerances the brief asks for, against the printed table.
TABLE_PMV_TOL = 0.1
TABLE_PPD_TOL = 1.0
# The table prints PMV to 2 decimals and PPD to whole percent: the kernel reproduces it to
# that precision too (observed worst case 0.0064 PMV, 0.49 PPD).
PRINTED_PMV_TOL = 0.01
PRINTED_PPD_TOL = 0.5

# A warm start stops the same iteration at a different point within the standard's
# tolerance (0.015 K on tcl); observed worst case over 2e5 random points: 0.011 PMV,
# 0.58 PPD (PPD is steep at large |PMV|).
WARM_PMV_TOL = 0.02
WARM_PPD_TOL = 1.0


def _random_inputs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Sensible indoor ranges; ``wme`` 0 (as in the table and for almost all occupants)."""
    return (
        rng.uniform(10.0, 35.0, n),  # ta, °C
        rng.uniform(10.0, 40.0, n),  # tr, °C
        rng.uniform(0.0, 1.0, n),  # vr, m/s
        rng.uniform(10.0, 90.0, n),  # rh, %
        rng.uniform(0.8, 3.0, n),  # met
        rng.uniform(0.0, 2.0, n),  # clo
        np.zeros(n),  # wme, met
    )


# ---------------------------------------------------------------- ISO 7730 Table D.1


@pytest.mark.parametrize("row", _table_params())
def test_scalar_reproduces_iso_7730_table_d1(row: tuple[float, ...]) -> None:
    *inputs, pmv_expected, ppd_expected = row
    pmv, ppd = pmv_point(*inputs, 0.0)
    assert abs(pmv - pmv_expected) <= TABLE_PMV_TOL
    assert abs(ppd - ppd_expected) <= TABLE_PPD_TOL


@pytest.mark.parametrize("row", _table_params())
def test_reproduces_iso_7730_table_d1_to_printed_precision(row: tuple[float, ...]) -> None:
    *inputs, pmv_expected, ppd_expected = row
    pmv, ppd = pmv_point(*inputs, 0.0)
    assert abs(pmv - pmv_expected) <= PRINTED_PMV_TOL
    assert abs(ppd - ppd_expected) <= PRINTED_PPD_TOL


def test_batched_kernels_reproduce_iso_7730_table_d1() -> None:
    rows = [r for number, r in enumerate(ISO_7730_TABLE_D1, start=1) if number != 7]
    table = np.array(rows)
    inputs = [np.ascontiguousarray(table[:, j]) for j in range(6)] + [np.zeros(len(rows))]
    for pmv, ppd in (pmv_ppd(*inputs), pmv_ppd_numpy(*inputs)):
        np.testing.assert_allclose(pmv, table[:, 6], rtol=0, atol=TABLE_PMV_TOL)
        np.testing.assert_allclose(ppd, table[:, 7], rtol=0, atol=TABLE_PPD_TOL)


# ---------------------------------------------------------------- pythermalcomfort


def _pythermalcomfort(*inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        from pythermalcomfort import models
    except ImportError:
        pytest.skip("pythermalcomfort (dev extra) is not installed")
    except AttributeError:
        # pythermalcomfort reads `.py_func` of its own jitted functions at import time,
        # which plain functions lack under NUMBA_DISABLE_JIT=1. Our no-JIT path is still
        # checked against Table D.1 and the NumPy reference.
        if numba.config.DISABLE_JIT:
            pytest.skip("pythermalcomfort cannot be imported with NUMBA_DISABLE_JIT=1")
        raise
    # pmv_ppd_iso takes the *relative* air speed `vr` and uses it as is (it does not
    # add activity-generated speed itself), so our vr is passed straight through.
    result = models.pmv_ppd_iso(*inputs, model="7730-2005", limit_inputs=False, round_output=False)
    return np.asarray(result.pmv, dtype=float), np.asarray(result.ppd, dtype=float)


def test_agrees_with_pythermalcomfort_on_random_inputs() -> None:
    inputs = _random_inputs(np.random.default_rng(7730), 300)
    pmv, ppd = pmv_ppd(*inputs)
    pmv_ref, ppd_ref = _pythermalcomfort(*inputs)
    assert np.all(np.isfinite(pmv_ref))
    # The brief's tolerance ...
    np.testing.assert_allclose(pmv, pmv_ref, rtol=0, atol=0.1)
    np.testing.assert_allclose(ppd, ppd_ref, rtol=0, atol=1.0)
    # ... and what actually holds: same algorithm, so agreement to rounding (~1e-13).
    np.testing.assert_allclose(pmv, pmv_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ppd, ppd_ref, rtol=0, atol=1e-8)


def test_agrees_with_pythermalcomfort_on_the_table_inputs_including_row_7() -> None:
    # Shows the row 7 mismatch is the printed table's, not ours.
    table = np.array(ISO_7730_TABLE_D1)
    inputs = [np.ascontiguousarray(table[:, j]) for j in range(6)] + [np.zeros(len(table))]
    pmv, ppd = pmv_ppd(*inputs)
    pmv_ref, ppd_ref = _pythermalcomfort(*inputs)
    np.testing.assert_allclose(pmv, pmv_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ppd, ppd_ref, rtol=0, atol=1e-8)


def test_out_of_range_inputs_are_computed_not_validated() -> None:
    # Outside ISO 7730's applicability limits (ta > 30 °C, vr > 1 m/s, met > 4, clo > 2,
    # external work): the kernel neither raises nor clips; the caller decides.
    inputs = tuple(
        np.array(v, dtype=float)
        for v in (
            [45.0, 5.0],
            [60.0, 0.0],
            [2.5, 0.0],
            [95.0, 5.0],
            [5.0, 0.7],
            [3.0, 0.0],
            [1.0, 0.0],
        )
    )
    pmv, ppd = pmv_ppd(*inputs)
    pmv_ref, ppd_ref = _pythermalcomfort(*inputs)
    assert np.all(np.isfinite(pmv))
    assert pmv[0] > 3.0 and pmv[1] < -3.0  # far beyond the sensation scale, not clipped
    np.testing.assert_allclose(pmv, pmv_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ppd, ppd_ref, rtol=0, atol=1e-8)


# ---------------------------------------------------------------- Numba vs NumPy


def test_numba_kernel_matches_numpy_reference() -> None:
    inputs = _random_inputs(np.random.default_rng(1), 2000)
    inputs = inputs[:6] + (np.random.default_rng(2).uniform(0.0, 0.5, 2000),)  # some work
    pmv, ppd = pmv_ppd(*inputs)
    pmv_ref, ppd_ref = pmv_ppd_numpy(*inputs)
    np.testing.assert_allclose(pmv, pmv_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ppd, ppd_ref, rtol=0, atol=1e-9)


def test_numpy_reference_broadcasts_and_keeps_shape() -> None:
    ta = np.array([[20.0, 22.0, 24.0], [26.0, 28.0, 30.0]])
    pmv, ppd = pmv_ppd_numpy(ta, 25.0, 0.1, 50.0, 1.2, 0.7)
    assert pmv.shape == ppd.shape == (2, 3)
    for (i, j), t in np.ndenumerate(ta):
        expected = pmv_point(t, 25.0, 0.1, 50.0, 1.2, 0.7, 0.0)
        assert pmv[i, j] == pytest.approx(expected[0], abs=1e-9)
        assert ppd[i, j] == pytest.approx(expected[1], abs=1e-9)


# ---------------------------------------------------------------- batched vs scalar


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1003])
def test_batched_equals_scalar_bit_for_bit(n: int) -> None:
    # Sizes around the lock-step block of 8 exercise the padded last block.
    rng = np.random.default_rng(n)
    inputs = _random_inputs(rng, n)
    guess = rng.uniform(0.0, 45.0, n)
    guess[::3] = np.nan  # mixed cold and warm lanes in one block
    pmv, ppd = pmv_ppd(*inputs)
    pmv_w, ppd_w, tcl_w = pmv_ppd_warm(*inputs, guess)
    pmv_p, ppd_p, tcl_p = pmv_ppd_parallel(*inputs, guess)
    for i in range(n):
        args = [float(a[i]) for a in inputs]
        assert (pmv[i], ppd[i]) == pmv_point(*args)
        assert (pmv_w[i], ppd_w[i], tcl_w[i]) == pmv_point_warm(*args, float(guess[i]))
    np.testing.assert_array_equal(pmv_p, pmv_w)
    np.testing.assert_array_equal(ppd_p, ppd_w)
    np.testing.assert_array_equal(tcl_p, tcl_w)


@pytest.mark.parametrize("n", [0, 1, 9, 203])
def test_warm_into_fills_slices_of_caller_buffers_bit_for_bit(n: int) -> None:
    # As an agent kernel uses it: inputs gathered into the first n columns of larger
    # buffers, results written into rows of another; nothing beyond n is touched.
    rng = np.random.default_rng(100 + n)
    inputs = _random_inputs(rng, n)
    guess = rng.uniform(0.0, 45.0, n)
    guess[::4] = np.nan
    lanes = np.full((8, n + 5), -1.0)
    for row, values in enumerate((*inputs, guess)):
        lanes[row, :n] = values
    out = np.full((3, n + 5), -7.0)
    pmv_ppd_warm_into(*(lanes[row, :n] for row in range(8)), out[0, :n], out[1, :n], out[2, :n])
    for got, expected in zip(out[:, :n], pmv_ppd_warm(*inputs, guess), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert (out[:, n:] == -7.0).all()


def test_batched_kernels_do_not_modify_inputs() -> None:
    inputs = _random_inputs(np.random.default_rng(3), 50)
    guess = np.full(50, 30.0)
    copies = [a.copy() for a in (*inputs, guess)]
    pmv_ppd(*inputs)
    pmv_ppd_warm(*inputs, guess)
    pmv_ppd_parallel(*inputs, guess)
    pmv_ppd_warm_into(*inputs, guess, np.empty(50), np.empty(50), np.empty(50))
    pmv_ppd_numpy(*inputs)
    for before, after in zip(copies, (*inputs, guess), strict=True):
        np.testing.assert_array_equal(before, after)


def test_nan_input_gives_nan_only_in_its_own_lane() -> None:
    # NaN never meets the tolerance, so this also exercises the iteration cap path.
    inputs = _random_inputs(np.random.default_rng(4), 11)
    inputs[0][5] = np.nan
    pmv, ppd = pmv_ppd(*inputs)
    pmv_ref, ppd_ref = pmv_ppd_numpy(*inputs)
    expected_nan = np.arange(11) == 5
    for values in (pmv, ppd, pmv_ref, ppd_ref):
        np.testing.assert_array_equal(np.isnan(values), expected_nan)
    np.testing.assert_allclose(pmv[~expected_nan], pmv_ref[~expected_nan], rtol=0, atol=1e-9)
    _, _, _, iterations = _pmv_core(math.nan, 22.0, 0.1, 50.0, 1.2, 0.5, 0.0, math.nan)
    assert iterations == 150


# ---------------------------------------------------------------- warm start


def test_warm_start_with_nan_guess_is_exactly_the_cold_start() -> None:
    for row in ISO_7730_TABLE_D1:
        inputs = row[:6]
        pmv, ppd, tcl = pmv_point_warm(*inputs, 0.0, math.nan)
        assert (pmv, ppd) == pmv_point(*inputs, 0.0)
        assert 20.0 < tcl < 36.0  # a clothing surface temperature, °C


def test_warm_start_from_any_guess_agrees_with_cold_start() -> None:
    rng = np.random.default_rng(11)
    inputs = _random_inputs(rng, 2000)
    guess = rng.uniform(-20.0, 60.0, 2000)  # deliberately poor guesses
    pmv, ppd = pmv_ppd(*inputs)
    pmv_w, ppd_w, tcl_w = pmv_ppd_warm(*inputs, guess)
    np.testing.assert_allclose(pmv_w, pmv, rtol=0, atol=WARM_PMV_TOL)
    np.testing.assert_allclose(ppd_w, ppd, rtol=0, atol=WARM_PPD_TOL)
    # The clothing surface lies between the skin (Annex D: 35.7 - 0.028 (M - W) °C) and
    # the surroundings.
    t_skin = 35.7 - 0.028 * inputs[4] * 58.15
    lower = np.minimum(t_skin, np.minimum(inputs[0], inputs[1])) - 0.1
    upper = np.maximum(t_skin, np.maximum(inputs[0], inputs[1])) + 0.1
    assert np.all((tcl_w > lower) & (tcl_w < upper))


def test_warm_start_tracks_a_time_series_with_far_fewer_iterations() -> None:
    rng = np.random.default_rng(12)
    n, steps = 64, 40
    ta, tr, vr, rh, met, clo, wme = _random_inputs(rng, n)
    tcl = np.full(n, np.nan)
    iterations_cold = iterations_warm = 0
    for _ in range(steps):
        ta = ta + rng.uniform(-0.2, 0.2, n)  # a slowly drifting room, one step at a time
        tr = tr + rng.uniform(-0.2, 0.2, n)
        rh = np.clip(rh + rng.uniform(-1.0, 1.0, n), 10.0, 90.0)
        pmv, ppd = pmv_ppd(ta, tr, vr, rh, met, clo, wme)
        previous = tcl
        pmv_w, ppd_w, tcl = pmv_ppd_warm(ta, tr, vr, rh, met, clo, wme, previous)
        np.testing.assert_allclose(pmv_w, pmv, rtol=0, atol=WARM_PMV_TOL)
        np.testing.assert_allclose(ppd_w, ppd, rtol=0, atol=WARM_PPD_TOL)
        for i in range(n):
            args = (ta[i], tr[i], vr[i], rh[i], met[i], clo[i], wme[i])
            iterations_cold += _pmv_core(*args, math.nan)[3]
            iterations_warm += _pmv_core(*args, previous[i])[3]
    # Observed: ~10 iterations per cold start, ~2 per warm start.
    assert iterations_warm < 0.4 * iterations_cold


def test_warm_start_newton_steps_converge_quadratically() -> None:
    """A wrong slope in the Newton step would still converge, but only linearly."""
    rng = np.random.default_rng(13)
    inputs = _random_inputs(rng, 300)
    guess = rng.uniform(-5.0, 5.0, 300)  # K off the converged clothing temperature
    checked = 0
    for i in range(300):
        args = tuple(float(a[i]) for a in inputs)
        _, _, tcl, _ = _pmv_core(*args, math.nan)
        _, _, _, _, hcf, taa, _, p2, p3, p4, p5, _ = _setup(*args)
        x = (tcl + guess[i] + 273.0) / 100.0
        steps = []
        for _ in range(4):
            x_new, _ = _newton(x, hcf, taa, p2, p3, p4, p5)
            steps.append(abs(x_new - x))
            x = x_new
        # Each step's size bounds the previous step's error; quadratic convergence
        # squares it (up to a constant) until rounding takes over.
        for a, b in itertools.pairwise(steps):
            if a > 1e-6:
                assert b <= 50.0 * a * a + 1e-13, (i, steps)
                checked += 1
        # Converged to the root the damped iteration approaches, within its tolerance.
        assert abs(100.0 * x - 273.0 - tcl) <= 100.0 * TCL_TOLERANCE
    assert checked > 300


# ---------------------------------------------------------------- PPD and properties


def test_ppd_of_pmv_matches_known_values() -> None:
    # PPD = 100 - 95 exp(-0.03353 PMV^4 - 0.2179 PMV^2): 5 % at neutral, ~26 % at +-1,
    # ~77 % at +-2 (ISO 7730:2005, Figure 1).
    assert ppd_from_pmv(0.0) == 5.0
    for pmv, expected in ((0.5, 10.2), (1.0, 26.1), (2.0, 76.8), (3.0, 99.1)):
        assert ppd_from_pmv(pmv) == pytest.approx(expected, abs=0.05)
        assert ppd_from_pmv(-pmv) == pytest.approx(expected, abs=0.05)


@settings(max_examples=200, deadline=None)
@given(pmv=st.floats(-10.0, 10.0))
def test_ppd_is_symmetric_bounded_and_grows_with_distance_from_neutral(pmv: float) -> None:
    ppd = ppd_from_pmv(pmv)
    assert ppd_from_pmv(-pmv) == ppd
    assert 5.0 <= ppd <= 100.0
    if abs(pmv) > 1e-3:
        assert ppd > ppd_from_pmv(0.5 * pmv)


@settings(max_examples=200, deadline=None)
@given(
    ta=st.floats(10.0, 33.0),
    dta=st.floats(1.0, 5.0),
    tr=st.floats(10.0, 40.0),
    vr=st.floats(0.0, 1.0),
    rh=st.floats(10.0, 90.0),
    met=st.floats(0.8, 3.0),
    clo=st.floats(0.0, 2.0),
)
def test_pmv_increases_with_air_temperature(
    ta: float, dta: float, tr: float, vr: float, rh: float, met: float, clo: float
) -> None:
    # Steps of >= 1 K: PMV rises by >= ~0.1 per K here, well above the ~0.01 that the
    # iteration tolerance can move it, so the comparison is strict and robust.
    pmv_lo, ppd_lo = pmv_point(ta, tr, vr, rh, met, clo, 0.0)
    pmv_hi, ppd_hi = pmv_point(ta + dta, tr, vr, rh, met, clo, 0.0)
    assert pmv_hi > pmv_lo
    assert 5.0 <= ppd_lo <= 100.0 and 5.0 <= ppd_hi <= 100.0
    assert ppd_lo == ppd_from_pmv(pmv_lo)


@settings(max_examples=100, deadline=None)
@given(
    ta=st.floats(10.0, 35.0),
    tr=st.floats(10.0, 40.0),
    vr=st.floats(0.0, 1.0),
    rh=st.floats(10.0, 90.0),
    met=st.floats(0.8, 3.0),
    clo=st.floats(0.0, 2.0),
    guess=st.floats(-20.0, 60.0),
)
def test_warm_start_property(
    ta: float, tr: float, vr: float, rh: float, met: float, clo: float, guess: float
) -> None:
    pmv, ppd = pmv_point(ta, tr, vr, rh, met, clo, 0.0)
    pmv_w, ppd_w, _ = pmv_point_warm(ta, tr, vr, rh, met, clo, 0.0, guess)
    assert abs(pmv_w - pmv) <= WARM_PMV_TOL
    assert abs(ppd_w - ppd) <= WARM_PPD_TOL


def test_parallel_kernel_covers_every_chunk() -> None:
    # More than one 4096-occupant chunk, the last one partial.
    rng = np.random.default_rng(13)
    n = 2 * 4096 + 13
    inputs = _random_inputs(rng, n)
    guess = np.where(rng.random(n) < 0.5, np.nan, rng.uniform(20.0, 35.0, n))
    expected = pmv_ppd_warm(*inputs, guess)
    result = pmv_ppd_parallel(*inputs, guess)
    for r, e in zip(result, expected, strict=True):
        np.testing.assert_array_equal(r, e)
    assert np.all(np.isfinite(result[0]))
