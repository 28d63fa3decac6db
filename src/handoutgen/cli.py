"""Command line: a thin layer over the pipeline modules.

Exit codes: 0 success; 1 a handout, brand, config or render problem (each printed
as ``path:line: message``); 2 a usage problem (unknown id, brand or option, or the
output folder is in use); 70 an internal error (a bug: reported without a traceback);
130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from handoutgen import __version__, clock
from handoutgen.errors import ErrorList, HandoutgenError, Location, terminal_safe
from handoutgen.workspace import Workspace

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.progress import Progress

    from handoutgen.builder import BuildResult
    from handoutgen.i18n.translations import TranslationStatus

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130

app = typer.Typer(
    name="handoutgen",
    help="Turn procedure YAML into branded, printable patient-handout PDFs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# emoji=False: ":100:" in "en.yaml:100:" must stay a line number, and JSON output must stay as written.
out = Console(soft_wrap=True, highlight=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


class Paper(str, Enum):
    letter = "letter"
    a4 = "a4"


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class SchemaKind(str, Enum):
    handout = "handout"
    brand = "brand"
    config = "config"


WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace folder (holds handouts/, templates/, styles/).")
]


def report(errors: Sequence[HandoutgenError], root: Path | None) -> None:
    for error in errors:
        err.print(terminal_safe(error.render(root)), markup=False)


def fail(error: HandoutgenError, root: Path | None = None) -> typer.Exit:
    report(error.errors if isinstance(error, ErrorList) else [error], root)
    return typer.Exit(error.exit_code)


def progress_bar(label: str, show: bool = True) -> Progress:
    """A transient progress bar on stderr, only on a terminal (never in logs or pipes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                    disable=not (show and err.is_terminal))


_shown_root: Path | None = None  # paths in messages are shown relative to the open workspace


def open_workspace(path: Path) -> Workspace:
    global _shown_root
    workspace = Workspace(path)
    _shown_root = workspace.root
    return workspace


def reports_errors(command: Callable[..., None]) -> Callable[..., None]:
    """The one place a command's HandoutgenError becomes ``path:line: …`` lines and an exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        global _shown_root
        _shown_root = None
        try:
            command(*args, **kwargs)
        except HandoutgenError as error:
            raise fail(error, _shown_root) from None

    return run


def _show_version(value: bool) -> None:
    if value:
        out.print(f"handoutgen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = None,
    today: Annotated[
        Optional[str],
        typer.Option("--today", metavar="YYYY-MM-DD",
                     help=f"The date review checks and review stamps use (also ${clock.TODAY_VARIABLE}).")
    ] = None,
) -> None:
    """Turn procedure YAML into branded, printable patient-handout PDFs."""
    if today is not None:
        try:
            clock.set_today(today)
        except HandoutgenError as error:
            raise fail(error) from None


@app.command()
@reports_errors
def build(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Handout ids (default: all).")] = None,
    lang: Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only these languages (repeatable).")] = None,
    brand: Annotated[Optional[str], typer.Option(help="Brand folder under styles/brands/.")] = None,
    paper: Annotated[Optional[Paper], typer.Option(help="Paper size (default from handoutgen.yaml, else letter).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel renders (default: CPU count).")] = None,
    allow_stale: Annotated[bool, typer.Option("--allow-stale", help="Print the previous translation of segments whose English changed, with a notice on the first page.")] = False,
    draft: Annotated[bool, typer.Option("--draft", help="Also print untranslated segments in English, marked, with 'DRAFT — not for patients' on every page (for review only).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Render every handout, even those whose inputs did not change.")] = False,
    large_print: Annotated[bool, typer.Option("--large-print", help="The large-print edition (18pt text, one column), as <id>.<language>.large-print.pdf.")] = False,
    bilingual: Annotated[Optional[str], typer.Option("--bilingual", metavar="LANG", help="The bilingual edition: each section followed by the same section in LANG, as <id>.<language>.bilingual-LANG.pdf.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Build handout PDFs into OUT as <id>.<language>.pdf (only those whose inputs changed)."""
    from handoutgen.builder import build as run_build
    from handoutgen.builder import default_jobs, edition_files
    from handoutgen.render.settings import Edition

    ws = open_workspace(workspace)
    edition = Edition(large_print, bilingual)
    files = edition_files(ws, ws.select(ids, lang), edition)
    ws.load_brand(brand)
    if not files:
        err.print("No handouts to build.")
        raise typer.Exit(EXIT_OK)
    failures: list[HandoutgenError] = []
    progress = progress_bar("Building", show=len(files) > 1)
    with progress:
        task = progress.add_task("build", total=len(files))

        def done(result: BuildResult) -> None:
            progress.advance(task)
            if result.error:
                failures.extend(result.error.errors if isinstance(result.error, ErrorList) else [result.error])
            else:
                out.print(f"{'unchanged' if result.unchanged else 'wrote'} {result.output}", markup=False)
                if result.warning:
                    err.print(f"{result.file.path.relative_to(ws.root)}: warning: {result.warning}", markup=False)

        results = run_build(
            ws, files, out_dir, brand=brand, paper=paper.value if paper else None,
            jobs=jobs or default_jobs(), allow_stale=allow_stale, draft=draft, on_done=done, force=force,
            edition=edition,
        )
    report(failures, ws.root)
    built = sum(1 for r in results if r.error is None)
    kept = sum(1 for r in results if r.unchanged)
    unchanged = f" ({kept} unchanged since the last build)" if kept else ""
    err.print(f"{built} of {len(results)} handout(s) built into {out_dir}/{unchanged}", markup=False)
    raise typer.Exit(EXIT_PROBLEMS if failures else EXIT_OK)


