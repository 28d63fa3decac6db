"""The translation rule: what `build` would refuse in a translation file."""

from __future__ import annotations

from handoutgen.checks.registry import ERROR, CheckContext, Finding, Subject, clip, rule
from handoutgen.i18n.translations import not_a_translation

_UPDATE = "handoutgen i18n export --only-changed, translate, import"


@rule("translation")
def translation_state(subject: Subject, context: CheckContext) -> list[Finding]:
    """Stale, untranslated and pseudo-translated segments, as errors: `build` refuses them
    (stale ones unless --allow-stale, untranslated ones unless --draft), so a clean check
    means the build works."""
    localized, loaded, path = subject.localized, subject.loaded, subject.path
    if localized.translation is None or localized.status is None:
        return []
    findings = []
    for change in localized.status.stale:
        findings.append(Finding(
            ERROR, "translation", f"stale: the English changed since this was translated (now: \"{clip(change.source_now)}\")",
            path, loaded.line_of(("segments", change.id)), f"segments.{change.id}", _UPDATE))
    for change in localized.status.missing:
        findings.append(Finding(ERROR, "translation", f"untranslated: \"{clip(change.source_now)}\"", path, None,
                                f"segments.{change.id}", _UPDATE))
    for seg_id, segment in localized.translation.segments.items():
        reason = not_a_translation(segment.source, segment.text, localized.translation.language)
        if reason:
            findings.append(Finding(ERROR, "translation", reason, path,
                                    loaded.line_of(("segments", seg_id, "text")), f"segments.{seg_id}.text"))
    return findings
