"""What a venue plugin provides to the World.

The World owns what every venue shares: the clock, the building and its physics state,
weather, tariff, the commands in force, sensors and the building KPIs. A :class:`Venue`
owns the rest: its people (SimPy processes, a Mesa model and occupant arrays per copy),
the fused step kernel that runs the building passes of :mod:`twin.physics.passes` around
its occupant pass, its KPIs and records, and the context its observation encoder adds
to the Measurements.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from twin.interface import Commands

if TYPE_CHECKING:
    from twin.building import Building
    from twin.physics.passes import StepWeather, ZoneCommands
    from twin.scenario import Scenario
    from twin.world import World

#: A copy's random streams by name (see :func:`twin.seeding.spawn_streams`).
Streams = Mapping[str, np.random.Generator]


class Task(Protocol):
    """A venue's World as an RL task: observation, action mapping and reward, batched.

    The observation is encoded from the World's Measurements and the venue's context
    only (the same encoder runs on hardware readings); actions are float32 in [-1, 1].
    """

    world: World
    personal_data: bool
    obs_size: int
    act_size: int
    obs_low: np.ndarray
    obs_high: np.ndarray
    reward_terms: tuple[str, ...]

    def observe(self, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Flat observations ``(n_envs, obs_size)`` and whose personal data they disclose."""
        ...

    def decode(self, action: np.ndarray) -> Commands:
        """Normalised actions ``(n_envs, act_size)`` -> physical commands."""
        ...

    def reward(self, commands: Commands) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per-copy reward of the step just taken and its weighted terms by name."""
        ...

    def reset_reward(self) -> None:
        """Forget what the reward remembers between steps (start of an episode)."""
        ...


class Venue(ABC):
    """The people and operations of one venue in every copy of a World.

    Args:
        world: the World it lives in (its scenario, building, clock and state arrays).
    """

    #: The scenario's ``venue`` value this plugin runs.
    name: ClassVar[str]
    #: Whether the World resolves commands through its priority array (override > policy >
    #: schedule) because the venue's occupants can override them (see World.override).
    arbitrated: ClassVar[bool] = False
    #: Whether the venue's step kernel resolves the World's priority arrays itself (writes
    #: the policy and schedule levels and resolves every point as
    #: :meth:`twin.arbitration.PriorityArray.resolve` does) instead of the World doing it
    #: in NumPy before the step: for venues with thousands of copies.
    arbitration_in_kernel: ClassVar[bool] = False
    #: Whether the venue's task is zone-major (has a ``zone_layout`` for per-zone policies).
    zone_layout: ClassVar[bool] = False
    #: Training hyperparameters ``twin train`` uses for this venue (``TrainConfig`` fields
    #: that differ from its defaults), found to learn within the README's budget.
    train_defaults: ClassVar[dict[str, Any]] = {}
    #: Module with the venue's run-directory artefacts: ``timeseries_columns(scenario,
    #: episode)`` and ``write_artifacts(out, scenario, episode)`` (see twin.report).
    report: ClassVar[str]
    #: KPIs an evaluation summarises with confidence intervals, most important first.
    headline_kpis: ClassVar[tuple[str, ...]] = ("energy_kwh", "cost", "discomfort_kh")

    def __init__(self, world: World) -> None:
        self.world = world

    @classmethod
    def run_copies(cls, scenario: Scenario) -> int:
        """How many copies a ``twin run`` of ``scenario`` simulates together (default 1).

        A venue whose run is many copies (a neighbourhood of homes, one per copy) says
        so here; the run then steps that many copies under one sky and reports
        :meth:`run_kpis` and :meth:`run_records`.
        """
        return 1

    def run_kpis(self) -> dict[str, float]:
        """KPIs of a run of :meth:`run_copies` copies so far (unrounded): copy 0's by default."""
        return {**self.world.building_kpis(0), **self.kpis(0)}

    def run_records(self) -> list[dict[str, Any]]:
        """Occupant records of a run of :meth:`run_copies` copies: copy 0's by default."""
        return self.records(0)

    def copy_building(self, e: int, streams: Streams) -> Building | None:
        """The building copy ``e`` stands in, or ``None`` for the scenario's.

        Called at every reset before the copy's domain randomisation (which then scales
        this building): a venue whose copies are different buildings (homes of a stock)
        draws copy ``e``'s here, from its ``stock`` stream. It must have the scenario's
        number of zones.
        """
        return None

    @abstractmethod
    def reset(self, streams: Sequence[Streams], variants: Sequence[Mapping[str, float]]) -> None:
        """Start every copy's people afresh on the World's new SimPy clock.

        Args:
            streams: each copy's random streams (``events`` and ``agents`` are the
                venue's; the others belong to the World).
            variants: each copy's domain-randomisation draw (e.g. ``preference_spread``).
        """

    @abstractmethod
    def advance(
        self,
        cmd: ZoneCommands,
        weather: StepWeather,
        venue_commands: Mapping[str, np.ndarray],
        disclosed: np.ndarray | None,
    ) -> None:
        """Run one control step of every copy: one call of the venue's fused step kernel.

        The kernel runs the building passes with the venue's occupants and writes the
        World's zone outputs, occupancy and building KPI accumulators.

        Args:
            cmd: the zone commands in force.
            weather: this step's site inputs.
            venue_commands: the venue's own actuators (:data:`twin.interface.VENUE_COMMANDS`).
            disclosed: which occupants' personal data the policy saw this step (shape is
                the venue's), for the ``personal_data_used`` KPI; ``None``: nobody's.
        """

    @abstractmethod
    def kpis(self, e: int) -> dict[str, float]:
        """The venue's KPIs of copy ``e`` so far (unrounded; the World rounds)."""

    @abstractmethod
    def task(self, personal_data: bool = True) -> Task:
        """This venue's RL task over the World (observation encoder, actions, reward)."""

    def records(self, e: int) -> list[dict[str, Any]]:
        """One pseudonymous record per occupant of copy ``e`` (e.g. a guest stay)."""
        return []

    def settle(self) -> None:  # noqa: B027 - optional hook, nothing to settle by default
        """After the step's discrete events: bring what sensors report up to date.

        E.g. people counts, after arrivals and departures the SimPy clock just ran.
        """

    def snapshot(self, e: int) -> dict[str, np.ndarray]:
        """The venue's state of copy ``e`` now, for a run's recorded time series."""
        return {}

    def sync_agents(self) -> None:  # noqa: B027 - optional hook, nothing to sync by default
        """Move every Mesa agent to the cell its state puts it in (structure, not dynamics)."""
