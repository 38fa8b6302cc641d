"""A home of a neighbourhood as a Gymnasium environment (``twin/Home-v0``)."""

from __future__ import annotations

from typing import ClassVar

from twin.envs.core import TwinEnv
from twin.envs.vector import TwinVectorEnv
from twin.venues.home.task import HOME_FEATURES, ZONE_FEATURES
from twin.world import SITE_FEATURES


def _doc_tables() -> tuple[str, str, str]:
    zone = [f"    | {j} | ``{n}`` | {u} | {d} |" for j, (n, u, d) in enumerate(ZONE_FEATURES)]
    home = [f"    | {j} | ``{n}`` | {u} | {d} |" for j, (n, u, d) in enumerate(HOME_FEATURES)]
    site = [f"    | {j} | ``{n}`` | {u} |" for j, (n, u) in enumerate(SITE_FEATURES)]
    return "\n".join(zone), "\n".join(home), "\n".join(site)


class HomeEnv(TwinEnv):
    """Heat (and cool) one home of a neighbourhood for the household living in it.

    Every reset draws a new home from the scenario's building stock and a new household
    (type, members, routines, preferences, consent), so a policy learns to serve the
    whole stock. Each step is one control step (15 minutes in the shipped scenarios);
    an episode is the scenario's horizon. Residents follow their routines, switch their
    lights and override the thermostat when they stay uncomfortable: an override holds
    until the thermostat program's next change, and the observation shows it.

    ## Observation Space

    ``Box(low, high, (n_zones * 13 + 3 + 10,), float32)``, bounded by each feature's
    range: for each zone ``z`` the 13 features below at ``obs[13 z + j]``, then the
    home's 3 features, then the 10 site features. Only what a learning thermostat
    knows: its sensors, its log, its program and, for households that consented (and
    only if ``personal_data=True``), the routine and set-points it learned from them.

    | j | feature | unit | meaning |
    |---|---|---|---|
    ZONE_TABLE

    Home features (after the zone blocks):

    | j | feature | unit | meaning |
    |---|---|---|---|
    HOME_TABLE

    Site features (last):

    | j | feature | unit |
    |---|---|---|
    SITE_TABLE

    ## Action Space

    ``Box(-1, 1, (2 * n_zones,), float32)``, zone-major: ``action[2 z]`` and
    ``action[2 z + 1]`` are zone ``z``'s heating and cooling set-points, mapped onto
    ``[control.setpoint_min_c, control.setpoint_max_c]`` (deg C; cooling is raised to at
    least 0.5 K above heating). A resident's override beats the action until it ends.

    ## Rewards

    Weighted sum of six terms (weights from ``[control.reward]`` and
    ``[home.reward]``), each in ``info["reward_terms"]``, all about what a thermostat
    controls: residents' thermal comfort (``satisfaction`` x ``1 - comfort`` per present
    resident-hour, comfort relative to each resident's own preference), discomfort
    (``discomfort`` x kelvin-hours residents spend outside their own comfort range),
    electricity cost under the time-of-use tariff, residents' overrides, unsafe set-points
    in occupied zones, set-point oscillation.

    ## Episode End

    Never ``terminated``; ``truncated`` at the end of the scenario horizon.

    ## Arguments

    ``scenario``: path, shipped name or :class:`~twin.scenario.Scenario` (default: the
    shipped neighbourhood, ``homes``); ``personal_data``: whether the thermostat may
    learn and show consenting households' routines (counted in ``personal_data_used``).

    ## Version History

    * v0: first release.
    """

    venue: ClassVar[str | None] = "home"
    default_scenario: ClassVar[str] = "homes"


class HomeVectorEnv(TwinVectorEnv):
    """``num_envs`` homes as one batch: ``twin/Home-v0``'s native vector env."""

    venue: ClassVar[str | None] = "home"
    default_scenario: ClassVar[str] = "homes"


_zone, _home, _site = _doc_tables()
HomeEnv.__doc__ = (
    (HomeEnv.__doc__ or "")
    .replace("    ZONE_TABLE", _zone)
    .replace("    HOME_TABLE", _home)
    .replace("    SITE_TABLE", _site)
)
