"""Venue plugins: what a hotel, a store or a home adds to the venue-neutral World.

The registry maps a scenario's ``venue = "..."`` to the plugin class, named by an
import path and imported only when a World of that venue is built (as Gymnasium's
registry names entry points). Adding a venue adds one line here and its own package;
it touches no other venue's files.

>>> sorted(venue_names())
['home', 'hotel', 'store']
>>> venue_class("hotel").name
'hotel'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from twin.errors import ScenarioError

if TYPE_CHECKING:
    from twin.venues.base import Venue

#: Venue name -> ``"module:Class"`` of its plugin.
_REGISTRY: dict[str, str] = {
    "hotel": "twin.venues.hotel.venue:HotelVenue",
    "home": "twin.venues.home.venue:HomeVenue",
    "store": "twin.venues.store.venue:StoreVenue",
}


def register_venue(name: str, entry_point: str) -> None:
    """Register a venue plugin class by its import path ``"package.module:Class"``."""
    if name in _REGISTRY and _REGISTRY[name] != entry_point:
        raise ValueError(f"venue {name!r} is already registered as {_REGISTRY[name]}")
    _REGISTRY[name] = entry_point


def venue_names() -> tuple[str, ...]:
    """Names of the registered venues."""
    return tuple(_REGISTRY)


def venue_class(name: str) -> type[Venue]:
    """The plugin class of venue ``name`` (imported on first use)."""
    try:
        entry = _REGISTRY[name]
    except KeyError:
        raise ScenarioError(
            f"venue = {name!r} has no simulation; the World runs {', '.join(_REGISTRY)} "
            "(use `twin simulate` for a building alone)"
        ) from None
    module, _, cls = entry.partition(":")
    return getattr(import_module(module), cls)  # type: ignore[no-any-return]
