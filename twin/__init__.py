"""twin: digital-twin simulation environment for personalised physical services."""

__version__ = "0.1.0"
