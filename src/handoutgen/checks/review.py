"""Review governance: review dates, the reviewer, and translations not yet reviewed."""

from __future__ import annotations

import datetime as dt

from handoutgen.checks.registry import ERROR, WARNING, CheckContext, Finding, Subject, rule


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


@rule("review")
def review(subject: Subject, context: CheckContext) -> list[Finding]:
    h, loaded, interval = subject.handout, subject.loaded, context.settings.review_interval_months
    findings = []
    if subject.localized.translation is not None:
        state = subject.localized.status
        if state is not None and not state.reviewed_by:
            waiting = state.total - state.review.get("reviewed", 0) - state.review.get("approved", 0)
            findings.append(Finding(WARNING, "review", f"draft translation: {waiting} of {state.total} segment(s) "
                                    "not yet reviewed by a qualified medical translator", subject.path,
                                    loaded.line_of(("status",)), "status",
                                    "have them reviewed, then import the file marked reviewed (XLIFF signed-off)"))
        return findings
    line = loaded.line_of(("last_reviewed",))
    if h.last_reviewed > context.today:
        findings.append(Finding(ERROR, "review", f"last_reviewed {h.last_reviewed} is in the future",
                                subject.path, line, "last_reviewed"))
    elif _months_between(h.last_reviewed, context.today) >= interval:
        findings.append(Finding(WARNING, "review", f"last reviewed {h.last_reviewed}, over {interval} months ago",
                                subject.path, line, "last_reviewed", "have a clinician review it again"))
    if not h.reviewed:
        findings.append(Finding(WARNING, "review", "no clinician has reviewed this handout (reviewed_by is empty)",
                                subject.path, loaded.line_of(("reviewed_by",)), "reviewed_by",
                                "have a clinician review it, then set reviewed_by and last_reviewed"))
    return findings
