"""The smart-retail store venue: floor geometry (and, later, shoppers and their model)."""

from agents.store.floorplan import (
    AISLE,
    CHECKOUT,
    ENTRANCE,
    KIND_NAMES,
    SECTION,
    WALL,
    FloorPlan,
    cell_at,
)

__all__ = [
    "AISLE",
    "CHECKOUT",
    "ENTRANCE",
    "KIND_NAMES",
    "SECTION",
    "WALL",
    "FloorPlan",
    "cell_at",
]
