"""Today's date, from one place: ``--today`` / ``HANDOUTGEN_TODAY`` (ISO) when set, else the system clock.

Review-date checks and review stamps depend on the date; a fixed date makes a run (and
every test) repeatable whatever day it is.
"""

from __future__ import annotations

import datetime as dt
import os

from handoutgen.errors import UsageError

TODAY_VARIABLE = "HANDOUTGEN_TODAY"


def set_today(value: str) -> None:
    """Fix the date for this process (``--today``); checked now, so a typo stops the command at once."""
    _parse(value, "--today")
    os.environ[TODAY_VARIABLE] = value


def today() -> dt.date:
    value = os.environ.get(TODAY_VARIABLE, "").strip()
    return _parse(value, TODAY_VARIABLE) if value else dt.date.today()


def _parse(value: str, source: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{source} '{value[:20]}' is not an ISO date like 2026-11-22") from None
