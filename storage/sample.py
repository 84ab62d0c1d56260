"""Load the hand-curated sample data (the NSPCC article) into a workspace; loading twice adds nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storage import write
from storage.models import Entity
from storage.partial_date import PartialDate

SAMPLE = Path(__file__).parent / "sample_data" / "nspcc-facebook-apps-2021.json"
ACTOR = "system"


def _date(text: str | None) -> PartialDate | None:
    return PartialDate.parse(text) if text else None


def load(session: Session, workspace_id: int, path: Path = SAMPLE) -> dict[str, int]:
    """Load a curated data file through the one write path; returns how many figures and quotes it holds."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    sources: dict[str, write.SourceSpec] = {}
    for raw in data["sources"]:  # listed primary first, so each cited source is already described
        sources[raw["key"]] = write.SourceSpec(
            title=raw["title"], publisher=raw["publisher"], url=raw["url"], published=_date(raw["published"]),
            notes=raw["notes"], cites=sources[raw["cites"]] if raw["cites"] else None,
        )  # fmt: skip
    write.sources(session, workspace_id, list(sources.values()))
    entities: dict[str, Entity] = {}
    for raw in data["entities"]:
        entities[raw["name"]] = write.entity(
            session, workspace_id, raw["name"], kind=raw["kind"], aliases=raw["aliases"],
            owner=entities[raw["owner"]] if raw["owner"] else None,
        )  # fmt: skip
    figure_ids: dict[str, int] = {}
    for raw in data["statistics"]:  # one by one: a share names the figure it is a share of by its id
        stored, _ = write.add_one(
            session, workspace_id,
            write.NewFigure(
                value=Decimal(raw["value"]), unit=raw["unit"], value_text=raw["value_text"],
                measure=raw["measure"], period_start=_date(raw["period_start"]),
                period_end=_date(raw["period_end"]), geography=raw["geography"], evidence=raw["evidence"],
                notes=raw["notes"], source=sources[raw["source"]],
                via=sources[raw["via"]] if raw["via"] else None,
                base_id=figure_ids[raw["base"]] if raw["base"] else None,
                entities=tuple(raw["entities"]), topics=tuple(raw["topics"]),
            ),
            actor=ACTOR,
        )  # fmt: skip
        figure_ids[raw["key"]] = stored.id
    write.add(
        session, workspace_id,
        [
            write.NewQuote(
                text=raw["text"], speaker=raw["speaker"], speaker_role=raw["speaker_role"],
                speaker_org=raw["speaker_org"], context=raw["context"], said=_date(raw["said"]),
                source=sources[raw["source"]], via=sources[raw["via"]] if raw["via"] else None,
                entities=tuple(raw["entities"]), topics=tuple(raw["topics"]),
            )
            for raw in data["quotes"]
        ],
        actor=ACTOR,
    )  # fmt: skip
    return {"figures": len(data["statistics"]), "quotes": len(data["quotes"])}
