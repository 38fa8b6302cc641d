"""twin: digital-twin simulation environment for personalised physical services.

Importing twin registers its Gymnasium environments (``twin/Hotel-v0``,
``twin/Store-v0``; see :mod:`twin.registration`).
"""

from twin.registration import register_envs

__version__ = "0.1.0"

register_envs()
