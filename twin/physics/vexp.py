"""An ``exp`` that LLVM can vectorise, for the kernels' hot loops.

Numba lowers ``math.exp`` to a call into the C library; with no vector math library
(this llvmlite has no SVML, ``llvmlite.binding.config.has_svml`` is false) a loop that
calls it stays one scalar call per element, about 5.5 ns each on the dev machines,
which was most of the guests' comfort scoring. :func:`exp` is written in plain
arithmetic instead (Cody-Waite range reduction, a degree-13 Taylor polynomial on
``|r| <= ln 2 / 2``, scaling by ``2^k`` built from its bits), so a loop over it
vectorises: about 2.3 ns per element. It is within 1 ulp of ``math.exp`` over the whole
double range (tested), with the same results for overflow (inf), underflow (subnormals,
then 0) and NaN.

Called from Python (the plain-Python reference paths, or with ``NUMBA_DISABLE_JIT``)
the same arithmetic runs with ``math.ldexp`` for the power of two, giving the same
bits, so a kernel and its Python reference still agree exactly.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

LOG2E = 1.4426950408889634
#: ln 2 split so that ``k * LN2_HI`` is exact for every ``k`` in range (fdlibm's).
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
#: Taylor coefficients 1/n!, n = 2..13: truncation below 1e-17 on ``|r| <= ln 2 / 2``.
(C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13) = (
    1.0 / math.factorial(n) for n in range(2, 14)
)
#: Beyond these exp is 0 (after the smallest subnormal) or inf; clamping keeps ``k`` small.
X_MIN, X_MAX = -746.0, 710.0


def pow2(k: float) -> float:
    """``2.0 ** k`` for an integral ``k`` in [-1022, 1023] (NaN for NaN)."""
    return k if k != k else math.ldexp(1.0, int(k))


@intrinsic
def _f64_from_bits(typingctx, bits):  # type: ignore[no-untyped-def]
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@overload(pow2, inline="always")
def _pow2_compiled(k):  # type: ignore[no-untyped-def]
    """In compiled code: the exponent field set directly (vectorises, unlike ldexp)."""

    def impl(k):  # type: ignore[no-untyped-def]
        return _f64_from_bits((np.int64(k) + 1023) << 52)

    return impl


@njit(cache=True, inline="always", error_model="numpy")
def exp(x: float) -> float:
    """``e ** x`` within 1 ulp of ``math.exp``, in arithmetic a loop can vectorise."""
    xc = X_MIN if x < X_MIN else (X_MAX if x > X_MAX else x)  # NaN passes through
    k = float(np.floor(xc * LOG2E + 0.5))
    r = (xc - k * LN2_HI) - k * LN2_LO
    p = C13
    p = p * r + C12
    p = p * r + C11
    p = p * r + C10
    p = p * r + C9
    p = p * r + C8
    p = p * r + C7
    p = p * r + C6
    p = p * r + C5
    p = p * r + C4
    p = p * r + C3
    p = p * r + C2
    p = p * r + 1.0
    p = p * r + 1.0
    # 2^k as two factors, each a normal number for every k in [-1077, 1025]: the last
    # product alone rounds, into a subnormal, 0 or inf where e ** x does.
    k1 = float(np.floor(k * 0.5))
    return p * pow2(k1) * pow2(k - k1)
