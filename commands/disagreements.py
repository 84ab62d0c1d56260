"""Figures that disagree, in words: the lines answers and review cards show, `/stats conflicts` and `/stats house`."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock
from sqlalchemy.orm import Session

from commands.reply import MESSAGE_BLOCK_LIMIT, Reply, context, provenance, say, section
from commands.text import clip, escape, format_value, plural
from storage import conflicts
from storage.conflicts import Conflict, Kind
from storage.models import Statistic
from storage.partial_date import human_period

LISTED = 8
MEMBERS_SHOWN = 6
OTHERS_SHOWN = 3
CHOOSE_HINT = "An editor can choose the house figure: `/stats house ID reason`."


def _short(stat: Statistic) -> str:
    """ "#12: 24% (Apr 2014 - Mar 2016, UK) reported by Daily Mail"."""
    where_when = ", ".join(p for p in (human_period(*stat.period), stat.geography) if p)
    return (
        f"#{stat.id}: *{format_value(stat.value, stat.unit)}*"
        + (f" ({escape(where_when)})" if where_when else "")
        + f" reported by {escape(stat.source.label)}"
    )


def _some(others: Sequence[Statistic]) -> str:
    """Up to three figures in short, then how many more: an answer's section has room for its sources too."""
    shown = "; ".join(_short(o) for o in others[:OTHERS_SHOWN])
    return shown + (f"; and {len(others) - OTHERS_SHOWN} more" if len(others) > OTHERS_SHOWN else "")


def _why(conflict: Conflict) -> str:
    return f"likely {conflict.reason.value}: {conflicts.EXPLAINED[conflict.reason]}"


def house_first(items: list[Statistic], by_figure: dict[int, list[Conflict]]) -> list[Statistic]:
    """Each house figure moved ahead of the first figure it was chosen over (others keep their order)."""
    ordered = list(items)
    for conflict in {id(c): c for cs in by_figure.values() for c in cs}.values():
        if conflict.house is None:
            continue
        shown = [i for i, s in enumerate(ordered) if s.id in conflict.ids]
        house_at = next((i for i in shown if ordered[i].id == conflict.house.statistic_id), None)
        if house_at is not None and shown and house_at > shown[0]:
            ordered.insert(shown[0], ordered.pop(house_at))
    return ordered


def answer_lines(stat: Statistic, in_conflicts: Sequence[Conflict]) -> list[str]:
    """What an answer says of a figure that disagrees with others."""
    lines = []
    for conflict in in_conflicts:
        others = conflict.others(stat)
        if conflict.house is not None and conflict.house.statistic_id == stat.id:
            lines.append(
                f":house: *House figure*, chosen by <@{conflict.house.chosen_by}>: "
                f"{escape(clip(conflict.house.reason, 300))}. "
                f"{plural(len(others), 'other report')} differ: " + _some(others)
            )
        elif conflict.house is not None:
            house = next(f for f in conflict.figures if f.id == conflict.house.statistic_id)
            lines.append(f":warning: *Not the house figure.* Cite {_short(house)} instead")
        else:
            what = "the same measure, period and place" if conflict.kind is Kind.VALUES else "the same figure"
            lines.append(
                f":warning: *Sources disagree* on {what}: "
                + _some(others)
                + f" ({_why(conflict)}). `/stats conflicts` shows them side by side"
            )
    return lines


def review_lines(stat: Statistic, in_conflicts: Sequence[Conflict]) -> list[str]:
    """What a review card says: the stored figures this one disagrees with, and why."""
    lines = []
    for conflict in in_conflicts:
        others = conflict.others(stat)
        what = (
            "different values for the same measure, period and place"
            if conflict.kind is Kind.VALUES
            else ("the same figure with a different period")
        )
        lines.append(
            ":warning: *Conflicts with* "
            + _some(others)
            + f": {what} ({_why(conflict)})"
        )
    return lines


def _side_by_side(conflict: Conflict) -> list[Block]:
    kind = "Different values" if conflict.kind is Kind.VALUES else "Different periods for one figure"
    state = (
        f"house figure #{conflict.house.statistic_id} (<@{conflict.house.chosen_by}>: "
        f"{escape(clip(conflict.house.reason, 300))})"
        if conflict.house is not None
        else "open"
    )
    blocks: list[Block] = [section(f"*{kind}*, {_why(conflict)}. Now: {state}")]
    for stat in conflict.figures[:MEMBERS_SHOWN]:
        lines = [
            f"*#{stat.id}* *{format_value(stat.value, stat.unit)}* {escape(clip(stat.measure, 300))}",
            escape(" · ".join(p for p in (human_period(*stat.period) or "no period", stat.geography) if p)),
            *provenance(stat.source, stat.via_source),
        ]
        blocks.append(section("\n".join(lines)))
    if len(conflict.figures) > MEMBERS_SHOWN:
        rest = ", ".join(f"#{f.id}" for f in conflict.figures[MEMBERS_SHOWN:])
        blocks.append(context(f"…and {len(conflict.figures) - MEMBERS_SHOWN} more: {rest}"))
    return blocks


def listing(session: Session, workspace_id: int) -> Reply:
    """`/stats conflicts`: the open ones side by side, then how many are settled."""
    found = conflicts.all_conflicts(session, workspace_id)
    open_ = [c for c in found if not c.settled]
    settled = len(found) - len(open_)
    if not open_:
        message = (
            "No figures disagree." if not found else f"No open conflicts ({plural(settled, 'settled')})."
        )
        return say(message)
    blocks: list[Block] = [
        section(f"*{plural(len(open_), 'open conflict')}* between stored figures. {CHOOSE_HINT}")
    ]
    shown = 0
    for conflict in open_[:LISTED]:
        more = [DividerBlock(), *_side_by_side(conflict)]
        if len(blocks) + len(more) > MESSAGE_BLOCK_LIMIT - 1:  # room for the closing line
            break
        blocks += more
        shown += 1
    extra = []
    if len(open_) > shown:
        extra.append(f"…and {len(open_) - shown} more.")
    if settled:
        extra.append(f"{plural(settled, 'conflict')} settled with a house figure.")
    if extra:
        blocks.append(context(" ".join(extra)))
    return Reply(text=f"{plural(len(open_), 'open conflict')}", blocks=blocks)


def chosen(stat: Statistic, conflict: Conflict) -> Reply:
    others = ", ".join(f"#{o.id}" for o in conflict.others(stat))
    message = f"Figure #{stat.id} is now the house figure over {others}. Answers show it first and say that others exist."
    return say(message)
