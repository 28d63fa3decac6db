"""The alt-text rule: every figure's alternative text says what it shows, briefly."""

from __future__ import annotations

from handoutgen.checks.registry import WARNING, CheckContext, Finding, Subject, rule

# Screen readers read alt text in one go, without a way to skim it; about 250 characters is
# where guidance (e.g. WebAIM) suggests a longer description belongs in the text or a caption.
MAX_ALT_CHARS = 250


@rule("alt-text")
def alt_text(subject: Subject, context: CheckContext) -> list[Finding]:
    """Alt text over ~250 characters (a missing one is a validation error: the file does not load)."""
    return [
        Finding(WARNING, "alt-text",
                f"alt text of {len(text.text)} characters (at most about {MAX_ALT_CHARS}): a screen reader reads it "
                "in one go", subject.path, text.line, text.field,
                "say what the picture shows in a sentence or two; put more in the caption or the text")
        for text in subject.texts if text.segment.endswith("figure.alt") and len(text.text) > MAX_ALT_CHARS
    ]
