"""One exception family for everything a user can fix.

Each error knows where it happened (file, line, field, or roster row) and renders
as ``path:line: field 'x': message`` like a compiler, so the CLI can print it
without a traceback.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


def terminal_safe(text: str) -> str:
    """``text`` with control and format characters as escapes (``\\x1b``, ``\\u202e``): file
    content quoted in a message never moves the cursor, recolours or reorders the terminal."""
    return "".join(
        char if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs")
        else f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        for char in text
    )


@dataclass(frozen=True)
class Location:
    path: Path | None = None
    line: int | None = None
    field: str | None = None
    row: int | None = None

    def render(self, root: Path | None = None) -> str:
        return ": ".join(part for part in (self.place(root), self.subject()) if part)

    def subject(self) -> str:
        """The row and field, e.g. "row 3: field 'appointment'"."""
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts)

    def place(self, root: Path | None = None) -> str:
        """``path:line`` relative to ``root`` when inside it."""
        parts = []
        if self.path is not None:
            shown = self.path
            if root is not None:
                try:
                    shown = self.path.resolve().relative_to(root.resolve())
                except ValueError:
                    pass
            parts.append(f"{shown}:{self.line}" if self.line else str(shown))
        return ": ".join(parts)


ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass
class Problem:
    """One problem as it is reported, whatever found it: a file that does not load, a content
    check, a roster row, a refused translation unit. ``handoutgen check`` lists these; the
    manifest's ``error`` and every ``path:line: severity: field 'x': message`` line come from them.
    """

    severity: str  # ERROR, WARNING or INFO
    rule: str  # "schema" for a file that does not load; a check's rule name otherwise
    message: str
    path: Path
    line: int | None = None
    field: str | None = None
    suggestion: str = ""
    row: int | None = None  # roster row, for a problem in a roster

    def render(self, root: Path | None = None) -> str:
        where = Location(self.path, self.line).place(root)
        subject = Location(field=self.field, row=self.row).subject()
        hint = f" (suggestion: {self.suggestion})" if self.suggestion else ""
        return terminal_safe(f"{where}: {self.severity}: {subject + ': ' if subject else ''}{self.message}{hint}")

    def as_json(self, root: Path) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = Location(self.path).place(root)
        if self.row is None:  # only roster problems have a row
            del data["row"]
        return data


class HandoutgenError(Exception):
    """Base of every error caused by input the user can fix. Never a traceback."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    def render(self, root: Path | None = None) -> str:
        where = self.location.render(root)
        return terminal_safe(f"{where}: {self.message}" if where else self.message)

    def __str__(self) -> str:
        return self.render()

    def problems(self) -> list[Problem]:
        """This error as reported problems (an ErrorList gives one per error)."""
        where = self.location
        return [Problem(ERROR, "schema", self.message, where.path or Path("."), where.line, where.field, row=where.row)]


class SourceError(HandoutgenError):
    """A handout, brand or config file is unreadable, malformed or invalid."""


class RenderError(HandoutgenError):
    """A template or WeasyPrint refused to produce a PDF (warning, refused URL, …)."""


class UsageError(HandoutgenError):
    """The command line asks for something that does not exist."""

    exit_code = 2


class ErrorList(HandoutgenError):
    """Several independent errors found in one pass (``check`` reports them all)."""

    def __init__(self, errors: Sequence[HandoutgenError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors: list[HandoutgenError] = list(errors)

    def render(self, root: Path | None = None) -> str:
        return "\n".join(error.render(root) for error in self.errors)

    def problems(self) -> list[Problem]:
        return [problem for error in self.errors for problem in error.problems()]
