"""Scenario section for controllers: action bounds and the RL reward's weights."""

from __future__ import annotations

from pydantic import model_validator

from twin.scenario.base import NonNegFloat, ScenarioModel, Temperature


class Reward(ScenarioModel):
    """Weights of the reward terms (each term is also reported in ``info``).

    Per step: ``satisfaction`` x in-house guests' satisfaction summed over rooms and
    divided by the number of rooms, per hour; minus ``discomfort`` x Kh per zone;
    minus ``energy_cost`` x the step's electricity cost; minus ``unsafe`` x K of
    set-point outside the safe band in occupied zones (per zone, per hour); minus
    ``oscillation`` x K of set-point change beyond ``oscillation_tolerance_k`` per zone.
    """

    satisfaction: NonNegFloat = 1.0
    discomfort: NonNegFloat = 1.0
    energy_cost: NonNegFloat = 0.1
    unsafe: NonNegFloat = 1.0
    oscillation: NonNegFloat = 0.05
    oscillation_tolerance_k: NonNegFloat = 1.0


class Control(ScenarioModel):
    """Physical range of the set-point action and the safe band for occupied zones."""

    setpoint_min_c: Temperature = 15.0
    setpoint_max_c: Temperature = 27.0
    safe_min_c: Temperature = 18.0
    safe_max_c: Temperature = 26.0
    reward: Reward = Reward()

    @model_validator(mode="after")
    def _check(self) -> Control:
        if self.setpoint_min_c >= self.setpoint_max_c:
            raise ValueError(
                f"setpoint_min_c = {self.setpoint_min_c} must be below setpoint_max_c = "
                f"{self.setpoint_max_c}: setpoint bounds are inverted"
            )
        if self.safe_min_c >= self.safe_max_c:
            raise ValueError(
                f"safe_min_c = {self.safe_min_c} must be below safe_max_c = {self.safe_max_c}"
            )
        return self
