"""Live dashboard (``twin dashboard``): a scenario of any venue in the browser, or a replay.

:mod:`twin.dashboard.views` and :mod:`twin.dashboard.session` are UI-free (NumPy only);
:mod:`twin.dashboard.app` is the Solara page and :mod:`twin.dashboard.server` starts it.
"""