@app.command()
@reports_errors
def packets(
    roster_file: Annotated[Path, typer.Argument(metavar="ROSTER", help="Roster: .csv, .yaml or .json, or a FHIR R4 schedule Bundle (.json).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for <patient_id>.pdf and the manifest.")] = Path("packets"),
    brand: Annotated[Optional[str], typer.Option(help="Brand folder under styles/brands/.")] = None,
    paper: Annotated[Optional[Paper], typer.Option(help="Paper size (default from handoutgen.yaml, else letter).")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Worker processes (default: CPU count).")] = None,
    duplex: Annotated[bool, typer.Option("--duplex", help="Blank pages so every handout starts on a right-hand page.")] = False,
    fallback_language: Annotated[Optional[str], typer.Option(help="Use this language when a handout is missing in the patient's (noted on the cover).")] = None,
    combined: Annotated[Optional[Path], typer.Option(help="Also write one PDF of every packet, in roster order, for one print job.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip packets already written from unchanged inputs.")] = False,
    encoding: Annotated[str, typer.Option(help="CSV text encoding, e.g. cp1252 for older exports.")] = "utf-8",
    column_map: Annotated[Optional[list[str]], typer.Option("--map", help="'Export Header=column' (repeatable).")] = None,
    date_format: Annotated[Optional[list[str]], typer.Option("--date-format", help="strftime pattern of the appointment column when it is not ISO, e.g. '%m/%d/%Y %I:%M %p' (repeatable).")] = None,
    executor: Annotated[str, typer.Option(help="Where covers are made: local (--jobs processes) or dask (a cluster, with --scheduler).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Make one print-ready packet per patient: a cover letter plus their handouts."""
    from handoutgen.builder import default_jobs
    from handoutgen.packets.run import PacketOptions, make_packets
    from handoutgen.parallel import open_executor
    from handoutgen.packets.roster import load_roster, parse_column_map, parse_date_formats

    ws = open_workspace(workspace)
    roster = load_roster(roster_file, encoding, parse_column_map(column_map or []),
                         parse_date_formats(date_format or []), fhir=ws.config.fhir)
    ws.load_brand(brand)
    if roster.ignored_columns:
        err.print(terminal_safe(f"Ignored roster columns: {', '.join(roster.ignored_columns)}"), markup=False)
    with open_executor(executor, scheduler) as cluster:
        options = PacketOptions(
            out_dir=out_dir, brand=brand, paper=paper.value if paper else None, duplex=duplex,
            fallback_language=fallback_language, jobs=jobs or default_jobs(), resume=resume, combined=combined,
            executor=cluster,
        )
        progress = progress_bar("Packets")
        with progress:
            task = progress.add_task("packets", total=len(roster.entries))
            rows = make_packets(ws, roster, options, on_done=lambda _: progress.advance(task))
    failed = [r for r in rows if r.status != "ok"]
    shown_path = roster_file
    for row in failed:  # a valid patient_id and the row number only: never a name or a rejected value
        err.print(terminal_safe(f"{shown_path}: row {row.row} ({row.patient_id or 'no valid patient_id'}): {row.error}"),
                  markup=False)
    for row in rows:
        for warning in row.warnings:
            err.print(terminal_safe(f"{shown_path}: row {row.row} ({row.patient_id}): warning: {warning}"), markup=False)
    made = len(rows) - len(failed)
    print_job = (f"; combined: {combined}" if made else "; no packet to print, so no combined file") if combined else ""
    err.print(f"{made} of {len(rows)} packet(s) written to {out_dir}/ (manifest.csv, manifest.json){print_job}",
              markup=False)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


@app.command()
@reports_errors
def check(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Handout ids (default: all).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1), for CI.")] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Check every handout, brand and config file, then the content: path:line: severity: message."""
    from handoutgen.api import check as run_check
    from handoutgen.checks.registry import ERROR, WARNING

    ws = open_workspace(workspace)
    result = run_check(ws, ids)
    findings, reports = result.findings, result.reports
    counts = {ERROR: result.errors, WARNING: result.warnings}
    if output_format is OutputFormat.json:
        scores = {Location(r.subject.file.path).place(ws.root): round(r.score.percent) for r in reports}
        out.print(json.dumps({"findings": [f.as_json(ws.root) for f in findings], "pemat_scores": scores,
                              "errors": counts[ERROR], "warnings": counts[WARNING]}, indent=2, ensure_ascii=False),
                  markup=False)
    else:
        previous = None
        for finding in findings:  # grouped by file
            if previous is not None and finding.path != previous:
                err.print("")
            err.print(finding.render(ws.root), markup=False)
            previous = finding.path
        files = len(ws.handout_files())
        err.print(f"{counts[ERROR]} error(s), {counts[WARNING]} warning(s) in {files} handout file(s), "
                  f"{len(ws.brand_names())} brand(s).")
    if counts[ERROR] or (strict and counts[WARNING]):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@reports_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The folder to make a workspace (created if missing).")] = Path("."),
) -> None:
    """Start a workspace: settings, a brand to make your own, and one sample handout."""
    from handoutgen.scaffold import init_workspace

    written = init_workspace(folder)
    for path in written:
        out.print(f"wrote {path}", markup=False)
    err.print(f"Next: edit {folder / 'styles/brands/my-clinic/brand.yaml'}, then `handoutgen check` and "
              "`handoutgen build` in that folder.", markup=False)


@app.command()
@reports_errors
def new(
    handout_id: Annotated[str, typer.Argument(metavar="ID", help="The new handout's id, e.g. kidney-stent.")],
    lang: Annotated[str, typer.Option("--lang", "-l", help="Its language.")] = "en",
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Add handouts/ID/LANG.yaml: every section, with comments saying what goes where."""
    from handoutgen.scaffold import new_handout

    ws = open_workspace(workspace)
    path = new_handout(ws.root, handout_id, lang)
    out.print(f"wrote {path.relative_to(ws.root)}", markup=False)


@app.command()
@reports_errors
def eject(
    name: Annotated[str, typer.Argument(metavar="PATH", help="e.g. templates/handout.html.j2, styles/handout.css, styles/fonts, jargon.yaml")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Copy a packaged default into the workspace to customise it (the copy then wins)."""
    from handoutgen.scaffold import eject as run_eject

    ws = open_workspace(workspace)
    written = run_eject(ws.root, name)
    for path in written:
        out.print(f"wrote {path.relative_to(ws.root)}", markup=False)


@app.command(name="import")
@reports_errors
def import_handout(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An existing handout: .txt, .md, .html or .docx.")],
    handout_id: Annotated[Optional[str], typer.Option("--id", help="The handout's id (default: from its title or file name).")] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="Its language.")] = "en",
    output: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here, not to handouts/ID/LANG.yaml.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Draft a handout YAML from an existing handout: only its sentences; what was dropped or not placed is in review_notes."""
    from handoutgen.importer import import_document, write_draft

    root = open_workspace(workspace).root if output is None else None
    draft = import_document(file, handout_id, lang)
    target = root / draft.path if root is not None else output
    assert target is not None  # one of the two is given
    write_draft(draft.text, target, force)
    out.print(f"wrote {Location(target).place(root)}", markup=False)
    err.print(f"Draft: read its {len(draft.data['review_notes'])} review notes, then "
              f"`handoutgen check {draft.data['id']}`.", markup=False)


@app.command(name="report")
@reports_errors
def report_readability(
    handout_id: Annotated[str, typer.Argument(metavar="ID", help="Handout id.")],
    lang: Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only these languages.")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Per-section reading level, words, longest sentence, and the PEMAT-style items passed."""
    from handoutgen.api import reading_report

    ws = open_workspace(workspace)
    settings = ws.config.checks
    reports, plugin_problems = reading_report(ws, handout_id, lang)
    for problem in plugin_problems:
        err.print(problem.render(ws.root), markup=False)
    for result, sections in reports:
        subject = result.subject
        table = Table(title=f"{subject.file.id} ({subject.language}): target grade {settings.target_grade:g}, "
                            f"maximum {settings.max_grade:g}", title_justify="left")
        for column in ("section", "grade (FK)", "SMOG", "ease (F-H)", "INFLESZ (S-P)", "words", "longest sentence"):
            table.add_column(column, justify="left" if column == "section" else "right", no_wrap=True)

        def number(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f}"

        for key, part in sections:
            inflesz = "—" if part.perspicuity_es is None else f"{part.perspicuity_es:.1f} {part.inflesz}"
            table.add_row(key, number(part.grade), number(part.smog), number(part.ease_es), inflesz,
                          str(part.words), str(part.longest_sentence))
        out.print(table)
        if not sections[-1][1].measured:
            out.print(f"Reading level not measured for '{subject.language}'.", markup=False)
        out.print(f"PEMAT-style score: {result.score.percent:.0f}% (target {settings.pemat_target:g}%)", markup=False)
        for item in result.score.items:
            mark = "n/a " if item.passed is None else ("pass" if item.passed else "FAIL")
            detail = f" — {item.detail}" if item.detail else ""
            out.print(f"  [{mark}] {item.name}{detail}", markup=False)
        for finding in result.findings:
            out.print(f"  {finding.render(ws.root)}", markup=False)
        out.print("")


@app.command()
@reports_errors
def serve(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on. The default, 127.0.0.1, is this machine only; any other exposes the workspace to the network.")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the preview in the system's web browser.")] = False,
    brand: Annotated[Optional[str], typer.Option(help="Brand folder under styles/brands/.")] = None,
    paper: Annotated[Optional[Paper], typer.Option(help="Paper size (default from handoutgen.yaml, else letter).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Preview the workspace in the browser, refreshed on every save (read-only; Ctrl-C stops it)."""
    from handoutgen.serve.server import config, exposure_warning
    from handoutgen.serve.server import serve as run_server

    ws = open_workspace(workspace)
    ws.load_brand(brand)
    if warning := exposure_warning(host):
        err.print(f"Warning: {warning}.", markup=False)
    run_server(config(ws.root, host, port, brand, paper.value if paper else None), open_browser,
               say=lambda line: err.print(line, markup=False))


@app.command(name="list")
@reports_errors
def list_handouts(
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List handouts with their languages, versions and review dates."""
    from handoutgen.api import handout_rows

    ws = open_workspace(workspace)
    rows, problems = handout_rows(ws)
    if output_format is OutputFormat.json:
        out.print(json.dumps(rows, indent=2, ensure_ascii=False), markup=False)
    else:
        table = Table()
        id_column(table, "id", [row["id"] for row in rows])
        for column in ("lang", "version", "last reviewed"):
            table.add_column(column, no_wrap=True)
        table.add_column("status", overflow="fold", min_width=10)
        for row in rows:
            table.add_row(row["id"], row["language"], terminal_safe(row.get("version", "")),
                          row.get("last_reviewed", ""), row["status"])
        out.print(table)
    report(problems, ws.root)
    raise typer.Exit(EXIT_PROBLEMS if problems else EXIT_OK)


@app.command()
@reports_errors
def schema(kind: Annotated[SchemaKind, typer.Argument(help="Which file's schema.")] = SchemaKind.handout) -> None:
    """Print the JSON Schema of a handout, brand or config file (for editor autocomplete)."""
    from handoutgen.model import Brand, Handout, WorkspaceConfig

    models: dict[str, type[BaseModel]] = {"handout": Handout, "brand": Brand, "config": WorkspaceConfig}
    model = models[kind.value]
    out.print(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False), markup=False)


def id_column(table: Table, header: str, ids: list[str]) -> None:
    """A column that never cuts an id: as wide as the longest one; other columns fold instead."""
    table.add_column(header, no_wrap=True, min_width=max([len(header), *map(len, ids)]))


def review_counts(status: TranslationStatus) -> str:
    return ", ".join(f"{count} {state}" for state, count in status.review.items() if count) or "—"


i18n_app = typer.Typer(help="Translations: status, export to translators, import their work.", no_args_is_help=True)
app.add_typer(i18n_app, name="i18n")


class ExchangeFormat(str, Enum):
    po = "po"
    xliff = "xliff"


@i18n_app.command("status")
@reports_errors
def i18n_status(
    lang: Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only these languages (default: config `languages`, else all present).")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything is stale, incomplete or missing.")] = False,
    summary: Annotated[bool, typer.Option("--summary", help="One line per handout × language, nothing else.")] = False,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Each handout × language: current, stale (which segments, old vs new source), incomplete, missing,
    and how many segments are draft, translated, reviewed, approved."""
    from dataclasses import asdict

    from handoutgen.i18n.exchange import status_table

    ws = open_workspace(workspace)
    rows = status_table(ws, lang)
    if output_format is OutputFormat.json:
        out.print(json.dumps([asdict(r) for r in rows], indent=2, ensure_ascii=False), markup=False)
    elif summary:
        for row in rows:
            out.print(f"{row.handout_id} {row.language}: {row.state} {row.translated}/{row.total}"
                      f"{'; ' + review_counts(row) if row.review else ''}", markup=False)
    else:
        table = Table()
        id_column(table, "handout", [row.handout_id for row in rows])
        for column in ("lang", "state", "translated"):
            table.add_column(column, no_wrap=True)
        for column in ("review", "needs work"):
            table.add_column(column, overflow="fold", min_width=10)
        for row in rows:
            needs = row.problems() if row.state != "missing" else "no translation file"
            table.add_row(row.handout_id, row.language, row.state, f"{row.translated}/{row.total}",
                          review_counts(row), needs)
        out.print(table)
        for row in rows:
            for change in row.stale:
                out.print(f"{row.handout_id} [{row.language}] {change.id} is stale:", markup=False)
                out.print(terminal_safe(f"    was: {change.source_then}"), markup=False)
                out.print(terminal_safe(f"    now: {change.source_now}"), markup=False)
    if strict and any(r.state != "current" for r in rows):
        raise typer.Exit(EXIT_PROBLEMS)


@i18n_app.command("export")
@reports_errors
def i18n_export(
    lang: Annotated[list[str], typer.Option("--lang", "-l", help="Target language (repeatable).")],
    ids: Annotated[Optional[list[str]], typer.Argument(help="Handout ids (default: all).")] = None,
    file_format: Annotated[ExchangeFormat, typer.Option("--format", help="po or xliff (1.2).")] = ExchangeFormat.po,
    only_changed: Annotated[bool, typer.Option("--only-changed", help="Only stale and untranslated segments.")] = False,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for <id>.<lang>.po / .xlf files.")] = Path("to-translator"),
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Write one PO or XLIFF file per handout and language for translators' tools."""
    from handoutgen.i18n.exchange import export
    from handoutgen.write import write_atomic

    ws = open_workspace(workspace)
    suffix = "po" if file_format is ExchangeFormat.po else "xlf"
    handout_ids = sorted({f.id for f in ws.select(ids)})
    for handout_id in handout_ids:
        for language in lang:
            data = export(ws, handout_id, language, file_format.value, only_changed)
            if data is None:
                out.print(f"{handout_id} [{language}]: nothing changed", markup=False)
                continue
            target = out_dir / f"{handout_id}.{language}.{suffix}"
            write_atomic(target, data)
            out.print(f"wrote {target}", markup=False)


@i18n_app.command("import")
@reports_errors
def i18n_import(
    files: Annotated[list[Path], typer.Argument(help="Translated .po / .xlf files.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed the units marked reviewed/approved (else the file's Last-Translator / XLIFF phase).")] = "",
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Merge translated PO or XLIFF files into handouts/<id>/<lang>.yaml (never drops existing work)."""
    from handoutgen.i18n.exchange import import_file
    from handoutgen.write import write_atomic

    ws = open_workspace(workspace)
    refused = 0
    for path in files:
        try:
            outcome, data = import_file(ws, path, reviewer)
        except HandoutgenError as error:
            report(error.errors if isinstance(error, ErrorList) else [error], ws.root)
            refused += 1
            continue
        if data is not None and outcome.written is not None:
            write_atomic(outcome.written, data)
        report(outcome.refused, ws.root)
        refused += len(outcome.refused)
        written = f"; wrote {outcome.written.relative_to(ws.root)}" if outcome.written else ""
        out.print(
            f"{path.name}: {outcome.handout_id} [{outcome.language}]: {len(outcome.updated)} updated, "
            f"{outcome.unchanged} unchanged, {len(outcome.skipped)} left untranslated or unconfirmed, "
            f"{len(outcome.refused)} refused{written}",
            markup=False,
        )
    raise typer.Exit(EXIT_PROBLEMS if refused else EXIT_OK)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except HandoutgenError as error:  # one that a command did not catch itself
        report(error.errors if isinstance(error, ErrorList) else [error], None)
        raise SystemExit(error.exit_code) from None
    except OSError as error:  # the disk, not the input: say which file and why
        where = f"{error.filename}: " if error.filename else ""
        err.print(terminal_safe(f"{where}cannot read or write: {error.strerror or type(error).__name__}"), markup=False)
        raise SystemExit(EXIT_PROBLEMS) from None
    except Exception as error:  # a bug of ours: no traceback (it may quote input), a way to get one
        if os.environ.get("HANDOUTGEN_DEBUG"):
            raise
        err.print(f"handoutgen: internal error ({type(error).__name__}). This is a bug; please report it with "
                  "the command you ran. HANDOUTGEN_DEBUG=1 shows the details.", markup=False)
        raise SystemExit(EXIT_INTERNAL) from None
