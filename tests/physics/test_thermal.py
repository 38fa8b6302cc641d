"""ISO 13790 5R1C zones with ideal HVAC: kernel vs standard vs NumPy, and physical checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.physics.kernels import heat_pump_inv_cop, thermal_hvac_steps
from twin.physics.network import (
    H_IS,
    H_MS,
    LAMBDA_AT,
    RCParams,
    affine_coefficients,
    iso13790_hvac_step,
)
from twin.physics.reference import heat_pump_cop_numpy, thermal_hvac_steps_numpy


def make_rc(rng: np.random.Generator, nz: int) -> RCParams:
    """Random but physically plausible zones (10-60 m2, light to very heavy)."""
    A_f = rng.uniform(10, 60, nz)
    A_m = rng.choice([2.5, 3.0, 3.5], nz) * A_f
    H_tr_ms = H_MS * A_m
    H_tr_op = rng.uniform(0.05, 1.0, nz) * A_f
    return RCParams(
        H_ve=rng.uniform(0.1, 1.0, nz) * A_f,
        H_tr_is=H_IS * LAMBDA_AT * A_f,
        H_tr_w=rng.uniform(0.0, 0.4, nz) * A_f,
        H_tr_ms=H_tr_ms,
        H_tr_em=1.0 / (1.0 / H_tr_op - 1.0 / H_tr_ms),
        C_m=rng.uniform(80e3, 370e3, nz) * A_f,
        A_m=A_m,
        A_t=LAMBDA_AT * A_f,
        A_f=A_f,
    )


class Zones:
    """Kernel inputs for ``ne`` environments of ``nz`` zones, driven step by step."""

    def __init__(self, rc: RCParams, dt: float, ne: int = 1, q_max: float = 1e9):
        self.rc, self.dt = rc, dt
        nz = np.size(rc.A_f)
        self.ne, self.nz = ne, nz
        coef = affine_coefficients(rc, dt)
        self.coef = np.ascontiguousarray(np.broadcast_to(coef[None], (ne, *coef.shape)))
        self.inv_a_a = np.ascontiguousarray(1.0 / self.coef[:, 6])
        self.aperture = np.zeros((ne, 4, nz))
        self.q_heat = np.full((ne, nz), q_max)
        self.q_cool = np.full((ne, nz), q_max)

    def run(self, kernel, t_out, irr, gains, sp_h, sp_c, theta_m, inv_cop=(0.25, 0.3)):
        """Advance ``len(t_out)`` steps; inputs per step are ``(nt, ne[, nz])``."""
        nt = len(t_out)
        ne, nz = self.ne, self.nz
        energy = np.zeros((ne, nz))
        rec = [np.zeros((nt, ne, nz)) for _ in range(4)]
        kernel(
            self.coef,
            self.inv_a_a,
            self.aperture,
            self.q_heat,
            self.q_cool,
            np.ascontiguousarray(np.broadcast_to(t_out, (nt, ne))),
            np.ascontiguousarray(np.broadcast_to(irr, (nt, ne, 4))),
            np.full((nt, ne), inv_cop[0]),
            np.full((nt, ne), inv_cop[1]),
            np.ascontiguousarray(np.broadcast_to(gains, (nt, ne, nz)).transpose(1, 0, 2)),
            np.ascontiguousarray(np.broadcast_to(sp_h, (nt, ne, nz)).transpose(1, 0, 2)),
            np.ascontiguousarray(np.broadcast_to(sp_c, (nt, ne, nz)).transpose(1, 0, 2)),
            self.dt,
            theta_m,
            energy,
            *rec,
        )
        return energy, rec


def random_drive(rng, nt, ne, nz):
    t_out = rng.uniform(-15, 35, (nt, ne))
    irr = rng.uniform(0, 700, (nt, ne, 4))
    gains = rng.uniform(0, 3000, (nt, ne, nz))
    sp_h = rng.uniform(16, 22, (nt, ne, nz))
    sp_c = sp_h + rng.uniform(0, 6, (nt, ne, nz))
    return t_out, irr, gains, sp_h, sp_c


@pytest.mark.parametrize("dt", [3600.0, 900.0, 60.0])
def test_kernel_matches_standard_procedure(dt):
    """The affine kernel reproduces ISO 13790 C.4.2 (10 W/m2 probe, capacity limits)."""
    rng = np.random.default_rng(1)
    nz, nt = 37, 12
    rc = make_rc(rng, nz)
    z = Zones(rc, dt, q_max=0.0)
    z.q_heat[:] = rng.uniform(200, 3000, nz)  # some zones saturate, some do not
    z.q_cool[:] = rng.uniform(200, 3000, nz)
    ap = rng.uniform(0, 3, (4, nz))
    z.aperture[0] = ap
    t_out, irr, gains, sp_h, sp_c = random_drive(rng, nt, 1, nz)
    theta0 = rng.uniform(14, 26, (1, nz))
    theta_m = theta0.copy()
    _, (air, op, q, _) = z.run(thermal_hvac_steps, t_out, irr, gains, sp_h, sp_c, theta_m)

    th = theta0[0].copy()
    saturated = 0
    for t in range(nt):
        phi_sol = (ap * irr[t, 0][:, None]).sum(axis=0)
        Phi, th_next, _, _, t_air, t_op = iso13790_hvac_step(
            t_out[t, 0], t_out[t, 0], gains[t, 0], phi_sol, th,
            sp_h[t, 0], sp_c[t, 0], z.q_heat[0], z.q_cool[0], rc, dt,
        )  # fmt: skip
        np.testing.assert_allclose(q[t, 0], Phi, rtol=1e-9, atol=1e-7)
        np.testing.assert_allclose(air[t, 0], t_air, rtol=0, atol=1e-9)
        np.testing.assert_allclose(op[t, 0], t_op, rtol=0, atol=1e-9)
        saturated += int(
            np.sum(np.isclose(np.abs(Phi), z.q_heat[0]) | np.isclose(-Phi, z.q_cool[0]))
        )
        th = th_next
    np.testing.assert_allclose(theta_m[0], th, atol=1e-9)
    assert saturated > 0, "the drive should hit some capacity limits"


def test_kernel_matches_numpy_reference_many_envs():
    rng = np.random.default_rng(2)
    ne, nz, nt = 3, 300, 10  # > one BLOCK of zones, several environments
    z = Zones(make_rc(rng, nz), 900.0, ne=ne, q_max=0.0)
    z.q_heat[:] = rng.uniform(500, 3000, (ne, nz))
    z.q_cool[:] = rng.uniform(500, 3000, (ne, nz))
    z.aperture[:] = rng.uniform(0, 2, (ne, 4, nz))
    drive = random_drive(rng, nt, ne, nz)
    th_a = rng.uniform(15, 25, (ne, nz))
    th_b = th_a.copy()
    e_a, rec_a = z.run(thermal_hvac_steps, *drive, th_a)
    e_b, rec_b = z.run(thermal_hvac_steps_numpy, *drive, th_b)
    np.testing.assert_allclose(th_a, th_b, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(e_a, e_b, rtol=1e-12, atol=1e-6)
    for a, b in zip(rec_a, rec_b, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-8)


def test_records_can_be_skipped_without_changing_results():
    rng = np.random.default_rng(3)
    nz, nt = 20, 8
    z = Zones(make_rc(rng, nz), 900.0)
    drive = random_drive(rng, nt, 1, nz)
    th_a = np.full((1, nz), 20.0)
    th_b = th_a.copy()
    e_a, _ = z.run(thermal_hvac_steps, *drive, th_a)
    empty = np.zeros((0, 1, nz))
    e_b = np.zeros((1, nz))
    t_out, irr, gains, sp_h, sp_c = drive
    thermal_hvac_steps(
        z.coef, z.inv_a_a, z.aperture, z.q_heat, z.q_cool, t_out, irr,
        np.full((nt, 1), 0.25), np.full((nt, 1), 0.3),
        np.ascontiguousarray(gains.transpose(1, 0, 2)),
        np.ascontiguousarray(sp_h.transpose(1, 0, 2)),
        np.ascontiguousarray(sp_c.transpose(1, 0, 2)),
        900.0, th_b, e_b, empty, empty, empty, empty,
    )  # fmt: skip
    np.testing.assert_array_equal(th_a, th_b)
    np.testing.assert_array_equal(e_a, e_b)


def test_steady_state_heating_power_equals_analytic_conductance():
    """Held at 22 degC with the outdoors at 0 degC, heating power = H_eff * 22 K."""
    rng = np.random.default_rng(4)
    nz = 5
    rc = make_rc(rng, nz)
    z = Zones(rc, 3600.0)
    # Conductance from the air node to the outdoors through the network's branches.
    mass_path = 1.0 / (1.0 / rc.H_tr_ms + 1.0 / rc.H_tr_em)
    surface_path = 1.0 / (1.0 / rc.H_tr_is + 1.0 / (rc.H_tr_w + mass_path))
    H_eff = rc.H_ve + surface_path
    theta_m = np.full((1, nz), 10.0)
    nt = 24 * 200  # many time constants
    _, (air, _, q, _) = z.run(thermal_hvac_steps, np.zeros((nt, 1)), 0.0, 0.0, 22.0, 30.0, theta_m)
    np.testing.assert_allclose(air[-1, 0], 22.0, atol=1e-9)
    np.testing.assert_allclose(q[-1, 0], H_eff * 22.0, rtol=1e-6)


def test_free_floating_zone_relaxes_with_network_time_constant():
    rng = np.random.default_rng(5)
    nz = 6
    rc = make_rc(rng, nz)
    dt = 300.0
    tau = rc.time_constant_s
    z = Zones(rc, dt)
    theta_m = np.full((1, nz), 20.0)
    nt = int(np.max(tau) / dt) + 2
    _, (air, _, _, _) = z.run(
        thermal_hvac_steps, np.zeros((nt, 1)), 0.0, 0.0, -100.0, 100.0, theta_m
    )
    # With no inputs the air temperature is A_m * theta_m(t-1): recover the kernel's mass
    # trajectory and check it decays as exp(-t / tau) over one time constant.
    mass = air[:, 0] / z.coef[0, 4]
    k = np.round(tau / dt).astype(int)
    at_tau = mass[k, np.arange(nz)]
    np.testing.assert_allclose(at_tau, 20.0 * np.exp(-k * dt / tau), rtol=1e-3)
    np.testing.assert_allclose(at_tau / 20.0, np.exp(-1.0), rtol=0.01)
    assert np.all(np.diff(air[:, 0], axis=0) < 0), "free-floating zone must cool monotonically"


def test_energy_balance_closes():
    """Heat in (HVAC + gains) = heat stored in the mass + heat lost, step by step."""
    rng = np.random.default_rng(6)
    nz, nt, dt = 15, 96, 900.0
    rc = make_rc(rng, nz)
    z = Zones(rc, dt, q_max=0.0)
    z.q_heat[:] = 4000.0
    z.q_cool[:] = 4000.0
    z.aperture[0] = rng.uniform(0, 3, (4, nz))
    t_out, irr, gains, sp_h, sp_c = random_drive(rng, nt, 1, nz)
    theta_m = np.full((1, nz), 18.0)
    heat_in = stored = lost = 0.0
    for t in range(nt):
        prev = theta_m.copy()
        _, (air, op, q, _) = z.run(
            thermal_hvac_steps, t_out[t : t + 1], irr[t : t + 1], gains[t : t + 1],
            sp_h[t : t + 1], sp_c[t : t + 1], theta_m,
        )  # fmt: skip
        air, op, q = air[0, 0], op[0, 0], q[0, 0]
        surf = (op - 0.3 * air) / 0.7
        mass_mean = 0.5 * (prev[0] + theta_m[0])
        te = t_out[t, 0]
        phi_sol = (z.aperture[0] * irr[t, 0][:, None]).sum(axis=0)
        heat_in += np.sum(q + gains[t, 0] + phi_sol) * dt
        stored += np.sum(rc.C_m * (theta_m[0] - prev[0]))
        # ISO 13790 C.3 assigns a share H_tr_w / (9.1 A_t) of the surface/mass gains to no
        # node: it leaves through the glazing directly.
        direct = rc.H_tr_w / (H_MS * rc.A_t) * (0.5 * gains[t, 0] + phi_sol)
        lost += (
            np.sum(
                rc.H_ve * (air - te)
                + rc.H_tr_w * (surf - te)
                + rc.H_tr_em * (mass_mean - te)
                + direct
            )
            * dt
        )
    assert abs(heat_in - stored - lost) <= 1e-3 * max(abs(heat_in), abs(lost))
    assert abs(heat_in - stored - lost) <= 1e-6 * abs(lost)  # exact up to round-off


def test_subhourly_steps_converge_to_hourly_result():
    """Hourly means with 15-min and 5-min steps agree with the hourly method and converge."""
    rng = np.random.default_rng(7)
    nz, hours = 8, 72
    rc = make_rc(rng, nz)
    hour = np.arange(hours)
    t_out = 5 + 6 * np.sin(2 * np.pi * hour / 24)
    gains = 800 + 600 * np.sin(2 * np.pi * (hour - 6) / 24)

    def hourly_air(sub: int) -> np.ndarray:
        z = Zones(rc, 3600.0 / sub)
        theta_m = np.full((1, nz), 18.0)
        t_o = np.repeat(t_out, sub)[:, None]
        g = np.repeat(gains, sub)[:, None, None]
        _, (air, _, _, _) = z.run(thermal_hvac_steps, t_o, 0.0, g, -100.0, 100.0, theta_m)
        return air[:, 0].reshape(hours, sub, nz).mean(axis=1)

    h1, h4, h12 = hourly_air(1), hourly_air(4), hourly_air(12)
    assert np.max(np.abs(h4 - h1)) < 0.15
    assert np.max(np.abs(h12 - h4)) < np.max(np.abs(h4 - h1))


def test_capacity_limit_caps_power_and_leaves_zone_cold():
    rng = np.random.default_rng(8)
    nz = 4
    z = Zones(make_rc(rng, nz), 3600.0, q_max=50.0)
    theta_m = np.full((1, nz), 5.0)
    energy, (air, _, q, p_el) = z.run(
        thermal_hvac_steps, np.full((3, 1), -10.0), 0.0, 0.0, 21.0, 24.0, theta_m, (0.5, 0.3)
    )
    np.testing.assert_allclose(q, 50.0)
    assert np.all(air < 21.0)
    np.testing.assert_allclose(p_el, 25.0)  # thermal / COP (1/COP = 0.5)
    np.testing.assert_allclose(energy, 3 * 25.0 * 3600.0)


def test_heat_pump_cop_is_carnot_fraction_and_falls_in_the_cold():
    t = np.linspace(-25, 40, 131)
    inv_h, inv_c = np.empty_like(t), np.empty_like(t)
    heat_pump_inv_cop(t, 0.45, 0.35, 35.0, 12.0, 1.0, 7.0, inv_h, inv_c)
    cop_h, cop_c = heat_pump_cop_numpy(t, 0.45, 0.35, 35.0, 12.0, 1.0, 7.0)
    np.testing.assert_allclose(1 / inv_h, cop_h, rtol=1e-12)
    np.testing.assert_allclose(1 / inv_c, cop_c, rtol=1e-12)
    # Independent spot value: 0.45 * 308.15 K / (35 - 0) K at 0 degC outdoors.
    assert 1 / inv_h[np.argmin(np.abs(t - 0.0))] == pytest.approx(0.45 * 308.15 / 35.0)
    assert np.all(np.diff(cop_h) >= 0) and np.all(np.diff(cop_c) <= 0)
    assert cop_h.min() >= 1.0 and cop_h.max() <= 7.0


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    dt=st.sampled_from([60.0, 300.0, 900.0, 3600.0]),
)
def test_kernel_equals_standard_for_random_zones(seed, dt):
    rng = np.random.default_rng(seed)
    nz = 5
    rc = make_rc(rng, nz)
    z = Zones(rc, dt)
    t_out, irr, gains, sp_h, sp_c = random_drive(rng, 1, 1, nz)
    theta0 = rng.uniform(10, 30, (1, nz))
    theta_m = theta0.copy()
    _, (air, _, q, _) = z.run(thermal_hvac_steps, t_out, irr, gains, sp_h, sp_c, theta_m)
    Phi, th, _, _, t_air, _ = iso13790_hvac_step(
        t_out[0, 0], t_out[0, 0], gains[0, 0], 0.0, theta0[0], sp_h[0, 0], sp_c[0, 0],
        1e9, 1e9, rc, dt,
    )  # fmt: skip
    np.testing.assert_allclose(air[0, 0], t_air, atol=1e-8)
    np.testing.assert_allclose(theta_m[0], th, atol=1e-8)
    np.testing.assert_allclose(q[0, 0], Phi, rtol=1e-8, atol=1e-6)
    # Ideal control: the air ends at a set-point whenever HVAC runs.
    on = np.abs(q[0, 0]) > 1e-9
    at_sp = np.isclose(air[0, 0], sp_h[0, 0]) | np.isclose(air[0, 0], sp_c[0, 0])
    assert np.all(at_sp[on])
