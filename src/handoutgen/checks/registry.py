"""What a content rule is, and where rules come from.

Every rule has one signature, ``rule(subject, context) -> list[Finding]``: ``subject`` is
one handout file as the checks see it (its printed texts with their lines), ``context``
what the whole run shares (settings, the jargon list, today's date). A built-in rule
registers itself with ``@rule("name")``; a clinic's own rules come from installed
packages through the entry-point group ``handoutgen.checks`` (see README "Adding a rule").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

# ERROR, WARNING, INFO and Finding are what a rule needs: checks modules and plugins take them from here.
from handoutgen.errors import ERROR as ERROR
from handoutgen.errors import INFO as INFO
from handoutgen.errors import WARNING as WARNING
from handoutgen.errors import Problem

if TYPE_CHECKING:
    from handoutgen.load import Loaded
    from handoutgen.model import CheckSettings, Handout, JargonList
    from handoutgen.prepared import HandoutFile, Localized

ENTRY_POINT_GROUP = "handoutgen.checks"


# A rule's findings are Problems, the one problem type (handoutgen.errors); plugins know them as Finding.
Finding = Problem


@dataclass
class Text:
    """One printed string of a handout, with where it is written."""

    segment: str  # segment id, e.g. "reasons.2"
    text: str
    line: int | None
    field: str


@dataclass
class Subject:
    """A handout file as the checks see it: its texts with their places."""

    file: HandoutFile
    handout: Handout  # in the file's language (a translation applied to its source)
    localized: Localized
    texts: list[Text]
    loaded: Loaded  # the file as parsed, for the line of any key

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def language(self) -> str:
        return self.handout.language

    def section(self, key: str) -> list[Text]:
        return [t for t in self.texts if t.segment.split(".")[0] == key]

    def prose(self) -> list[Text]:
        """Texts that are sentences (not the title, not the terms of words-to-know)."""
        return [t for t in self.texts if t.segment != "title" and not t.segment.endswith(".term")]


T = TypeVar("T")


@dataclass
class CheckContext:
    """What every rule of one check run shares."""

    settings: CheckSettings  # thresholds from handoutgen.yaml
    jargon: JargonList | None  # None when the jargon check is off
    today: dt.date
    _results: dict[tuple[Callable[..., Any], Path], Any] = field(default_factory=dict, repr=False)

    def once(self, compute: Callable[[Subject, CheckContext], T], subject: Subject) -> T:
        """``compute(subject, self)``, worked out once per handout however many rules ask.

        A rule uses it for anything another rule also needs, e.g. PEMAT asks for the
        junk rules' findings and the unexplained jargon. Rules run through it too.
        """
        key = (compute, subject.path)
        if key not in self._results:
            self._results[key] = compute(subject, self)
        return cast(T, self._results[key])


Rule = Callable[[Subject, CheckContext], list[Finding]]
RULES: dict[str, Rule] = {}  # the built-in rules, filled as their modules are imported


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a built-in rule under ``name`` (the ``rule`` its findings carry)."""

    def register(function: Rule) -> Rule:
        if name in RULES:
            raise ValueError(f"two rules named '{name}'")
        RULES[name] = function
        return function

    return register


def plugin_rules(root: Path, taken: set[str]) -> tuple[dict[str, Rule], list[Finding]]:
    """Rules from installed packages (entry-point group ``handoutgen.checks``).

    Each entry point names one function with the rule signature; its name is the rule's
    name. A plugin that cannot be loaded is an error finding naming it (at the workspace
    ``root``), never a traceback: a clinic's check that silently stopped running would
    pass handouts it was meant to stop.
    """
    rules: dict[str, Rule] = {}
    problems = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        problem = None
        if entry.name in taken or entry.name in rules:
            problem = f"the rule name '{entry.name}' is already taken; rename the entry point"
        else:
            try:
                loaded = entry.load()
            except Exception as exc:  # noqa: BLE001 - whatever a plugin's import raises
                problem = f"cannot be loaded: {type(exc).__name__}: {exc}"
            else:
                if callable(loaded):
                    rules[entry.name] = _guarded(entry.name, entry.value, loaded)
                else:
                    problem = f"names something that is not a function ({type(loaded).__name__})"
        if problem:
            problems.append(Finding(ERROR, entry.name, f"check plugin {_describe(entry)} {problem}", root))
    return rules, problems


def _describe(entry: Any) -> str:  # noqa: ANN401 - an importlib.metadata.EntryPoint
    dist = getattr(entry, "dist", None)
    origin = f", from {dist.name} {dist.version}" if dist is not None else ""
    return f"'{entry.name}' ({entry.value}{origin})"


def _guarded(name: str, where: str, function: Callable[..., Any]) -> Rule:
    """``function`` run as a rule: whatever it raises or wrongly returns is an error finding
    on the handout it was checking."""

    def guarded(subject: Subject, context: CheckContext) -> list[Finding]:
        try:
            found = function(subject, context)
        except Exception as exc:  # noqa: BLE001 - a plugin's bug must not stop the other checks
            problem = f"failed: {type(exc).__name__}: {exc}"
        else:
            if isinstance(found, list) and all(isinstance(f, Finding) for f in found):
                return found
            problem = f"returned {type(found).__name__}, not a list of Finding"
        return [Finding(ERROR, name, f"check plugin '{name}' ({where}) {problem}", subject.path)]

    return guarded


def clip(text: str, limit: int = 60) -> str:
    """``text`` shortened to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
