"""Building physics: ISO 13790 5R1C thermal zones, HVAC, lighting and ISO 7730 comfort.

Kernels are pure Numba functions over struct-of-arrays (:mod:`twin.physics.kernels`,
:mod:`twin.physics.comfort`); plain NumPy versions that the tests and benchmarks compare
against live in :mod:`twin.physics.reference` and, for PMV/PPD, beside the kernel.
"""
