"""The items of the NSPCC sample data (storage.sample, loaded by the `home_id` fixture) that tests point at."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.db import make_sessions
from storage.models import Statistic


def share_id(engine: Engine) -> int:
    """The sample's 52% share (Oct 2019 - Sep 2020), which `/stats facebook` shows."""
    with make_sessions(engine)() as session:
        found = session.scalar(select(Statistic.id).where(Statistic.unit == "percent"))
    assert found is not None
    return found
