"""The `/stats` and `/quote` subcommands that look after the library: history, editors, review, corrections."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands import disagreements, table
from commands.reply import Reply, context, say_plainly, section, slack_date, slack_time
from commands.text import escape, format_value, plural
from storage import changes, conflicts, edits, embargo, freshness, mentions, roles, workspaces
from storage.models import Quote, Statistic, Status, utcnow

_ID = re.compile(r"^#?(\d{1,9})$")
EDITORS_ONLY = "Only editors can do that. `/stats editors` lists who they are."
FIRST_EDITOR_ONLY = (
    "There are no editors yet, and only the person who installed statbot or a workspace admin or owner "
    "can name the first one. Ask one of them, or whoever runs statbot (`statbot editors add U0123ABCD` "
    "on its command line)."
)
FIRST_EDITOR_UNCHECKED = (
    "statbot could not check with Slack whether you installed it or are a workspace admin or owner, so it "
    "has not named the first editor. Please try again in a minute."
)
# Whether a user may name a workspace's first editor: True, False, or None when Slack could not say.
FirstEditorCheck = Callable[[str], bool | None]
PENDING_SHOWN = 20


def answer(
    session: Session,
    workspace_id: int,
    user_id: str,
    command: str,
    text: str,
    *,
    default_review_channel: str | None = None,
    may_name_first_editor: FirstEditorCheck | None = None,
    now: datetime | None = None,
) -> Reply:
    """Run one management subcommand for `user_id`; the caller commits the session.

    With no editors yet, only those `may_name_first_editor` accepts can name one (nobody, without it)."""
    sub = table.route(command, text)
    kind = Quote if command == "/quote" else Statistic
    if sub.name == "history":
        return history(session, workspace_id, kind, sub.args)
    if sub.name == "editors":
        return editors(session, workspace_id, user_id, sub.args, may_name_first_editor)
    if sub.name == "pending":
        return pending(session, workspace_id)
    if sub.name == "conflicts":
        return disagreements.listing(session, workspace_id)
    if sub.name == "review-channel":
        return review_channel(session, workspace_id, user_id, sub.args, default_review_channel)
    if sub.row.who != "editors":
        raise ValueError(f"not a management subcommand: {text!r}")
    if not roles.is_editor(session, workspace_id, user_id):
        return say_plainly(EDITORS_ONLY)
    if sub.name == "retract":
        return retract(session, workspace_id, user_id, kind, sub.args)
    if sub.name == "supersede":
        return supersede(session, workspace_id, user_id, sub.args)
    if sub.name == "expected-update":
        return expected_update(session, workspace_id, user_id, sub.args)
    if sub.name == "house":
        return house(session, workspace_id, user_id, sub.args)
    if sub.name == "embargo":
        return embargo_item(session, workspace_id, user_id, kind, sub.args, now or utcnow())
    raise ValueError(f"not a management subcommand: {text!r}")


def _item(
    session: Session, workspace_id: int, kind: type[Statistic] | type[Quote], word: str | None
) -> Statistic | Quote | None:
    match = _ID.match(word or "")
    if match is None:
        return None
    return changes.find_item(
        session, workspace_id, "quote" if kind is Quote else "figure", int(match.group(1))
    )


def _noun(kind: type[Statistic] | type[Quote]) -> str:
    return "Quote" if kind is Quote else "Figure"


def describe(item: Statistic | Quote) -> str:
    if isinstance(item, Quote):
        return f"“{escape(item.text[:200])}” ({escape(item.speaker)})"
    return f"{format_value(item.value, item.unit)} {escape(item.measure)}"


def history(
    session: Session, workspace_id: int, kind: type[Statistic] | type[Quote], args: list[str]
) -> Reply:
    item = _item(session, workspace_id, kind, args[0] if args else None)
    command = "/quote" if kind is Quote else "/stats"
    if item is None:
        number = _ID.match(args[0]) if args else None
        if number is not None:
            # The same words whether #N never existed or is another workspace's: nothing leaks.
            return say_plainly(
                f"There is no {_noun(kind).lower()} #{number.group(1)} here. Say which {_noun(kind).lower()} "
                f"by its number, as shown under each answer, e.g. `{command} history 12`."
            )
        return say_plainly(f"Say which {_noun(kind).lower()} by its number, e.g. `{command} history 12`.")
    entries = changes.history(session, workspace_id, changes.kind_of(item), item.id)
    lines = [f"*{_noun(kind)} #{item.id}*: {describe(item)} (now {item.status})"]
    if not entries:
        lines.append("No changes recorded (it was stored before the audit log existed).")
    for entry in entries:
        when = slack_time(entry.at)
        who = (
            f"<@{entry.actor}>" if mentions.user_id(f"<@{entry.actor}>") else escape(entry.actor or "unknown")
        )
        detail = ""
        if entry.action in ("retract", "reject") and entry.after and entry.after.get("status_reason"):
            detail = f": {escape(str(entry.after['status_reason']))}"
        if entry.action == "supersede" and entry.after:
            detail = f" by #{entry.after.get('superseded_by_id')}"
        if entry.action == "expected_update":
            detail = freshness.history_detail(entry)
        if entry.action == "edit" and entry.before and entry.after:
            changed = sorted(k for k in entry.after if entry.before.get(k) != entry.after[k])
            detail = f" ({', '.join(changed) or 'nothing changed'})"
            if isinstance(item, Statistic) and (was := edits.was(entry.before, item, entry.after)):
                detail += f"; it was {escape(was)}"
        lines.append(f"• {when}: {entry.action}{detail} by {who}")
    return Reply(text=f"History of {_noun(kind).lower()} #{item.id}", blocks=[section("\n".join(lines))])


def editors(
    session: Session,
    workspace_id: int,
    user_id: str,
    args: list[str],
    may_name_first_editor: FirstEditorCheck | None = None,
) -> Reply:
    current = roles.editors(session, workspace_id)
    if not args or args[0].casefold() == "list":
        if not current:
            return say_plainly(
                "There are no editors yet, so anyone's submissions wait for review. "
                "The person who installed statbot, or a workspace admin or owner, can name the first with "
                "`/stats editors add @name`."
            )
        return say_plainly("*Editors:* " + ", ".join(f"<@{u}>" for u in current))
    action = args[0].casefold()
    people = [p for p in (mentions.user_id(a) for a in args[1:]) if p]
    if action in ("add", "remove") and (hint := mentions.plain_person_hint(args[1:])):
        return say_plainly(hint)
    if action not in ("add", "remove") or not people or len(people) != len(args) - 1:
        return say_plainly("Use `/stats editors`, `/stats editors add @name` or `/stats editors remove @name`.")
    if current and user_id not in current:
        return say_plainly(EDITORS_ONLY)
    if not current and action == "add":
        allowed = may_name_first_editor(user_id) if may_name_first_editor is not None else False
        if allowed is None:
            return say_plainly(FIRST_EDITOR_UNCHECKED)
        if not allowed:
            return say_plainly(FIRST_EDITOR_ONLY)
    if action == "remove" and current and set(current) <= set(people):
        # With no editors left anyone could make themselves one; the operator can still, on the CLI.
        return say_plainly("That would leave no editors. Add another editor first (or use `statbot editors remove`).")
    done = []
    for person in people:
        if action == "add" and roles.add_editor(session, workspace_id, person, added_by=user_id):
            done.append(person)
        if action == "remove" and roles.remove_editor(session, workspace_id, person):
            done.append(person)
    names = ", ".join(f"<@{p}>" for p in people)
    if not done:
        return say_plainly(f"Nothing to change: {names} {'already are' if action == 'add' else 'are not'} editors.")
    done_names = ", ".join(f"<@{p}>" for p in done)
    if action == "add":
        return say_plainly(f"{done_names} can now publish, approve and correct.")
    return say_plainly(
        f"{done_names} {'are' if len(done) > 1 else 'is'} no longer {'editors' if len(done) > 1 else 'an editor'}."
    )


def review_channel(
    session: Session, workspace_id: int, user_id: str, args: list[str], default: str | None
) -> Reply:
    if not args:
        channel = workspaces.review_channel(session, workspace_id, default)
        if channel is None:
            return say_plainly("No review channel is set. An editor can set one with `/stats review-channel #name`.")
        return say_plainly(f"Submissions are reviewed in <#{channel}>.")
    channel = mentions.channel_id(args[0])
    if channel is None and (hint := mentions.plain_channel_hint(args)):
        return say_plainly(hint)
    if channel is None or len(args) > 1:
        return say_plainly("Name one channel, e.g. `/stats review-channel #statbot-review`.")
    if not roles.is_editor(session, workspace_id, user_id):
        return say_plainly(EDITORS_ONLY)
    workspaces.set_review_channel(session, workspaces.get(session, workspace_id), channel)
    return say_plainly(f"Submissions will be posted for review in <#{channel}>. Invite me there if I am not in it.")


def pending(session: Session, workspace_id: int) -> Reply:
    waiting: list[Statistic | Quote] = [
        *changes.pending(session, workspace_id, Statistic),
        *changes.pending(session, workspace_id, Quote),
    ]
    if not waiting:
        return say_plainly("Nothing is waiting for review.")
    lines = [
        f"• {_noun(type(item))} #{item.id}: {describe(item)}, from <@{item.created_by}>"
        if item.created_by.startswith(("U", "W"))
        else f"• {_noun(type(item))} #{item.id}: {describe(item)}"
        for item in waiting[:PENDING_SHOWN]
    ]
    blocks: list[Block] = [
        section(f"*{plural(len(waiting), 'item')} waiting for review*"),
        section("\n".join(lines)),
    ]
    if len(waiting) > PENDING_SHOWN:
        blocks.append(context(f"…and {len(waiting) - PENDING_SHOWN} more."))
    return Reply(text=f"{plural(len(waiting), 'item')} waiting for review", blocks=blocks)


def retract(
    session: Session, workspace_id: int, user_id: str, kind: type[Statistic] | type[Quote], args: list[str]
) -> Reply:
    item = _item(session, workspace_id, kind, args[0] if args else None)
    reason = " ".join(args[1:])
    command = "/quote" if kind is Quote else "/stats"
    if item is None or not reason:
        return say_plainly(f"Say which and why, e.g. `{command} retract 12 the source corrected the year`.")
    try:
        changes.retract(session, item, actor=user_id, reason=reason)
    except changes.NotAllowed as refusal:
        return say_plainly(f"Cannot retract that: {escape(str(refusal))}.")
    return say_plainly(
        f"{_noun(kind)} #{item.id} is retracted and will not be given again. Reason kept: {escape(reason)}"
    )


def supersede(session: Session, workspace_id: int, user_id: str, args: list[str]) -> Reply:
    old = _item(session, workspace_id, Statistic, args[0] if args else None)
    new = _item(session, workspace_id, Statistic, args[1] if len(args) > 1 else None)
    if not isinstance(old, Statistic) or not isinstance(new, Statistic) or len(args) != 2:
        return say_plainly("Say the old figure and the one replacing it, e.g. `/stats supersede 12 40`.")
    try:
        changes.supersede(session, old, new, actor=user_id)
    except changes.NotAllowed as refusal:
        return say_plainly(f"Cannot do that: {escape(str(refusal))}.")
    return say_plainly(f"Figure #{old.id} is now shown as superseded by #{new.id}: {describe(new)}.")


def expected_update(session: Session, workspace_id: int, user_id: str, args: list[str]) -> Reply:
    """When the figure's series (same measure, place and unit) is next expected: months after its period, or a date."""
    stat = _item(session, workspace_id, Statistic, args[0] if args else None)
    usage = (
        "Say the figure and when its next release is expected: months after its period ends or a month, "
        "e.g. `/stats expected-update 12 12` or `/stats expected-update 12 2027-03` (or `none`)."
    )
    if not isinstance(stat, Statistic) or len(args) != 2:
        return say_plainly(usage)
    if stat.status not in (Status.PUBLISHED.value, Status.SUPERSEDED.value, Status.PENDING.value):
        return say_plainly(f"Cannot do that: figure #{stat.id} is {stat.status}.")
    if args[1].casefold() == "none":
        freshness.set_next_release(session, stat, None, actor=user_id)
        return say_plainly(f"The series of figure #{stat.id} no longer has an expected release date.")
    try:
        when = freshness.parse_when(args[1], stat)
    except freshness.BadWhen as problem:
        return say_plainly(f"{escape(str(problem))}. {usage}")
    freshness.set_next_release(session, stat, when, actor=user_id)
    return say_plainly(
        f"The next release of figure #{stat.id}'s series ({escape(stat.measure)}"
        f"{', ' + escape(stat.geography) if stat.geography else ''}) is expected {slack_date(when)}. "
        "Answers warn when it is due or overdue, and editors get it in the weekly note."
    )


