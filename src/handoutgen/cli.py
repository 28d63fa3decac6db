"""Command line: a thin layer over the pipeline modules.

Exit codes: 0 success; 1 a handout, brand, config or render problem (each printed
as ``path:line: message``); 2 a usage problem (unknown id, brand or option);
130 interrupted.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from handoutgen import __version__
from handoutgen.errors import ErrorList, HandoutgenError
from handoutgen.workspace import Workspace

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="handoutgen",
    help="Turn procedure YAML into branded, printable patient-handout PDFs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


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


def report(errors: list[HandoutgenError], root: Path | None) -> None:
    for error in errors:
        err.print(error.render(root), markup=False)


def fail(error: HandoutgenError, root: Path | None = None) -> typer.Exit:
    report(error.errors if isinstance(error, ErrorList) else [error], root)
    return typer.Exit(error.exit_code)


def open_workspace(path: Path) -> Workspace:
    try:
        return Workspace(path)
    except HandoutgenError as error:
        raise fail(error) from None


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
) -> None:
    """Turn procedure YAML into branded, printable patient-handout PDFs."""


@app.command()
def build(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Handout ids (default: all).")] = None,
    lang: Annotated[Optional[list[str]], typer.Option("--lang", "-l", help="Only these languages (repeatable).")] = None,
    brand: Annotated[Optional[str], typer.Option(help="Brand folder under styles/brands/.")] = None,
    paper: Annotated[Optional[Paper], typer.Option(help="Paper size (default from handoutgen.yaml, else letter).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Parallel renders (default: CPU count).")] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Build handout PDFs into OUT as <id>.<language>.pdf."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from handoutgen.build import build as run_build
    from handoutgen.build import default_jobs

    ws = open_workspace(workspace)
    try:
        files = ws.select(ids, lang)
        ws.load_brand(brand)
    except HandoutgenError as error:
        raise fail(error, ws.root) from None
    if not files:
        err.print("No handouts to build.")
        raise typer.Exit(EXIT_OK)
    failures: list[HandoutgenError] = []
    progress = Progress(
        TextColumn("Building"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
        disable=len(files) < 2 or not err.is_terminal,
    )
    with progress:
        task = progress.add_task("build", total=len(files))

        def done(result) -> None:  # noqa: ANN001
            progress.advance(task)
            if result.error:
                failures.extend(result.error.errors if isinstance(result.error, ErrorList) else [result.error])
            else:
                out.print(f"wrote {result.output}", markup=False)

        try:
            results = run_build(
                ws, files, out_dir, brand=brand, paper=paper.value if paper else None,
                jobs=jobs or default_jobs(), on_done=done,
            )
        except HandoutgenError as error:
            raise fail(error, ws.root) from None
    report(failures, ws.root)
    built = sum(1 for r in results if r.error is None)
    err.print(f"{built} of {len(results)} handout(s) built into {out_dir}/", markup=False)
    raise typer.Exit(EXIT_PROBLEMS if failures else EXIT_OK)


@app.command()
def packets(
    roster_file: Annotated[Path, typer.Argument(metavar="ROSTER", help="Roster: .csv, .yaml or .json.")],
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
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Make one print-ready packet per patient: a cover letter plus their handouts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from handoutgen.build import default_jobs
    from handoutgen.packets import PacketOptions, make_packets
    from handoutgen.roster import load_roster, parse_column_map

    ws = open_workspace(workspace)
    try:
        roster = load_roster(roster_file, encoding, parse_column_map(column_map or []))
        ws.load_brand(brand)
    except HandoutgenError as error:
        raise fail(error, ws.root) from None
    if roster.ignored_columns:
        err.print(f"Ignored roster columns: {', '.join(roster.ignored_columns)}", markup=False)
    options = PacketOptions(
        out_dir=out_dir, brand=brand, paper=paper.value if paper else None, duplex=duplex,
        fallback_language=fallback_language, jobs=jobs or default_jobs(), resume=resume, combined=combined,
    )
    progress = Progress(
        TextColumn("Packets"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("packets", total=len(roster.entries))
        try:
            rows = make_packets(ws, roster, options, on_done=lambda _: progress.advance(task))
        except HandoutgenError as error:
            raise fail(error, ws.root) from None
    failed = [r for r in rows if r.status != "ok"]
    shown_path = roster_file
    for row in failed:  # patient_id and row number only: never the name
        err.print(f"{shown_path}: row {row.row} ({row.patient_id or 'no patient_id'}): {row.error}", markup=False)
    for row in rows:
        for warning in row.warnings:
            err.print(f"{shown_path}: row {row.row} ({row.patient_id}): warning: {warning}", markup=False)
    err.print(
        f"{len(rows) - len(failed)} of {len(rows)} packet(s) written to {out_dir}/ "
        f"(manifest.csv, manifest.json){f'; combined: {combined}' if combined else ''}",
        markup=False,
    )
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


@app.command()
def check(workspace: WorkspaceOption = Path(".")) -> None:
    """Check every handout, brand and config file; print every problem as path:line: message."""
    ws = open_workspace(workspace)
    errors = ws.collect_errors()
    report(errors, ws.root)
    count = len(ws.handout_files())
    if errors:
        err.print(f"{len(errors)} problem(s) in {count} handout file(s) and their brands/config.")
        raise typer.Exit(EXIT_PROBLEMS)
    err.print(f"OK: {count} handout file(s), {len(ws.brand_names())} brand(s).")


@app.command(name="list")
def list_handouts(
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = OutputFormat.text,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List handouts with their languages, versions and review dates."""
    ws = open_workspace(workspace)
    rows = []
    for file in ws.handout_files():
        row = {"id": file.id, "language": file.language, "path": str(file.path.relative_to(ws.root))}
        try:
            handout = ws.load_handout(file)
        except HandoutgenError:
            row.update(status="invalid: run check")
        else:
            row.update(
                title=handout.title,
                version=handout.version,
                last_reviewed=handout.last_reviewed.isoformat(),
                reviewed_by=handout.reviewed_by,
                status="reviewed" if handout.reviewed else "not reviewed",
            )
        rows.append(row)
    if output_format is OutputFormat.json:
        out.print(json.dumps(rows, indent=2, ensure_ascii=False), markup=False)
        return
    table = Table()
    for column in ("id", "lang", "version", "last reviewed", "status"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(row["id"], row["language"], row.get("version", ""),
                      row.get("last_reviewed", ""), row["status"])
    out.print(table)


@app.command()
def schema(kind: Annotated[SchemaKind, typer.Argument(help="Which file's schema.")] = SchemaKind.handout) -> None:
    """Print the JSON Schema of a handout, brand or config file (for editor autocomplete)."""
    from handoutgen.model import Brand, Handout, WorkspaceConfig

    model = {"handout": Handout, "brand": Brand, "config": WorkspaceConfig}[kind.value]
    out.print(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False), markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        raise SystemExit(EXIT_INTERRUPTED) from None
