"""Load the hand-curated sample data (the NSPCC article) into a workspace; loading twice adds nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storage import library
from storage.models import Entity, Source, Statistic
from storage.partial_date import PartialDate

SAMPLE = Path(__file__).parent / "sample_data" / "nspcc-facebook-apps-2021.json"


def _date(text: str | None) -> PartialDate | None:
    return PartialDate.parse(text) if text else None


def load(session: Session, workspace_id: int, path: Path = SAMPLE) -> dict[str, int]:
    """Load a curated data file; returns how many figures and quotes it holds."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    sources: dict[str, Source] = {}
    for raw in data["sources"]:  # listed primary first, so each cited source already exists
        sources[raw["key"]] = library.source(
            session,
            workspace_id,
            title=raw["title"],
            publisher=raw["publisher"],
            url=raw["url"],
            published=_date(raw["published"]),
            notes=raw["notes"],
            cites=sources[raw["cites"]] if raw["cites"] else None,
        )
    entities: dict[str, Entity] = {}
    for raw in data["entities"]:
        entities[raw["name"]] = library.entity(
            session,
            workspace_id,
            raw["name"],
            kind=raw["kind"],
            aliases=raw["aliases"],
            owner=entities[raw["owner"]] if raw["owner"] else None,
        )

    def topics(names: list[str]) -> list[Any]:
        return [library.topic(session, workspace_id, name) for name in names]

    figures: dict[str, Statistic] = {}
    for raw in data["statistics"]:
        figures[raw["key"]] = library.statistic(
            session,
            workspace_id,
            value=Decimal(raw["value"]),
            unit=raw["unit"],
            value_text=raw["value_text"],
            measure=raw["measure"],
            period_start=_date(raw["period_start"]),
            period_end=_date(raw["period_end"]),
            geography=raw["geography"],
            evidence=raw["evidence"],
            notes=raw["notes"],
            source=sources[raw["source"]],
            via=sources[raw["via"]] if raw["via"] else None,
            base=figures[raw["base"]] if raw["base"] else None,
            entities=[entities[name] for name in raw["entities"]],
            topics=topics(raw["topics"]),
        )
    for raw in data["quotes"]:
        library.quote(
            session,
            workspace_id,
            text=raw["text"],
            speaker=raw["speaker"],
            speaker_role=raw["speaker_role"],
            speaker_org=raw["speaker_org"],
            context=raw["context"],
            said=_date(raw["said"]),
            source=sources[raw["source"]],
            via=sources[raw["via"]] if raw["via"] else None,
            entities=[entities[name] for name in raw["entities"]],
            topics=topics(raw["topics"]),
        )
    return {"figures": len(data["statistics"]), "quotes": len(data["quotes"])}
