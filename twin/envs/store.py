"""The store as a Gymnasium environment (``twin/Store-v0``)."""

from __future__ import annotations

from typing import ClassVar

from twin.envs.core import TwinEnv
from twin.envs.vector import TwinVectorEnv


class StoreEnv(TwinEnv):
    """Adapt a store's ambience and displays to the shoppers in it.

    Each step is one control step of the scenario (1 minute in the shipped store); an
    episode is the scenario's horizon (a store day). Shoppers arrive, walk the floor
    plan between the sections on their list, stop at others they are drawn to, notice
    displays, buy, queue at the checkout and leave; the agent sets every zone's
    set-points, lighting, music genre and volume, and what each display promotes.

    ## Observation Space

    ``Box(low, high, (n_zones F_Z + n_displays F_D + 15,), float32)``: per zone the
    sensed temperature, presence, people counted, applied set-points, illuminance,
    music volume and genre (one-hot), and the number and mean stated preferences
    (temperature, light level and colour, volume, genre liking, category affinity) of
    the consenting shoppers in it; per display the category shown (one-hot), the people
    near it, and the consenting shoppers near it with their mean category affinity; then
    the site (time, weather, forecast, price), shoppers in the store, the checkout queue,
    minutes to opening and to closing, and whether the store is open. Shoppers who did
    not consent are only ever counted. Feature names and bounds:
    :class:`twin.venues.store.task.StoreEncoder` (``zone_features``,
    ``display_features``, ``low``, ``high``).

    ## Action Space

    ``Box(-1, 1, (n_zones (5 + G) + n_displays C,), float32)``: per zone the heating
    and cooling set-points (onto ``[control.setpoint_min_c, setpoint_max_c]``, deg C;
    the cooling set-point is raised to at least 0.5 K above the heating one), the light
    level (onto ``[0, max_lux]``), colour temperature (onto ``[cct_min_k, cct_max_k]``)
    and music volume (onto ``store.volume_range_db``), then one score per music genre
    (the highest plays); per display one score per category (the highest is promoted).

    ## Rewards

    ``[store.reward]`` weights: revenue (basket value added, less baskets abandoned at
    the checkout), shoppers' comfort-hours, promotions noticed outside a shopper's
    favourites (the filter bubble); ``[control.reward]`` weights: thermal discomfort,
    electricity cost, unsafe set-points, set-point oscillation. Each term is reported in
    ``info["reward_terms"]``.

    ## Episode End

    Never ``terminated``; ``truncated`` at the end of the scenario horizon.

    ## Arguments

    ``scenario``: path, shipped name or :class:`~twin.scenario.Scenario` (default: the
    shipped store); ``personal_data``: whether consenting shoppers' stated preferences
    are observed (and counted in the ``personal_data_used`` KPI).

    ## Version History

    * v0: first release.
    """

    venue: ClassVar[str | None] = "store"
    default_scenario: ClassVar[str] = "store"


class StoreVectorEnv(TwinVectorEnv):
    """``num_envs`` store copies as one batch: ``twin/Store-v0``'s native vector env."""

    venue: ClassVar[str | None] = "store"
    default_scenario: ClassVar[str] = "store"
