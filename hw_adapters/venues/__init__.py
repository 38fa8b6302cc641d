"""Site bindings: what each venue needs from a real site, and what its rig publishes.

A venue's policy sees an observation encoded from Measurements plus the venue's context
(:mod:`twin.venues`). On a site the Measurements come from sensor points, and the
context from the site's own systems (a hotel's property-management system, a store's
checkout and loyalty app), which the rig publishes as a retained JSON *feed* on its
broker (:mod:`hw_adapters.feed`). A binding does, per venue:

- on the rig side, turn the World's state into the feed's ``context`` object, enforcing
  the consent rule at the source (a non-consenting person's preferences are never
  published);
- on the deploy side, rebuild the venue's context (the same ``NamedTuple`` the twin's
  encoder takes) from the feed and the point readings, so that ``twin deploy`` encodes
  observations with exactly the twin's encoder;
- say which points a policy needs, decode actions without clipping (the safety envelope
  judges what the policy really asked for) and estimate the occupants' heat for the
  replay of ``twin validate``.

The registry maps a scenario's ``venue`` to its binding, imported on first use, as
:mod:`twin.venues` maps venues to plugins. A new venue adds one line here and one
module. A site is one building; for the home venue, whose scenario is a neighbourhood,
:func:`site_scenario` pins the one home a site is (:mod:`hw_adapters.venues.home`).

>>> sorted(binding_names())
['home', 'hotel', 'store']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from twin.errors import PointMapError, ScenarioError

if TYPE_CHECKING:
    from hw_adapters.venues.base import SiteBinding
    from twin.scenario import Scenario
    from twin.venues.base import Task

_REGISTRY: dict[str, str] = {
    "hotel": "hw_adapters.venues.hotel:HotelSite",
    "store": "hw_adapters.venues.store:StoreSite",
    "home": "hw_adapters.venues.home:HomeSite",
}


def binding_names() -> tuple[str, ...]:
    """Venues that can run on a site."""
    return tuple(_REGISTRY)


def site_binding(task: Task) -> SiteBinding:
    """The site binding of the task's venue, built for ``task``.

    Raises:
        PointMapError: the venue has no site binding yet.
    """
    venue = task.world.scenario.venue
    entry = _REGISTRY.get(venue)
    if entry is None:
        raise PointMapError(
            f"venue {venue!r} cannot run on a site yet: bindings exist for "
            f"{', '.join(_REGISTRY)} (hw_adapters/venues/)"
        )
    module, _, cls = entry.partition(":")
    return getattr(import_module(module), cls)(task)  # type: ignore[no-any-return]


def site_scenario(scenario: Scenario, home: int | None = None) -> Scenario:
    """The scenario of the one site that runs: home ``home`` of a neighbourhood, else as is.

    Raises:
        ScenarioError: ``home`` is given for a venue other than the home, or is not a
            home of the neighbourhood.
    """
    if scenario.venue == "home":
        from hw_adapters.venues.home import home_site_scenario

        return home_site_scenario(scenario, home)
    if home is not None:
        raise ScenarioError(
            f"--home {home}: scenario {scenario.name!r} is a {scenario.venue}, not a "
            "neighbourhood of homes; leave --home out"
        )
    return scenario
