"""A clinic starts from nothing: `init`, `new`, `eject`, then check and build — also from the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pikepdf
import pytest

from conftest import REPO, pdf_text


def test_init_gives_a_workspace_that_checks_and_builds(cli, tmp_path):
    folder = tmp_path / "clinic"
    result = cli("init", folder)
    assert result.exit_code == 0, result.stderr
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} == {
        "handoutgen.yaml", "README.md", "styles/brands/my-clinic/brand.yaml", "styles/brands/my-clinic/logo.svg",
        "handouts/retrograde-pyelography/en.yaml"}
    checked = cli("check", "-w", folder)
    assert checked.exit_code == 0, checked.stderr
    assert "no clinician has reviewed this handout" in checked.stderr  # the sample says so
    built = cli("build", "-w", folder, "--out", folder / "out", "-j", "1")
    assert built.exit_code == 0, built.stderr
    assert "Retrograde Pyelography" in pdf_text(folder / "out/retrograde-pyelography.en.pdf")
    again = cli("init", folder)
    assert again.exit_code == 2 and "already a handoutgen workspace" in again.stderr


def test_new_writes_a_skeleton_that_check_walks_through(cli, tmp_path):
    folder = tmp_path / "clinic"
    cli("init", folder)
    assert cli("new", "kidney-stent", "-w", folder).exit_code == 0
    skeleton = (folder / "handouts/kidney-stent/en.yaml").read_text()
    assert "# when_to_call:" in skeleton and "never add clinical facts" in skeleton
    checked = cli("check", "-w", folder)
    assert checked.exit_code == 1
    for line, field in ((7, "title"), (8, "summary"), (20, "overview.1")):
        assert f"handouts/kidney-stent/en.yaml:{line}: error: field '{field}': placeholder to fill in" in checked.stderr
    assert cli("new", "kidney-stent", "-w", folder).exit_code == 2  # never overwritten
    bad = cli("new", "Kidney Stent", "-w", folder)
    assert bad.exit_code == 2 and "not a handout id" in bad.stderr


def test_eject_copies_a_default_that_then_wins(cli, tmp_path):
    folder = tmp_path / "clinic"
    cli("init", folder)
    assert cli("eject", "templates/handout.html.j2", "-w", folder).exit_code == 0
    template = folder / "templates/handout.html.j2"
    template.write_text(template.read_text().replace("<main>", "<main><p>Printed by the front desk</p>", 1))
    assert cli("build", "-w", folder, "--out", folder / "out", "-j", "1").exit_code == 0
    assert "Printed by the front desk" in pdf_text(folder / "out/retrograde-pyelography.en.pdf")
    unknown = cli("eject", "styles/nothing.css", "-w", folder)
    assert unknown.exit_code == 2 and "styles/handout.css" in unknown.stderr


@pytest.mark.slow
def test_the_wheel_works_in_a_fresh_venv_and_an_empty_folder(tmp_path):
    """Build the wheel, install it alone into a new venv, and use it as a clinic and an IT team would."""
    wheels = tmp_path / "wheels"
    env = {**os.environ, "PIP_CACHE_DIR": str(tmp_path / "pip-cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                   check=True, env=env, capture_output=True)
    [wheel] = wheels.glob("handoutgen-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, env=env,
                   capture_output=True)
    # The dependencies (WeasyPrint, pydantic, …) come from this test run's environment, not the repository.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    folder = tmp_path / "empty"
    folder.mkdir()
    clean_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / "handoutgen"), *args], cwd=folder, env=clean_env,
                              capture_output=True, text=True)

    where = subprocess.run([str(python), "-c", "import handoutgen; print(handoutgen.__file__)"],
                           capture_output=True, text=True, env=clean_env, cwd=folder).stdout
    assert str(venv) in where and str(REPO) not in where  # the installed wheel, not this checkout
    assert run("init").returncode == 0
    assert run("new", "kidney-stent").returncode == 0
    checked = run("check")
    assert checked.returncode == 1 and "placeholder to fill in" in checked.stderr  # the new skeleton
    (folder / "handouts/kidney-stent/en.yaml").unlink()
    assert run("check").returncode == 0
    built = run("build", "--out", "out", "-j", "1")
    assert built.returncode == 0, built.stderr
    assert "Retrograde Pyelography" in pdf_text(folder / "out/retrograde-pyelography.en.pdf")
    api = subprocess.run([str(python), "-c", (
        "import handoutgen, yaml, pathlib\n"
        "h = yaml.safe_load(pathlib.Path('handouts/retrograde-pyelography/en.yaml').read_text())\n"
        "b = yaml.safe_load(pathlib.Path('styles/brands/my-clinic/brand.yaml').read_text()); b['logo'] = ''\n"
        "pathlib.Path('api.pdf').write_bytes(handoutgen.render_pdf(h, brand=b))\n")],
        cwd=folder, env=clean_env, capture_output=True, text=True)
    assert api.returncode == 0, api.stderr
    assert "Retrograde Pyelography" in pdf_text(folder / "api.pdf")
    # A coordinator's packets: the cover letter comes from the wheel's own cover.typ (Typst)
    (folder / "roster.csv").write_text("patient_id,patient_name,handouts,appointment\n"
                                       "P1,Ann Example,retrograde-pyelography,2026-12-01T09:30\n", encoding="utf-8")
    packets = run("packets", "roster.csv", "--out", "packets", "-j", "1")
    assert packets.returncode == 0, packets.stderr
    cover = " ".join(pdf_text(folder / "packets/P1.pdf").split())
    assert "Your appointment" in cover and "Dear Ann Example," in cover and "Tuesday, December 1, 2026" in cover
    with pikepdf.open(folder / "packets/P1.pdf") as pdf:  # Typst names the face "AtkinsonHyperlegible", WeasyPrint "Atkinson-Hyperlegible"
        assert any("+AtkinsonHyperlegible" in str(font.BaseFont) for font in pdf.pages[0].Resources.Font.values())
