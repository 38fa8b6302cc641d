"""The vectorisable exp against the C library's, and its Python path against its compiled one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit

from twin.physics.vexp import exp


@njit(error_model="numpy")
def _exp_all(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):  # the loop the kernels rely on being vectorised
        out[i] = exp(float(x[i]))


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(want)


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(-1.0, 1.0), (-40.0, 5.0), (-1e-12, 1e-12), (-708.0, -600.0), (600.0, 709.7)],
)
def test_within_one_ulp_of_the_c_library(lo: float, hi: float) -> None:
    x = np.random.default_rng(0).uniform(lo, hi, 200_000)
    got = np.empty_like(x)
    _exp_all(x, got)
    assert _ulps(got, np.exp(x)).max() <= 1.0


def test_subnormal_results_round_like_the_c_library() -> None:
    # Below about -708.4 the result is subnormal: one rounding, at the last product.
    x = np.random.default_rng(1).uniform(-745.2, -708.4, 100_000)
    got = np.empty_like(x)
    _exp_all(x, got)
    want = np.exp(x)
    assert np.abs(got - want).max() <= np.spacing(0.0)  # at most one subnormal step


def test_special_values() -> None:
    x = np.array([0.0, -0.0, math.nan, math.inf, -math.inf, 709.78, 709.79, -745.13, -745.14])
    got = np.empty_like(x)
    _exp_all(x, got)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    np.testing.assert_array_equal(got, want)


def test_python_path_gives_the_compiled_bits() -> None:
    x = np.random.default_rng(2).uniform(-746.0, 710.0, 5_000)
    got = np.empty_like(x)
    _exp_all(x, got)
    plain = getattr(exp, "py_func", exp)  # exp itself when the JIT is disabled
    python = np.array([plain(float(v)) for v in x])
    np.testing.assert_array_equal(python, got)
    assert math.isnan(plain(math.nan))
