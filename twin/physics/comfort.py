"""ISO 7730:2005 PMV/PPD thermal-comfort kernels, batched in Numba.

The product scores comfort for every occupant (guest, shopper, resident) at every
simulation step, so PMV is evaluated millions of times per episode: once per occupant
per step, each with its own metabolic rate and clothing. These kernels follow the
BASIC program of ISO 7730:2005 Annex D line by line (same constants, same damped
fixed-point iteration for the clothing surface temperature, same tolerance and iteration
cap) and run it over 1-D float64 struct-of-arrays. Warm starts solve the same heat
balance for the clothing temperature by Newton's method instead (see
:func:`pmv_point_warm`).

Everything is built from three small Numba helpers (set-up, one iteration step,
heat balance), so the entry points cannot drift apart:

* :func:`pmv_point` and :func:`pmv_point_warm` evaluate one occupant. The warm variant
  starts from a caller-supplied clothing temperature (typically the previous step's
  result) and takes Newton steps on the heat balance: two steps where the damped
  iteration from the same guess takes four to five (and a cold start about ten).
* :func:`pmv_ppd` and :func:`pmv_ppd_warm` evaluate arrays of occupants, with results
  bit-identical to :func:`pmv_point` / :func:`pmv_point_warm`. Warm starts take their
  Newton steps in sweeps over all occupants that LLVM vectorises; cold starts iterate
  in small blocks in lock-step (a lane stops once converged), so independent
  iterations overlap (~3x the throughput of a plain loop). :func:`pmv_ppd_parallel`
  spreads spans of occupants over threads, and :func:`pmv_ppd_warm_into` writes into
  caller-provided arrays (for agent kernels that gather the occupants to score each
  step).
* :func:`pmv_ppd_numpy` is an independent plain-NumPy version of the same algorithm
  (all points iterated together under a convergence mask), used as the reference in
  tests and benchmarks.

The kernels are pure: no validation, no globals other than constants, no RNG. Inputs
outside the ISO 7730 applicability ranges are computed anyway; a point whose iteration
does not converge within the standard's cap returns NaN (the standard's program prints
an error instead). Checking ranges is the caller's job.

Units used throughout: temperatures in °C, relative air speed in m/s (air speed relative
to the body, i.e. including activity-generated air movement), relative humidity in %,
metabolic rate and external work in met (1 met = 58.15 W/m²), clothing insulation in clo
(1 clo = 0.155 m²·K/W). PMV is dimensionless on the -3..+3 sensation scale; PPD is a
percentage in [5, 100].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

from twin.physics.vexp import exp

__all__ = [
    "pmv_point",
    "pmv_point_warm",
    "pmv_ppd",
    "pmv_ppd_numpy",
    "pmv_ppd_parallel",
    "pmv_ppd_warm",
    "pmv_ppd_warm_into",
    "ppd_from_pmv",
]

#: W/m² per met (ISO 7730:2005, 3.3).
MET_TO_W_M2 = 58.15
#: m²·K/W per clo (ISO 7730:2005, 3.4).
CLO_TO_M2K_W = 0.155
#: Convergence tolerance of the clothing-temperature iteration, in units of 100 K
#: (Annex D, ``EPS = .00015``; i.e. 0.015 K on the clothing surface temperature).
TCL_TOLERANCE = 0.00015
#: Iteration cap of Annex D (``IF N > 150 THEN`` error).
TCL_MAX_ITERATIONS = 150


@njit(cache=True, inline="always", error_model="numpy")
def ppd_from_pmv(pmv: float) -> float:
    """Predicted percentage dissatisfied for a predicted mean vote (ISO 7730:2005, eq. 5).

    Args:
        pmv: Predicted mean vote, -.

    Returns:
        PPD in %, between 5 (at PMV 0) and 100; NaN for NaN.

    Example:
        >>> round(ppd_from_pmv(1.0), 1), round(ppd_from_pmv(-1.0), 1)
        (26.1, 26.1)
    """
    pmv2 = pmv * pmv
    return 100.0 - 95.0 * exp(-0.03353 * pmv2 * pmv2 - 0.2179 * pmv2)


@njit(cache=True, inline="always", error_model="numpy")
def _vapour_pressure(ta: float, rh: float) -> float:
    """Water vapour partial pressure (Pa) at air temperature ``ta`` (°C), ``rh`` (%)."""
    return rh * 10.0 * exp(16.6536 - 4030.183 / (ta + 235.0))


@njit(cache=True, inline="always", error_model="numpy")
def _constants(
    pa: float, ta: float, tr: float, vr: float, met: float, clo: float, wme: float
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """:func:`_setup` given the vapour pressure ``pa`` (Pa)."""
    icl = CLO_TO_M2K_W * clo
    m = met * MET_TO_W_M2
    mw = m - wme * MET_TO_W_M2
    fcl = 1.0 + 1.29 * icl if icl <= 0.078 else 1.05 + 0.645 * icl
    hcf = 12.1 * math.sqrt(vr)
    taa = ta + 273.0
    tra4 = ((tr + 273.0) / 100.0) ** 4
    p1 = icl * fcl
    p2 = p1 * 3.96
    p3 = p1 * 100.0
    p4 = p1 * taa
    p5 = 308.7 - 0.028 * mw + p2 * tra4
    tcla = taa + (35.5 - ta) / (3.5 * (6.45 * icl + 0.1))
    return pa, m, mw, fcl, hcf, taa, tra4, p2, p3, p4, p5, tcla


@njit(cache=True, error_model="numpy")
def _setup(
    ta: float, tr: float, vr: float, rh: float, met: float, clo: float, wme: float
) -> tuple[float, float, float, float, float, float, float, float, float, float, float, float]:
    """Per-occupant constants of Annex D, everything before the clothing iteration.

    Returns:
        ``(pa, m, mw, fcl, hcf, taa, tra4, p2, p3, p4, p5, tcla)`` with the names of the
        standard's program: vapour pressure (Pa), metabolic rate and internal heat
        production (W/m²), clothing area factor (-), forced-convection coefficient
        (W/m²K), air temperature (K), ``(tr_K / 100) ** 4``, the iteration coefficients
        ``P2..P5`` and the cold-start clothing temperature ``TCLA`` (K).
    """
    return _constants(_vapour_pressure(ta, rh), ta, tr, vr, met, clo, wme)


@njit(cache=True, error_model="numpy")
def _step(
    xf: float, xn: float, hcf: float, taa: float, p2: float, p3: float, p4: float, p5: float
) -> tuple[float, float, float]:
    """One damped fixed-point step of Annex D for ``XN = (tcl + 273) / 100``.

    Returns:
        ``(xf, xn, hc)``: the damped point, the new iterate and the convective heat
        transfer coefficient (W/m²K) used for it. Converged when ``|xn - xf| <= EPS``.
    """
    xf = (xf + xn) * 0.5
    # 2.38 * |tcl - ta| ** 0.25 as two square roots: same value, far cheaper than pow.
    hcn = 2.38 * math.sqrt(math.sqrt(abs(100.0 * xf - taa)))
    hc = hcf if hcf > hcn else hcn
    xf2 = xf * xf
    xn = (p5 + p4 * hc - p2 * xf2 * xf2) / (100.0 + p3 * hc)
    return xf, xn, hc


@njit(cache=True, inline="always", error_model="numpy")
def _newton(
    x: float, hcf: float, taa: float, p2: float, p3: float, p4: float, p5: float
) -> tuple[float, float]:
    """One Newton step on Annex D's clothing heat balance for ``x = (tcl + 273) / 100``.

    The damped iteration's fixed point is the root of
    ``F(x) = x (100 + P3 hc) - P5 - P4 hc + P2 x^4`` with
    ``hc = max(HCF, 2.38 |100 x - TAA|^0.25)``. Its slope is
    ``100 + P3 hc + 4 P2 x^3``, plus ``P3 hc / 4`` where natural convection governs (the
    derivative of ``(P3 x - P4) hc``, since ``P3 x - P4 = P1 (100 x - TAA)``); ``F`` is
    increasing, so Newton converges from any nearby start.

    Returns:
        ``(xn, hc)``: the new iterate and the convective coefficient (W/m²K) at ``x``.
        Converged when ``|xn - x| <= EPS``, the damped iteration's criterion.
    """
    hcn = 2.38 * math.sqrt(math.sqrt(abs(100.0 * x - taa)))
    forced = hcf > hcn  # the same choice as _step's; selects, so sweeps vectorise
    hc = hcf if forced else hcn
    slope = 0.0 if forced else 0.25 * p3 * hcn
    x2 = x * x
    f = x * (100.0 + p3 * hc) - p5 - p4 * hc + p2 * x2 * x2
    df = 100.0 + p3 * hc + slope + 4.0 * p2 * x2 * x
    return x - f / df, hc


@njit(cache=True, inline="always", error_model="numpy")
def _finish(
    ta: float, pa: float, m: float, mw: float, fcl: float, tra4: float, xn: float, hc: float
) -> tuple[float, float, float]:
    """Heat-balance terms, PMV and PPD once the clothing temperature has converged.

    Returns:
        ``(pmv, ppd, tcl)``: PMV (-), PPD (%) and clothing surface temperature (°C).
    """
    tcl = 100.0 * xn - 273.0
    hl1 = 3.05e-3 * (5733.0 - 6.99 * mw - pa)  # skin diffusion
    hl2 = 0.42 * (mw - MET_TO_W_M2) if mw > MET_TO_W_M2 else 0.0  # sweating
    hl3 = 1.7e-5 * m * (5867.0 - pa)  # latent respiration
    hl4 = 0.0014 * m * (34.0 - ta)  # dry respiration
    xn2 = xn * xn
    hl5 = 3.96 * fcl * (xn2 * xn2 - tra4)  # radiation
    hl6 = fcl * hc * (tcl - ta)  # convection
    ts = 0.303 * exp(-0.036 * m) + 0.028
    pmv = ts * (mw - hl1 - hl2 - hl3 - hl4 - hl5 - hl6)
    return pmv, ppd_from_pmv(pmv), tcl


@njit(cache=True, error_model="numpy")
def _pmv_core(
    ta: float,
    tr: float,
    vr: float,
    rh: float,
    met: float,
    clo: float,
    wme: float,
    tcl_guess: float,
) -> tuple[float, float, float, int]:
    """Scalar PMV/PPD of ISO 7730:2005 Annex D, shared by the scalar entry points.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.
        tcl_guess: Starting clothing surface temperature, °C, for Newton steps
            (:func:`_newton`). NaN selects the standard's cold start
            (``XN = TCLA/100, XF = TCLA/50``) and damped iteration, i.e. Annex D as
            printed.

    Returns:
        ``(pmv, ppd, tcl, iterations)``: PMV (-), PPD (%), the converged clothing surface
        temperature (°C) and the number of iterations used. If the iteration has not
        converged after :data:`TCL_MAX_ITERATIONS`, the three floats are NaN.
    """
    pa, m, mw, fcl, hcf, taa, tra4, p2, p3, p4, p5, tcla = _setup(ta, tr, vr, rh, met, clo, wme)
    newton = not math.isnan(tcl_guess)
    if newton:
        # The loop body always runs at least once, so a stale guess is never accepted
        # unchecked.
        xn = (tcl_guess + 273.0) / 100.0
        xf = xn
    else:
        xn = tcla / 100.0
        xf = tcla / 50.0
    n = 0
    while n < TCL_MAX_ITERATIONS:
        if newton:
            xf = xn
            xn, hc = _newton(xf, hcf, taa, p2, p3, p4, p5)
        else:
            xf, xn, hc = _step(xf, xn, hcf, taa, p2, p3, p4, p5)
        n += 1
        if abs(xn - xf) <= TCL_TOLERANCE:
            pmv, ppd, tcl = _finish(ta, pa, m, mw, fcl, tra4, xn, hc)
            return pmv, ppd, tcl, n
    return math.nan, math.nan, math.nan, n


@njit(cache=True, inline="always", error_model="numpy")
def pmv_point(
    ta: float,
    tr: float,
    vr: float,
    rh: float,
    met: float,
    clo: float,
    wme: float = 0.0,
) -> tuple[float, float]:
    """PMV and PPD of one occupant, exactly as ISO 7730:2005 Annex D.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed (measured speed plus activity-generated speed), m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met (1 met = 58.15 W/m²).
        clo: Clothing insulation, clo (1 clo = 0.155 m²·K/W).
        wme: External work, met. Defaults to 0.

    Returns:
        ``(pmv, ppd)``: predicted mean vote (-) and predicted percentage dissatisfied
        (%). Both NaN if the clothing-temperature iteration does not converge.

    Example:
        >>> pmv, ppd = pmv_point(22.0, 22.0, 0.1, 60.0, 1.2, 0.5)
        >>> round(pmv, 2), round(ppd)
        (-0.75, 17)
    """
    pmv, ppd, _, _ = _pmv_core(ta, tr, vr, rh, met, clo, wme, math.nan)
    return pmv, ppd


@njit(cache=True, inline="always", error_model="numpy")
def pmv_point_warm(
    ta: float,
    tr: float,
    vr: float,
    rh: float,
    met: float,
    clo: float,
    wme: float,
    tcl_guess: float,
) -> tuple[float, float, float]:
    """PMV and PPD of one occupant, starting the iteration from a clothing temperature.

    Same heat balance, tolerance and iteration cap as :func:`pmv_point`, but the
    clothing surface temperature is found by Newton steps from the guess rather than
    by the standard's damped iteration from its cold start, so results agree with
    :func:`pmv_point` to within the standard's tolerance (a few thousandths of PMV),
    not bit for bit. Feeding back the returned ``tcl`` at the next time step, two
    Newton steps usually suffice, against about ten damped ones from cold.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.
        tcl_guess: Starting clothing surface temperature, °C (e.g. the previous step's
            ``tcl``). NaN means "no guess" and gives exactly :func:`pmv_point`.

    Returns:
        ``(pmv, ppd, tcl)``: PMV (-), PPD (%) and the converged clothing surface
        temperature (°C). All NaN if the iteration does not converge.

    Example:
        >>> pmv, ppd, tcl = pmv_point_warm(22.0, 22.0, 0.1, 60.0, 1.2, 0.5, 0.0, 28.0)
        >>> round(pmv, 2), round(tcl, 1)
        (-0.75, 29.0)
    """
    pmv, ppd, tcl, _ = _pmv_core(ta, tr, vr, rh, met, clo, wme, tcl_guess)
    return pmv, ppd, tcl


#: Occupants set up together by the batched kernels (their rows stay in the L1 cache).
_SPAN = 256
#: Cold-started occupants iterated in lock-step: independent iterations interleave,
#: ~3x faster than one occupant at a time on the dev machines; 8 and 16 measured the
#: same, 4 was slower.
_BLOCK = 8
#: Newton steps every warm-started occupant takes in one vectorised sweep each before the
#: few still unconverged finish one at a time (2 measured fastest; most need 2).
_SWEEPS = 2
#: Occupants per task of :func:`pmv_ppd_parallel` (a multiple of ``_SPAN``).
_CHUNK = 4096
# Rows of the per-occupant working array of _pmv_span.
_PA, _M, _MW, _FCL, _HCF, _TAA, _TRA4, _P2, _P3, _P4, _P5, _X, _XF, _HC, _TA = range(15)


@njit(cache=True, error_model="numpy")
def _newton_sweep(
    n: int,
    x: NDArray[np.float64],
    hc: NDArray[np.float64],
    todo: NDArray[np.bool_],
    hcf: NDArray[np.float64],
    taa: NDArray[np.float64],
    p2: NDArray[np.float64],
    p3: NDArray[np.float64],
    p4: NDArray[np.float64],
    p5: NDArray[np.float64],
) -> bool:
    """One Newton step for each of occupants ``[0, n)`` still ``todo``; any left to do?

    A loop without branches over whole arrays, which LLVM vectorises: occupants already
    converged compute a step too and keep their values.
    """
    left = False
    for j in range(n):
        x0 = x[j]
        x1, h = _newton(x0, hcf[j], taa[j], p2[j], p3[j], p4[j], p5[j])
        active = todo[j]
        x[j] = x1 if active else x0
        hc[j] = h if active else hc[j]
        still = active & (not abs(x1 - x0) <= TCL_TOLERANCE)  # NaN never converges
        todo[j] = still
        left |= still
    return left


@njit(cache=True, error_model="numpy")
def _pmv_span(
    ta: NDArray[np.float64],
    tr: NDArray[np.float64],
    vr: NDArray[np.float64],
    rh: NDArray[np.float64],
    met: NDArray[np.float64],
    clo: NDArray[np.float64],
    wme: NDArray[np.float64],
    tcl_guess: NDArray[np.float64],
    warm: bool,
    pmv: NDArray[np.float64],
    ppd: NDArray[np.float64],
    tcl: NDArray[np.float64],
    start: int,
    stop: int,
) -> None:
    """Fill ``pmv/ppd/tcl[start:stop]``, bit for bit what the scalar path gives.

    Each occupant runs exactly the steps :func:`_pmv_core` would run. Per span of
    occupants, warm starts go to the front and cold starts to the back. Warm starts take
    :data:`_SWEEPS` Newton steps in vectorised sweeps, then the few not yet converged
    continue one at a time. Cold starts run Annex D's damped iteration in lock-step
    blocks of :data:`_BLOCK` (the last padded with a copy). ``tcl_guess`` is read only
    when ``warm`` is true; NaN entries get the cold start.
    """
    c = np.empty((15, _SPAN + _BLOCK))
    todo = np.empty(_SPAN + _BLOCK, np.bool_)
    index = np.empty(_SPAN, np.int64)
    pa_k = np.empty(_SPAN)
    for s in range(start, stop, _SPAN):
        count = min(_SPAN, stop - s)
        for k in range(count):  # vectorises (exp included)
            pa_k[k] = _vapour_pressure(ta[s + k], rh[s + k])
        n_warm = 0
        back = count
        for k in range(count):
            i = s + k
            guess = tcl_guess[i] if warm else math.nan
            cold = math.isnan(guess)
            if cold:
                back -= 1
                j = back
            else:
                j = n_warm
                n_warm += 1
            index[j] = i
            pa, m, mw, fcl, hcf, taa, tra4, p2, p3, p4, p5, tcla = _constants(
                pa_k[k], ta[i], tr[i], vr[i], met[i], clo[i], wme[i]
            )
            c[_PA, j] = pa
            c[_M, j] = m
            c[_MW, j] = mw
            c[_FCL, j] = fcl
            c[_HCF, j] = hcf
            c[_TAA, j] = taa
            c[_TRA4, j] = tra4
            c[_P2, j] = p2
            c[_P3, j] = p3
            c[_P4, j] = p4
            c[_P5, j] = p5
            c[_X, j] = tcla / 100.0 if cold else (guess + 273.0) / 100.0
            c[_XF, j] = tcla / 50.0
            c[_HC, j] = hcf
            c[_TA, j] = ta[i]
            todo[j] = True

        # Warm starts: Newton sweeps, then the rest one at a time.
        sweeps = 0
        left = n_warm > 0
        while left and sweeps < _SWEEPS:
            left = _newton_sweep(
                n_warm, c[_X], c[_HC], todo, c[_HCF], c[_TAA], c[_P2], c[_P3], c[_P4], c[_P5]
            )
            sweeps += 1
        for j in range(n_warm if left else 0):
            n = sweeps
            while todo[j] and n < TCL_MAX_ITERATIONS:
                x0 = c[_X, j]
                c[_X, j], c[_HC, j] = _newton(
                    x0, c[_HCF, j], c[_TAA, j], c[_P2, j], c[_P3, j], c[_P4, j], c[_P5, j]
                )
                todo[j] = not abs(c[_X, j] - x0) <= TCL_TOLERANCE
                n += 1

        # Cold starts: damped steps in lock-step blocks, the last padded with a copy.
        padded = n_warm + (count - n_warm + _BLOCK - 1) // _BLOCK * _BLOCK
        for j in range(count, padded):
            for row in range(c.shape[0]):
                c[row, j] = c[row, n_warm]
            todo[j] = True
        for b in range(n_warm, padded, _BLOCK):
            for _ in range(TCL_MAX_ITERATIONS):
                n_active = 0
                for k in range(_BLOCK):
                    j = b + k
                    xf, xn, hc = _step(
                        c[_XF, j], c[_X, j], c[_HCF, j], c[_TAA, j], c[_P2, j], c[_P3, j],
                        c[_P4, j], c[_P5, j],
                    )  # fmt: skip
                    if todo[j]:
                        c[_X, j] = xn
                        c[_XF, j] = xf
                        c[_HC, j] = hc
                        todo[j] = not abs(xn - xf) <= TCL_TOLERANCE
                    n_active += todo[j]
                if n_active == 0:
                    break

        # The heat balance of every occupant in one loop that vectorises (exp included),
        # into rows no longer needed; then the results go to their places.
        for j in range(count):
            c[_P2, j], c[_P3, j], c[_P4, j] = _finish(
                c[_TA, j], c[_PA, j], c[_M, j], c[_MW, j], c[_FCL, j], c[_TRA4, j], c[_X, j],
                c[_HC, j],
            )  # fmt: skip
        for j in range(count):
            i = index[j]
            failed = todo[j]  # not converged within the cap
            pmv[i] = math.nan if failed else c[_P2, j]
            ppd[i] = math.nan if failed else c[_P3, j]
            tcl[i] = math.nan if failed else c[_P4, j]


@njit(cache=True, error_model="numpy")
def pmv_ppd(
    ta: NDArray[np.float64],
    tr: NDArray[np.float64],
    vr: NDArray[np.float64],
    rh: NDArray[np.float64],
    met: NDArray[np.float64],
    clo: NDArray[np.float64],
    wme: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """PMV and PPD for many occupants (cold start), ISO 7730:2005 Annex D.

    Element ``i`` equals ``pmv_point(ta[i], ..., wme[i])`` bit for bit. All arguments
    are 1-D float64 arrays of the same length (one entry per occupant); shapes are not
    checked. Single-threaded.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.

    Returns:
        ``(pmv, ppd)``: two new arrays, PMV (-) and PPD (%). Entries whose iteration
        does not converge are NaN.
    """
    n = ta.shape[0]
    pmv = np.empty(n)
    ppd = np.empty(n)
    tcl = np.empty(n)
    _pmv_span(ta, tr, vr, rh, met, clo, wme, ta, False, pmv, ppd, tcl, 0, n)
    return pmv, ppd


@njit(cache=True, error_model="numpy")
def pmv_ppd_warm(
    ta: NDArray[np.float64],
    tr: NDArray[np.float64],
    vr: NDArray[np.float64],
    rh: NDArray[np.float64],
    met: NDArray[np.float64],
    clo: NDArray[np.float64],
    wme: NDArray[np.float64],
    tcl_guess: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """PMV and PPD for many occupants, warm-started from clothing temperatures.

    The batched form of :func:`pmv_point_warm` (element ``i`` equals it bit for bit),
    for stepping through time: pass the ``tcl`` returned at the previous step as
    ``tcl_guess``. NaN entries in ``tcl_guess`` (e.g. a first step filled with NaN) get
    the standard's cold start. All arguments are 1-D float64 arrays of the same length;
    shapes are not checked. Single-threaded.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.
        tcl_guess: Starting clothing surface temperature, °C (NaN: cold start).

    Returns:
        ``(pmv, ppd, tcl)``: three new arrays, PMV (-), PPD (%) and the converged
        clothing surface temperature (°C). Non-converged entries are NaN.
    """
    n = ta.shape[0]
    pmv = np.empty(n)
    ppd = np.empty(n)
    tcl = np.empty(n)
    _pmv_span(ta, tr, vr, rh, met, clo, wme, tcl_guess, True, pmv, ppd, tcl, 0, n)
    return pmv, ppd, tcl


@njit(cache=True, error_model="numpy")
def pmv_ppd_warm_into(
    ta: NDArray[np.float64],
    tr: NDArray[np.float64],
    vr: NDArray[np.float64],
    rh: NDArray[np.float64],
    met: NDArray[np.float64],
    clo: NDArray[np.float64],
    wme: NDArray[np.float64],
    tcl_guess: NDArray[np.float64],
    pmv: NDArray[np.float64],
    ppd: NDArray[np.float64],
    tcl: NDArray[np.float64],
) -> None:
    """:func:`pmv_ppd_warm` writing into caller-provided arrays.

    For per-step kernels of occupant agents: gather the occupants to score this step
    into (reused or per-step) buffers, evaluate them here together, and
    scatter the results back. Element ``i`` of the outputs equals
    ``pmv_point_warm(ta[i], ..., tcl_guess[i])`` bit for bit. All arguments are 1-D
    float64 arrays of the same length (slices of larger buffers are fine); shapes are
    not checked. The outputs must not overlap the inputs.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.
        tcl_guess: Starting clothing surface temperature, °C (NaN: cold start).
        pmv: Output, PMV (-).
        ppd: Output, PPD (%).
        tcl: Output, converged clothing surface temperature (°C). Non-converged
            entries of all three outputs are NaN.
    """
    _pmv_span(ta, tr, vr, rh, met, clo, wme, tcl_guess, True, pmv, ppd, tcl, 0, ta.shape[0])


@njit(cache=True, parallel=True, error_model="numpy")
def pmv_ppd_parallel(
    ta: NDArray[np.float64],
    tr: NDArray[np.float64],
    vr: NDArray[np.float64],
    rh: NDArray[np.float64],
    met: NDArray[np.float64],
    clo: NDArray[np.float64],
    wme: NDArray[np.float64],
    tcl_guess: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Multi-threaded :func:`pmv_ppd_warm` (pass all-NaN ``tcl_guess`` for a cold start).

    Hands contiguous chunks of 4096 occupants to Numba's threads. Results
    are bit-for-bit those of :func:`pmv_ppd_warm`. On the 2-core machines it doubled
    throughput at 1e5 and 1e6 occupants, but only while the second core was idle; prefer
    the serial kernels when environments already run in parallel processes.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met.
        tcl_guess: Starting clothing surface temperature, °C (NaN: cold start).

    Returns:
        ``(pmv, ppd, tcl)``: three new arrays, PMV (-), PPD (%) and the converged
        clothing surface temperature (°C). Non-converged entries are NaN.
    """
    n = ta.shape[0]
    pmv = np.empty(n)
    ppd = np.empty(n)
    tcl = np.empty(n)
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for c in prange(n_chunks):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        _pmv_span(ta, tr, vr, rh, met, clo, wme, tcl_guess, True, pmv, ppd, tcl, lo, hi)
    return pmv, ppd, tcl


