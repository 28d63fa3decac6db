"""An editor rebuilds after a small change: only what the change touched is rendered again."""

from __future__ import annotations

from pathlib import Path

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"


def stamps(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.glob("*.pdf")}


def test_rebuild_renders_only_what_changed(cli, workspace, tmp_path):
    out = tmp_path / "out"
    args = ("build", "--lang", "en", "-w", workspace, "--out", out, "-j", "1")
    assert cli(*args).exit_code == 0
    first = stamps(out)
    again = cli(*args)
    assert again.exit_code == 0 and "2 unchanged since the last build" in again.stderr
    assert stamps(out) == first  # nothing rewritten

    english = workspace / f"handouts/{RETRO}/en.yaml"
    english.write_text(english.read_text().replace("Retrograde Pyelography", "Retrograde Pyelogram", 1))
    edited = cli(*args)
    assert f"wrote {out / f'{RETRO}.en.pdf'}" in edited.stdout
    assert f"unchanged {out / f'{NEPHRO}.en.pdf'}" in edited.stdout
    assert stamps(out)[f"{NEPHRO}.en.pdf"] == first[f"{NEPHRO}.en.pdf"]


def test_a_style_edit_or_a_damaged_output_rebuilds(cli, workspace, tmp_path):
    out = tmp_path / "out"
    args = ("build", "--lang", "en", "-w", workspace, "--out", out, "-j", "1")
    cli(*args)
    first = stamps(out)
    (out / f"{NEPHRO}.en.pdf").write_bytes(b"damaged")  # someone overwrote a finished PDF
    repaired = cli(*args)
    assert f"wrote {out / f'{NEPHRO}.en.pdf'}" in repaired.stdout
    assert (out / f"{NEPHRO}.en.pdf").read_bytes().startswith(b"%PDF")
    css = workspace / "styles/handout.css"
    css.write_text(css.read_text() + "\n/* a style change reaches every handout */\n")
    restyled = cli(*args)
    assert "unchanged" not in restyled.stdout and stamps(out)[f"{RETRO}.en.pdf"] != first[f"{RETRO}.en.pdf"]


def test_force_renders_everything(cli, workspace, tmp_path):
    out = tmp_path / "out"
    args = ("build", "--lang", "en", "-w", workspace, "--out", out, "-j", "1")
    cli(*args)
    forced = cli(*args, "--force")
    assert "unchanged" not in forced.stdout and forced.stdout.count("wrote") == 2
