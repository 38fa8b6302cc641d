"""The command priority array: override > policy > schedule > default, as BACnet's."""

from __future__ import annotations

import numpy as np
import pytest

from twin.arbitration import DEFAULT, SOURCES, PriorityArray


def test_highest_priority_value_wins_and_relinquish_falls_back():
    arr = PriorityArray((2, 3), default=np.array([15.0, 16.0, 17.0]))
    value, source = arr.resolve()
    np.testing.assert_array_equal(value, [[15, 16, 17], [15, 16, 17]])
    assert (source == DEFAULT).all()
    arr.write("schedule", np.full((2, 3), 19.0))
    arr.write("policy", np.full((2, 3), 21.0), where=np.array([[True, False, True]] * 2))
    arr.write("override", np.full((2, 3), 24.0), where=np.eye(2, 3, dtype=bool))
    value, source = arr.resolve()
    np.testing.assert_array_equal(value, [[24, 19, 21], [21, 24, 21]])
    names = np.array([*SOURCES, "default"])[source]
    assert names.tolist() == [
        ["override", "schedule", "policy"],
        ["policy", "override", "policy"],
    ]
    arr.relinquish("override", where=np.array([[True, False, False], [False, False, False]]))
    assert arr.resolve()[0].tolist() == [[21, 19, 21], [21, 24, 21]]
    assert arr.holds("override").sum() == 1
    arr.relinquish("override")
    arr.relinquish("policy")
    arr.relinquish("schedule")
    assert (arr.resolve()[1] == DEFAULT).all()


def test_unknown_source_is_named():
    with pytest.raises(ValueError, match="unknown command source 'occupant'"):
        PriorityArray((1,), 0.0).write("occupant", np.zeros(1))