def pmv_ppd_numpy(
    ta: ArrayLike,
    tr: ArrayLike,
    vr: ArrayLike,
    rh: ArrayLike,
    met: ArrayLike,
    clo: ArrayLike,
    wme: ArrayLike = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """PMV and PPD in plain NumPy: the reference for the Numba kernels.

    Written independently of :func:`_pmv_core` with whole-array operations: every point
    runs the Annex D damped iteration (cold start) in lock-step, and points drop out of
    the active set as they meet the tolerance. Inputs broadcast against each other.

    Args:
        ta: Air temperature, °C.
        tr: Mean radiant temperature, °C.
        vr: Relative air speed, m/s.
        rh: Relative humidity, %.
        met: Metabolic rate, met.
        clo: Clothing insulation, clo.
        wme: External work, met. Defaults to 0.

    Returns:
        ``(pmv, ppd)``: arrays of the broadcast shape, PMV (-) and PPD (%). Points that
        do not converge within the iteration cap are NaN.
    """
    ta, tr, vr, rh, met, clo, wme = (
        np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(ta, tr, vr, rh, met, clo, wme)
    )
    shape = ta.shape
    ta, tr, vr, rh, met, clo, wme = (a.ravel() for a in (ta, tr, vr, rh, met, clo, wme))

    pa = rh * 10.0 * np.exp(16.6536 - 4030.183 / (ta + 235.0))
    icl = 0.155 * clo
    m = met * 58.15
    mw = m - wme * 58.15
    fcl = np.where(icl <= 0.078, 1.0 + 1.29 * icl, 1.05 + 0.645 * icl)
    hcf = 12.1 * np.sqrt(vr)
    taa = ta + 273.0
    tra = tr + 273.0
    tcla = taa + (35.5 - ta) / (3.5 * (6.45 * icl + 0.1))
    p1 = icl * fcl
    p2 = p1 * 3.96
    p3 = p1 * 100.0
    p4 = p1 * taa
    p5 = 308.7 - 0.028 * mw + p2 * (tra / 100.0) ** 4

    xn = tcla / 100.0
    xf = tcla / 50.0
    hc = hcf.copy()
    converged = np.zeros(ta.size, dtype=bool)
    active = np.arange(ta.size)
    for _ in range(150):
        if active.size == 0:
            break
        xf_a = (xf[active] + xn[active]) / 2.0
        hc_a = np.maximum(hcf[active], 2.38 * np.abs(100.0 * xf_a - taa[active]) ** 0.25)
        xn_a = (p5[active] + p4[active] * hc_a - p2[active] * xf_a**4) / (100.0 + p3[active] * hc_a)
        xf[active] = xf_a
        hc[active] = hc_a
        xn[active] = xn_a
        done = np.abs(xn_a - xf_a) <= 0.00015
        converged[active[done]] = True
        active = active[~done]

    tcl = 100.0 * xn - 273.0
    hl1 = 3.05e-3 * (5733.0 - 6.99 * mw - pa)
    hl2 = np.where(mw > 58.15, 0.42 * (mw - 58.15), 0.0)
    hl3 = 1.7e-5 * m * (5867.0 - pa)
    hl4 = 0.0014 * m * (34.0 - ta)
    hl5 = 3.96 * fcl * (xn**4 - (tra / 100.0) ** 4)
    hl6 = fcl * hc * (tcl - ta)
    ts = 0.303 * np.exp(-0.036 * m) + 0.028
    pmv = ts * (mw - hl1 - hl2 - hl3 - hl4 - hl5 - hl6)
    pmv = np.where(converged, pmv, np.nan)
    ppd = 100.0 - 95.0 * np.exp(-0.03353 * pmv**4 - 0.2179 * pmv**2)
    return pmv.reshape(shape), ppd.reshape(shape)


# The occupant kernels (guests, shoppers, residents) gather the people to score this
# step into lanes of a buffer ``lanes`` (11, N), score them together with
# :func:`pmv_ppd_warm_into` and scatter the results back. Rows: 0 air and 1 mean radiant
# temperature (°C), 2 air speed (m/s), 3 RH (%), 4 met, 5 clo, 6 external work, 7 the
# clothing-temperature guess; out 8 PMV, 9 PPD (%), 10 clothing temperature.


@njit(cache=True, inline="always", error_model="numpy")
def put_lane(lanes, n, ta, t_op, met, clo, tcl_guess):  # noqa: ANN001, ANN201
    """Lane ``n``: one occupant in air ``ta`` at operative temperature ``t_op``.

    Mean radiant temperature from the operative one (``t_op = (ta + tr) / 2``).
    """
    lanes[0, n] = ta
    lanes[1, n] = 2.0 * t_op - ta
    lanes[4, n] = met
    lanes[5, n] = clo
    lanes[7, n] = tcl_guess


@njit(cache=True, inline="always", error_model="numpy")
def score_lanes(lanes, n, vr, rh):  # noqa: ANN001, ANN201
    """PMV/PPD of the first ``n`` lanes, all at air speed ``vr`` and ``rh``, no external work."""
    lanes[2, :n] = vr
    lanes[3, :n] = rh
    lanes[6, :n] = 0.0
    pmv_ppd_warm_into(
        lanes[0, :n], lanes[1, :n], lanes[2, :n], lanes[3, :n], lanes[4, :n], lanes[5, :n],
        lanes[6, :n], lanes[7, :n], lanes[8, :n], lanes[9, :n], lanes[10, :n],
    )  # fmt: skip
