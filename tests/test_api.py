"""An IT team embeds handoutgen: render from memory, in threads, and serve it from a web app."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import handoutgen
from conftest import REPO, pdf_text


def sample() -> tuple[dict, dict]:
    handout = yaml.safe_load((REPO / "handouts/retrograde-pyelography/en.yaml").read_text())
    brand = yaml.safe_load((REPO / "styles/brands/riverside/brand.yaml").read_text())
    brand["logo"] = ""  # a brand held in memory has no logo file
    return handout, brand


def test_public_api_is_declared():
    for name in ("open_workspace", "render_pdf", "build", "check", "make_packets", "Handout", "Brand",
                 "RosterRow", "HandoutgenError"):
        assert name in handoutgen.__all__ and getattr(handoutgen, name) is not None


def test_render_from_memory_needs_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no workspace anywhere near
    handout, brand = sample()
    pdf = handoutgen.render_pdf(handout, brand=brand)
    path = tmp_path / "h.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    assert "Retrograde Pyelography" in text and "(555) 010-0142" in text and "Page 1 of" in text
    assert handoutgen.render_pdf(handoutgen.Handout.model_validate(handout), brand=brand) == pdf  # models too


def test_bad_input_from_memory_names_the_field():
    handout, brand = sample()
    del handout["title"]
    brand["colours"]["primary"] = "#ffff00"
    with pytest.raises(handoutgen.HandoutgenError) as raised:
        handoutgen.render_pdf(handout, brand=brand)
    assert "field 'handout.title': Field required" in raised.value.render()
    with pytest.raises(handoutgen.HandoutgenError) as raised:
        handoutgen.render_pdf(sample()[0], brand=brand)
    assert "field 'brand.colours.primary'" in raised.value.render() and "contrast" in raised.value.render()


@pytest.mark.weasyprint_logs_expected
def test_concurrent_renders_see_only_their_own_warnings():
    """Two threads render at once; one template logs a WeasyPrint warning. Only that one fails."""
    from handoutgen.render.html import HtmlDocument
    from handoutgen.render.pdf import PdfRenderer
    from handoutgen.resources import defaults

    found = defaults()
    good = HtmlDocument("<html lang=en><p>fine</p></html>", "@page { size: letter }", found.templates.as_uri() + "/", ())
    bad = HtmlDocument("<html lang=en><p>broken</p></html>", "@page { size: letter } p { colr: red }", found.templates.as_uri() + "/", ())
    barrier = threading.Barrier(4)

    def render(document: HtmlDocument) -> str:
        renderer = PdfRenderer((found.styles,), [found.templates, found.styles])
        outcomes = []
        for _ in range(6):
            barrier.wait(timeout=60)
            try:
                renderer.render(document, source=Path("<memory>"))
                outcomes.append("ok")
            except handoutgen.HandoutgenError as error:
                outcomes.append(error.message)
        return " | ".join(outcomes)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(render, [good, bad, good, bad]))
    assert results[0] == results[2] == " | ".join(["ok"] * 6)
    for outcome in (results[1], results[3]):
        assert outcome.count("colr") == 6 and "fine" not in outcome


def test_the_documented_web_app_serves_pdfs_in_threads(workspace):
    import importlib.util

    spec = importlib.util.spec_from_file_location("serve_handouts", REPO / "docs" / "serve_handouts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.make_server(workspace)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        def fetch(handout_id: str) -> tuple[int, bytes]:
            try:
                with urllib.request.urlopen(f"{base}/handout?id={handout_id}", timeout=120) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()

        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(fetch, ["retrograde-pyelography", "nephrostomy-ureteral-stent", "no-such"]))
    finally:
        server.shutdown()
        server.server_close()
    assert answers[0][0] == 200 and answers[0][1].startswith(b"%PDF")
    assert answers[1][0] == 200 and answers[1][1].startswith(b"%PDF")
    assert answers[2][0] == 400 and b"unknown handout id(s): no-such" in answers[2][1]


def test_build_check_and_packets_through_the_api(workspace, tmp_path):
    ws = handoutgen.open_workspace(workspace)
    results = handoutgen.build(ws, ["retrograde-pyelography"], ["en"], out_dir=tmp_path / "out")
    assert [r.output.name for r in results] == ["retrograde-pyelography.en.pdf"]
    found = handoutgen.check(ws)
    assert found.errors == 0 and any(f.rule == "review" for f in found.findings)
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id,handouts\nP1,retrograde-pyelography\n")
    rows = handoutgen.make_packets(ws, roster, out_dir=tmp_path / "packets")
    assert [(r.patient_id, r.status) for r in rows] == [("P1", "ok")]


def test_render_file_prints_what_build_prints_in_chinese_too(cli, tmp_path):
    # The API (and serve) set Chinese in the same small faces as build: the same bytes, not a
    # heavier PDF carrying the whole Noto CJK collection.
    from handoutgen.api import open_workspace, render_file

    assert cli("build", "retrograde-pyelography", "--lang", "zh-Hans", "-w", REPO, "--out", tmp_path).exit_code == 0
    built = (tmp_path / "retrograde-pyelography.zh-Hans.pdf").read_bytes()
    assert render_file(open_workspace(REPO), "retrograde-pyelography", "zh-Hans") == built
    assert len(built) <= 200_000
