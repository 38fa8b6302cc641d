"""Error hierarchy for twin.

Every failure a user can cause (a bad scenario, a clashing run directory, a missing
optional dependency) raises a :class:`TwinError` subclass whose message names the bad
value and the fix. The CLI prints these as one line and exits non-zero; anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations


class TwinError(Exception):
    """Base class of all errors a user of twin can cause and fix."""


class ScenarioError(TwinError, ValueError):
    """A scenario file or object is invalid: the message names the field path."""


class WeatherError(TwinError, ValueError):
    """A weather source is invalid (for EPW files the message names the line)."""


class RunDirectoryError(TwinError):
    """A run directory cannot be created or would be overwritten."""


class DependencyNotInstalled(TwinError, ImportError):
    """An optional dependency is missing; the message carries the pip hint."""


class PolicyError(TwinError, ValueError):
    """A policy name or file is unknown, or a policy broke the consent rules."""


class PointMapError(TwinError, ValueError):
    """A site's point map is invalid or does not cover what a policy needs.

    The message has one line per problem, naming the file, the point and the field.
    """


class HardwareError(TwinError, RuntimeError):
    """A device, broker or protocol endpoint failed: unreachable, refused or timed out.

    The message names the endpoint, the point and what to check. Writes that raise this
    were not confirmed by the device; the controller records them as ``failed``.
    """
