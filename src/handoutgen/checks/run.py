"""Running the content rules over a workspace: built-in rules, then the plugins' rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# The built-in rules register on import (checks.registry.RULES).
from handoutgen.checks import figures, jargon, junk, pemat, plain_language, review, translation  # noqa: F401
from handoutgen.checks.jargon import load_jargon
from handoutgen.checks.pemat import PematScore, pemat_score
from handoutgen.checks.registry import RULES, CheckContext, Finding, Rule, Subject, Text, plugin_rules
from handoutgen.errors import HandoutgenError
from handoutgen.i18n.translations import segment_places, segments
from handoutgen.markup import plain_text

if TYPE_CHECKING:
    from handoutgen.prepared import HandoutFile
    from handoutgen.workspace import Workspace


def subject_of(workspace: Workspace, file: HandoutFile) -> Subject:
    """``file`` loaded (a translation applied to its source, untranslated parts as drafts),
    each printed text with the line and field it is written at."""
    localized = workspace.load_handout(file, draft=True)
    loaded = workspace.loaded(file.path)
    texts = []
    places = segment_places(localized.handout)
    for seg_id, text in segments(localized.handout).items():
        line = None
        if localized.translation is not None:
            key = (localized.stored_as or {}).get(seg_id)  # a moved segment sits under its old id
            where = f"segments.{key or seg_id}.text"
            if key is not None:
                line = loaded.line_of(("segments", key, "text"))
        else:
            where = seg_id
            line = loaded.line_of(places[seg_id])
        texts.append(Text(seg_id, plain_text(text), line, where))  # the words a reader sees, markup gone
    return Subject(file, localized.handout, localized, texts, loaded)


def check_context(workspace: Workspace, today: dt.date) -> CheckContext:
    """Settings and jargon list of one run (a bad setting or jargon file raises)."""
    return CheckContext(workspace.config.checks, load_jargon(workspace), today)


def all_rules(workspace: Workspace) -> tuple[dict[str, Rule], list[Finding]]:
    """The built-in rules and the installed plugins' rules; plugins that cannot load as findings."""
    found, problems = plugin_rules(workspace.root, set(RULES))
    return {**RULES, **found}, problems


@dataclass
class Report:
    subject: Subject
    findings: list[Finding]
    score: PematScore


def check_handout(workspace: Workspace, file: HandoutFile, context: CheckContext,
                  rules: dict[str, Rule]) -> Report:
    subject = subject_of(workspace, file)
    findings = [finding for each in rules.values() for finding in context.once(each, subject)]
    findings.sort(key=lambda f: (f.line or 0, f.rule))
    return Report(subject, findings, context.once(pemat_score, subject))


def check_workspace(workspace: Workspace, today: dt.date,
                    skip: set[Path]) -> tuple[list[Report], list[Finding], list[HandoutgenError]]:
    """Reports for every handout that loads (``skip``: files already in error), findings
    about plugins that cannot load, and the errors met on the way."""
    rules, problems = all_rules(workspace)
    errors: list[HandoutgenError] = []
    try:
        context = check_context(workspace, today)
    except HandoutgenError as error:  # a jargon list that does not load: the other rules still run
        errors.append(error)
        try:
            context = CheckContext(workspace.config.checks, None, today)
        except HandoutgenError:  # the settings themselves do not load: the error above says so
            return [], problems, errors
    reports = []
    for file in workspace.handout_files():
        if file.path in skip:
            continue
        try:
            reports.append(check_handout(workspace, file, context, rules))
        except HandoutgenError as error:
            errors.append(error)
    return reports, problems, errors
