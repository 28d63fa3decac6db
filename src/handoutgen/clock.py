"""Today's date, from one place: ``HANDOUTGEN_TODAY`` (ISO) when set, else the system clock.

Review-date checks and review stamps depend on the date; a fixed date makes a run (and
every test) repeatable whatever day it is.
"""

from __future__ import annotations

import datetime as dt
import os

from handoutgen.errors import UsageError

TODAY_VARIABLE = "HANDOUTGEN_TODAY"


def today() -> dt.date:
    value = os.environ.get(TODAY_VARIABLE, "").strip()
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{TODAY_VARIABLE}='{value[:20]}' is not an ISO date like 2026-11-22") from None