def embargo_item(
    session: Session,
    workspace_id: int,
    user_id: str,
    kind: type[Statistic] | type[Quote],
    args: list[str],
    now: datetime,
) -> Reply:
    """`/stats embargo 12 2027-01-15 09:00 Europe/London` (or `lift`): hide #12 from all but editors and
    whoever added it until then."""
    command = "/quote" if kind is Quote else "/stats"
    usage = (
        f"Say which and until when, e.g. `{command} embargo 12 2027-01-15 09:00 Europe/London` "
        f"(a date, a 24-hour time and a time zone), or `{command} embargo 12 lift` to end it now."
    )
    item = _item(session, workspace_id, kind, args[0] if args else None)
    if item is None or len(args) < 2:
        return say_plainly(usage)
    lifting = len(args) == 2 and args[1].casefold() == "lift"
    try:
        until = None if lifting else embargo.parse(" ".join(args[1:]), now)
        changes.set_embargo(session, item, until, actor=user_id, now=now)
    except embargo.Invalid as problem:
        return say_plainly(f"{escape(str(problem))}. {usage}")
    except changes.NotAllowed as refusal:
        return say_plainly(f"Cannot do that: {escape(str(refusal))}.")
    if until is None:
        return say_plainly(
            f"{_noun(kind)} #{item.id}'s embargo is lifted: everyone sees it from now, and it goes in the next digests."
        )
    return say_plainly(
        f"{_noun(kind)} #{item.id} ({describe(item)}) is under embargo until {escape(until.human())}: until then only "
        "editors and whoever added it see it; it is left out of answers, exports and digests for everyone else, "
        "and goes in the next digests once it lifts."
    )


def house(session: Session, workspace_id: int, user_id: str, args: list[str]) -> Reply:
    """`/stats house 12 reason`: figure 12 is the one to cite among those that disagree with it."""
    stat = _item(session, workspace_id, Statistic, args[0] if args else None)
    reason = " ".join(args[1:]).strip()
    if not isinstance(stat, Statistic) or not reason:
        return say_plainly(
            "Say which figure to cite and why, e.g. `/stats house 12 the producer's own report gives this period`. "
            "`/stats conflicts` lists figures that disagree."
        )
    try:
        _, conflict = conflicts.choose_house(session, stat, reason, actor=user_id)
    except conflicts.NotInConflict as refusal:
        return say_plainly(f"Cannot do that: {escape(str(refusal))}.")
    return disagreements.chosen(stat, conflict)
