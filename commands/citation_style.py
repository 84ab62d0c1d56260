"""`/stats citation-style [short|long|quote-short|quote-long <template> | reset [form]]`: a workspace's own
citation forms, set by editors from the fields commands/citation.py fills."""

from __future__ import annotations

from sqlalchemy.orm import Session

from commands.citation import DEFAULTS, FORMS, TemplateError, check_template, fields_of
from commands.reply import Reply, say_plainly
from commands.text import escape
from storage import citation_styles, roles

NAME = "citation-style"
EDITORS_ONLY = "Only editors can change the citation style. `/stats editors` lists who they are."
USAGE = (
    "Use `/stats citation-style short <template>` (or `long`, `quote-short`, `quote-long`), "
    "`/stats citation-style reset [form]`, or `/stats citation-style` to see them."
)


def show(templates: dict[str, str]) -> Reply:
    """Each form's template (the workspace's or the default) and the fields it may use."""
    lines = ["*Citation styles* (`/stats citation-style <form> <template>` changes one; editors only)"]
    for form in FORMS:
        own = templates.get(form)
        which = "this workspace's" if own else "default"
        lines.append(f"*{form}* ({which}): `{escape(own or DEFAULTS[form])}`")
    lines.append("*Figure fields:* " + ", ".join(f"`{{{n}}}` {w}" for n, w in fields_of("short").items()))
    lines.append(
        "*Quote fields:* " + ", ".join(f"`{{{n}}}` {w}" for n, w in fields_of("quote-short").items())
    )
    lines.append("A field with nothing stored is left out with the punctuation before it.")
    return say_plainly("\n".join(lines))


def answer(session: Session, workspace_id: int, user_id: str, rest: str) -> Reply:
    """Run the subcommand; `rest` is what follows `citation-style`. The caller commits."""
    words = rest.split(maxsplit=1)
    if not words:
        return show(citation_styles.templates(session, workspace_id))
    first = words[0].casefold()
    if first not in (*FORMS, "reset"):
        return say_plainly(f"There is no citation form called *{escape(words[0])}*. {USAGE}")
    if not roles.is_editor(session, workspace_id, user_id):
        return say_plainly(EDITORS_ONLY)
    if first == "reset":
        form = words[1].strip().casefold() if len(words) > 1 else None
        if form is not None and form not in FORMS:
            return say_plainly(f"There is no citation form called *{escape(form)}*. {USAGE}")
        citation_styles.reset(session, workspace_id, form)
        return say_plainly(
            f"The {form or 'citation'} form{'' if form else 's'} are back to the default.".replace(
                "form are", "form is"
            )
        )
    try:
        template = check_template(first, words[1] if len(words) > 1 else "")
    except TemplateError as problem:
        return say_plainly(str(problem))
    citation_styles.set_template(session, workspace_id, first, template, user_id)
    return say_plainly(f"The *{first}* citation form is now `{escape(template)}`.")
