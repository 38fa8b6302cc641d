"""The hotel as a Gymnasium environment (``twin/Hotel-v0``)."""

from __future__ import annotations

from typing import ClassVar

from twin.envs.core import TwinEnv
from twin.envs.vector import TwinVectorEnv
from twin.venues.hotel.task import F_GLOBAL, F_ZONE, ZONE_FEATURES
from twin.world import SITE_FEATURES


def _doc_table() -> tuple[str, str]:
    rows = [f"    | {j} | ``{n}`` | {u} | {d} |" for j, (n, u, d) in enumerate(ZONE_FEATURES)]
    glob = [f"    | {j} | ``{n}`` | {u} |" for j, (n, u) in enumerate(SITE_FEATURES)]
    return "\n".join(rows), "\n".join(glob)


class HotelEnv(TwinEnv):
    """Personalise the rooms of a hotel for the guests staying in them.

    Each step is one control step of the scenario (e.g. 5 minutes); an episode is the
    scenario's horizon. The hotel's guests arrive, queue, go out and sleep on their own
    schedule; the agent sets every zone's air set-point and lighting.

    ## Observation Space

    ``Box(low, high, (n_zones * 16 + 10,), float32)``, bounded by each feature's
    physical range: for each zone ``z`` the 16 features below at ``obs[16 z + j]``,
    then the 10 global features. Only what a real
    deployment could sense: sensors, the thermostat, the property-management system and,
    for guests who consented (and only if ``personal_data=True``), their stated
    preferences.

    | j | feature | unit | meaning |
    |---|---|---|---|
    ZONE_TABLE

    Global features (after the zone block):

    | j | feature | unit |
    |---|---|---|
    GLOBAL_TABLE

    ## Action Space

    ``Box(-1, 1, (4 * n_zones,), float32)``, zone-major: for zone ``z``,
    ``action[4 z]`` and ``action[4 z + 1]`` are the heating and cooling set-points,
    mapped onto ``[control.setpoint_min_c, control.setpoint_max_c]`` (deg C; the cooling
    set-point is raised to at least 0.5 K above the heating one), ``action[4 z + 2]`` the
    light level onto ``[0, lighting.max_lux]`` (lx; daylight is harvested first) and
    ``action[4 z + 3]`` the colour temperature onto ``[cct_min_k, cct_max_k]`` (K).

    ## Rewards

    Weighted sum of five terms from the scenario's ``[control.reward]``, each reported in
    ``info["reward_terms"]``: guest satisfaction (in-house guests, per room and hour),
    thermal discomfort (Kh per zone), electricity cost, unsafe set-points in occupied
    zones (K outside the safe band), and set-point oscillation (K of change beyond a
    tolerance).

    ## Episode End

    Never ``terminated`` (a hotel has no terminal state); ``truncated`` at the end of
    the scenario horizon.

    ## Arguments

    ``scenario``: path, shipped name or :class:`~twin.scenario.Scenario` (default: the
    shipped hotel);
    ``personal_data``: whether consented stated preferences are observed (and counted in
    the ``personal_data_used`` KPI).

    ## Version History

    * v0: first release.
    """

    venue: ClassVar[str | None] = "hotel"
    default_scenario: ClassVar[str] = "hotel"


class HotelVectorEnv(TwinVectorEnv):
    """``num_envs`` hotel copies as one batch: ``twin/Hotel-v0``'s native vector env."""

    venue: ClassVar[str | None] = "hotel"
    default_scenario: ClassVar[str] = "hotel"


HotelEnv.__doc__ = (
    (HotelEnv.__doc__ or "")
    .replace("    ZONE_TABLE", _doc_table()[0])
    .replace("    GLOBAL_TABLE", _doc_table()[1])
)
assert F_ZONE == 16 and F_GLOBAL == 10
