"""An author makes mistakes in a handout; `handoutgen check` points at each one."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import HANDOUT, edit, line_of


def test_clean_workspace_passes(cli, workspace):
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 0, result.stderr
    assert "0 error(s)" in result.stderr and "in 7 handout file(s)" in result.stderr


def test_misspelt_key_names_file_line_and_suggestion(cli, workspace):
    edit(workspace, "\nbenefits:", "\nbenefts:")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    line = line_of(workspace, "benefts:")
    assert f"{HANDOUT}:{line}: error: unknown key 'benefts' (did you mean 'benefits'?)" in result.stderr


def test_misspelt_nested_key(cli, workspace):
    edit(workspace, "  - term: Kidney", "  - trem: Kidney")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    line = line_of(workspace, "trem: Kidney")
    assert f"{HANDOUT}:{line}: error: field 'words_to_know[0]': unknown key 'trem' (did you mean 'term'?)" in result.stderr


def test_wrong_type_names_the_field(cli, workspace):
    edit(workspace, 'version: "1.0"', "version: 1.0")
    edit(workspace, "questions:\n  checklist: true", "questions: Why do I need this test?\nnot_questions:\n  checklist: true")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{HANDOUT}:{line_of(workspace, 'version: 1.0')}: error: field 'version': write it as text in quotes" in result.stderr
    assert f"{HANDOUT}:{line_of(workspace, 'questions:')}: error: field 'questions': a section is a list, or an object with intro, items, checklist, figure or table" in result.stderr


def test_missing_required_field_points_at_the_parent(cli, workspace):
    edit(workspace, "title: Retrograde Pyelography\n", "")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{HANDOUT}:1: error: field 'title': required field is missing" in result.stderr


def test_all_errors_are_reported_at_once(cli, workspace):
    edit(workspace, "\nbenefits:", "\nbenefts:")
    other = Path("handouts/nephrostomy-ureteral-stent/en.yaml")
    edit(workspace, "\nreasons:", "\nreasosn:", other)
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert str(HANDOUT) in result.stderr and str(other) in result.stderr
    assert "2 error(s)" in result.stderr


def test_broken_yaml_syntax_names_the_line(cli, workspace):
    edit(workspace, "summary: >-", "summary: [unclosed")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{HANDOUT}:" in result.stderr and "YAML syntax" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_alias_bomb_is_rejected_at_the_first_anchor(cli, workspace):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 12):  # 9**11 items if anything expanded it
        prev = chr(ord("a") + n - 1)
        name = chr(ord("a") + n)
        levels.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    (workspace / HANDOUT).write_text("\n".join(levels) + "\n", encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{HANDOUT}:1: error: YAML syntax: anchors and aliases (&name, *name) are not allowed" in result.stderr


def test_duplicate_key_is_an_error(cli, workspace):
    edit(workspace, "\nbenefits:", "\nreasons:\n  - again\nbenefits:")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "duplicate key 'reasons'" in result.stderr


def test_oversized_file_is_refused(cli, workspace):
    (workspace / HANDOUT).write_text("overview:\n" + "  - x\n" * 200_000, encoding="utf-8")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "over the 524288-byte limit" in result.stderr


def test_id_must_match_folder(cli, workspace):
    edit(workspace, "id: retrograde-pyelography", "id: retrograde")
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{HANDOUT}:1: error: field 'id': id 'retrograde' does not match its folder" in result.stderr


def test_brand_errors_are_checked(cli, workspace):
    brand = Path("styles/brands/riverside/brand.yaml")
    edit(workspace, 'primary: "#0b5d6b"', 'primary: "#aaccee"', brand)
    edit(workspace, 'phone: "(555) 010-0142"', "phone: call us", brand)
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert f"{brand}:{line_of(workspace, 'primary:', brand)}: error: field 'colours.primary': #aaccee has a contrast" in result.stderr
    assert f"{brand}:{line_of(workspace, 'phone:', brand)}: error: field 'phone': 'call us' is not valid" in result.stderr


@pytest.mark.parametrize(
    "args, code",
    [
        (["build", "no-such-handout"], 2),
        (["build", "--brand", "nobody"], 2),
        (["build", "--paper", "a5"], 2),
    ],
)
def test_usage_errors_exit_2(cli, workspace, tmp_path, args, code):
    result = cli(*args, "--workspace", workspace, "--out", tmp_path)
    assert result.exit_code == code
    assert not list(tmp_path.glob("*.pdf"))


def test_not_a_workspace(cli, tmp_path):
    result = cli("check", "--workspace", tmp_path)
    assert result.exit_code == 2
    assert "not a handoutgen workspace" in result.stderr


def test_font_coverage_cache_is_keyed_by_content_and_pruned(tmp_path, monkeypatch):
    import shutil

    from handoutgen.checks import glyphs
    from conftest import REPO

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    font = REPO / "styles/fonts/atkinson-hyperlegible-latin-400-normal.ttf"
    copy = tmp_path / "same-font.ttf"
    shutil.copy(font, copy)
    glyphs._cmap.cache_clear()
    assert glyphs._cmap(font, 1) == glyphs._cmap(copy, 2)
    folder = tmp_path / "cache/handoutgen/cmaps"
    assert len(list(folder.glob("*.u32"))) == 1  # same bytes, one entry
    for n in range(glyphs.CACHE_ENTRIES + 5):
        (folder / f"old{n}.u32").write_bytes(b"")
    glyphs._prune(folder)
    assert len(list(folder.glob("*.u32"))) == glyphs.CACHE_ENTRIES


def test_check_one_handout_by_id(cli, workspace):
    broken = workspace / "handouts/nephrostomy-ureteral-stent/en.yaml"
    broken.write_text(broken.read_text().replace("version:", "versoin:", 1))
    whole = cli("check", "-w", workspace)
    assert whole.exit_code == 1 and "nephrostomy-ureteral-stent/en.yaml" in whole.stderr
    one = cli("check", "retrograde-pyelography", "-w", workspace)
    assert one.exit_code == 0 and "nephrostomy" not in one.stderr
    assert "retrograde-pyelography/en.yaml" in one.stderr
    unknown = cli("check", "no-such-handout", "-w", workspace)
    assert unknown.exit_code == 2 and "unknown handout id(s): no-such-handout" in unknown.stderr
