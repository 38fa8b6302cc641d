"""Without mosquitto the MQTT tests fail loudly, unless a developer opts out."""

from __future__ import annotations

import pytest

from tests.hw import conftest


def test_missing_broker_fails_unless_skipping_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "find_mosquitto", lambda: None)
    monkeypatch.delenv("TWIN_HW_TESTS", raising=False)
    with pytest.raises(pytest.fail.Exception, match="make system-deps"):
        conftest.need_mosquitto()
    monkeypatch.setenv("TWIN_HW_TESTS", "skip")
    with pytest.raises(pytest.skip.Exception, match="TWIN_HW_TESTS=skip"):
        conftest.need_mosquitto()
