"""An editor previews the workspace with `handoutgen serve`: the pages, checked over HTTP.

The app runs in-process (Starlette's TestClient); the real-browser story, with live refresh,
is tests/test_serve_browser.py.
"""

from __future__ import annotations

import hashlib
import io
import re
from html import unescape
from pathlib import Path

import pypdfium2
import pytest
from starlette.testclient import TestClient

from conftest import edit, line_of, pdf_text
from handoutgen.api import open_workspace
from handoutgen.serve.app import create_app

ES = Path("handouts/retrograde-pyelography/es.yaml")


@pytest.fixture
def client(workspace):
    with TestClient(create_app(workspace, watch=False), base_url="http://127.0.0.1") as client:
        yield client


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with a hash of its bytes and its mode."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
            for p in sorted(root.rglob("*")) if p.is_file()}


def text_of(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def translation_states(workspace: Path) -> list[str]:
    """State of every handout × configured language, as `handoutgen i18n status` reports it."""
    from handoutgen.i18n.exchange import status_table

    return [row.state for row in status_table(open_workspace(workspace))]


def test_index_lists_every_handout_and_language_with_its_status(client, workspace):
    (workspace / "handouts/retrograde-pyelography/zh-Hans.yaml").unlink()  # asked for in handoutgen.yaml
    page = client.get("/")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Retrograde Pyelography" in text and "Nephrostomy Tube and Ureteral Stent" in text
    assert "Pielografía retrógrada" in text  # a translation's own title, in its language
    assert '<span lang="es" dir="ltr">Pielografía retrógrada</span>' in page.text
    assert 'lang="ar" dir="rtl"' in page.text
    assert re.search(r'data-words="retrograde-pyelography zh-hans [^"]*missing', page.text)
    files = len(list((workspace / "handouts").glob("*/*.yaml")))
    total = files + translation_states(workspace).count("missing")
    assert f"{total} of {total} handout files shown" in text
    assert "last reviewed 2026-11-22" in text and "warning" in text
    assert 'href="/handout/retrograde-pyelography/es/pdf"' in page.text


def test_index_filters_without_javascript(client, workspace):
    (workspace / "handouts/retrograde-pyelography/zh-Hans.yaml").unlink()
    total = len(list((workspace / "handouts").glob("*/*.yaml"))) + translation_states(workspace).count("missing")
    one = text_of(client.get("/", params={"q": "retrograde zh-hans"}).text)
    assert f"1 of {total} handout files shown" in one and "missing" in one and "Pielografía" not in one
    needing_work = client.get("/", params={"show": "translation"}).text
    unfinished = sum(state != "current" for state in translation_states(workspace))
    assert f"{unfinished} of {total} handout files shown" in text_of(needing_work)
    assert 'option value="translation" selected' in needing_work
    assert "No handout matches this filter" in client.get("/", params={"q": "no-such-thing"}).text


def test_handout_page_shows_the_printed_pages_and_each_finding_with_its_line(client, workspace, tmp_path):
    page = client.get("/handout/retrograde-pyelography/en")
    assert page.status_code == 200
    text = text_of(page.text)
    line = line_of(workspace, 'reviewed_by: ""')
    assert f"warning line {line} · field reviewed_by · review no clinician has reviewed this handout" in text
    images = re.findall(r'<img src="([^"]+)"', page.text)
    pdf = tmp_path / "download.pdf"
    download = client.get("/handout/retrograde-pyelography/en/pdf")
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="retrograde-pyelography.en.pdf"' in download.headers["content-disposition"]
    pdf.write_bytes(download.content)
    pages = len(pypdfium2.PdfDocument(pdf))
    assert len(images) == pages >= 2
    assert "Retrograde Pyelography" in pdf_text(pdf) and "Page 1 of" in pdf_text(pdf)
    first = client.get(images[0])
    assert first.headers["content-type"] == "image/png"
    from PIL import Image

    assert Image.open(io.BytesIO(first.content)).size[0] > 800  # readable when zoomed
    assert client.get(f"/handout/retrograde-pyelography/en/page-{pages + 1}.png").status_code == 404


def test_broken_yaml_shows_the_path_line_error_instead_of_the_pages(client, workspace):
    edit(workspace, "title: Retrograde Pyelography", "title: [Retrograde Pyelography")
    page = client.get("/handout/retrograde-pyelography/en")
    assert page.status_code == 200
    assert "<img" not in page.text
    assert re.search(r"handouts/retrograde-pyelography/en.yaml:\d+: YAML syntax", page.text)
    edit(workspace, "title: [Retrograde Pyelography", "title: Retrograde Pyelography, fixed")
    assert "Retrograde Pyelography, fixed" in client.get("/handout/retrograde-pyelography/en").text


def test_a_saved_stylesheet_changes_the_next_preview(client, workspace):
    """Stylesheets are parsed once per renderer; a saved one must not leave the preview stale."""
    before = client.get("/handout/retrograde-pyelography/en/page-1.png").content
    with (workspace / "styles/handout.css").open("a", encoding="utf-8") as css:
        css.write("\nbody { background: #ffd0d0; }\n")
    after = client.get("/handout/retrograde-pyelography/en/page-1.png").content
    assert before != after


def test_translation_side_by_side_highlights_stale_segments_with_their_previous_source(client, workspace):
    page = client.get("/translation/retrograde-pyelography/es")
    assert page.status_code == 200 and "0 stale" in text_of(page.text) and 'class="segment stale"' not in page.text
    edit(workspace, "summary: >-", "summary: >-\n  Please read this.")
    page = client.get("/translation/retrograde-pyelography/es").text
    row = re.search(r'<tr class="segment stale" id="segment-summary">.*?</tr>', page, re.S)
    assert row is not None, page
    row_text = text_of(row[0])
    assert "Please read this. This handout explains retrograde pyelography." in row_text
    assert "Previous source (what the translation was made from): This handout explains" in row_text
    assert '<p lang="es" dir="ltr">Este folleto explica la pielografía retrógrada.' in row[0]
    assert "1 stale" in text_of(page)


def test_a_translation_not_started_shows_every_segment_missing(client):
    page = client.get("/translation/nephrostomy-ureteral-stent/zh-Hans").text
    assert "No translation file yet" in page and 'class="segment current"' not in page
    assert page.count('class="segment missing"') > 20


def test_a_stale_translation_downloads_only_as_a_draft_with_its_notice(client, workspace, tmp_path):
    edit(workspace, "summary: >-", "summary: >-\n  Please read this.")
    refused = client.get("/handout/retrograde-pyelography/es/pdf")
    assert refused.status_code == 409
    assert "handouts/retrograde-pyelography/es.yaml: translation is stale (stale: summary" in refused.text
    draft = client.get("/handout/retrograde-pyelography/es/pdf", params={"draft": "1"})
    assert draft.status_code == 200
    (tmp_path / "draft.pdf").write_bytes(draft.content)
    assert 'filename="retrograde-pyelography.es.draft.pdf"' in draft.headers["content-disposition"]
    # The previous translation prints, under the notice that it may not match the English.
    text = pdf_text(tmp_path / "draft.pdf")
    assert "Este folleto explica" in text and "Es posible que esta traducción no coincida" in text
    preview = text_of(client.get("/handout/retrograde-pyelography/es").text)
    assert "This translation is stale (stale: summary" in preview


@pytest.mark.parametrize("url", [
    "/handout/..%2f..%2fetc/passwd",
    "/handout/../../etc/passwd",
    "/handout/%2e%2e/%2e%2e",
    "/handout/retrograde-pyelography/..%2f..%2f..%2fhandoutgen.yaml",
    "/handout/retrograde-pyelography/en%2f..%2f..%2fes/pdf",
    "/translation/..%2f..%2fetc/passwd",
    "/translation/retrograde-pyelography/en",  # the source itself has no translation page
    "/static/..%2f..%2fapi.py",
    "/static/../app.py",
    "/handout/retrograde-pyelography/en/page-0.png",
])
def test_paths_outside_the_workspace_handouts_are_refused(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "import" not in response.text and "default_brand" not in response.text


def test_only_this_machine_names_are_accepted_as_host(client):
    """A web page elsewhere cannot read the workspace by pointing its own name at 127.0.0.1."""
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200


def test_pages_use_no_external_assets_and_forbid_them(client):
    page = client.get("/handout/retrograde-pyelography/en")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith(("/", "#")) for a in assets)
    for asset in ("/static/serve.css", "/static/live.js"):
        body = client.get(asset).text
        assert "http:" not in body and "https:" not in body and "@import" not in body


def test_browsing_writes_nothing_into_the_workspace(client, workspace):
    before = tree(workspace)
    for url in ("/", "/handout/retrograde-pyelography/en", "/handout/retrograde-pyelography/en/page-1.png",
                "/handout/retrograde-pyelography/en/pdf", "/handout/retrograde-pyelography/es/pdf?draft=1",
                "/translation/retrograde-pyelography/ar"):
        assert client.get(url).status_code == 200
    assert tree(workspace) == before


def test_an_unexpected_error_is_a_plain_500_and_logs_only_its_type(client, monkeypatch, caplog):
    from handoutgen.serve import views

    def broken(*args):
        raise RuntimeError("Zebediah Quux")

    monkeypatch.setattr(views, "index_rows", broken)
    response = client.get("/")
    assert response.status_code == 500 and "Zebediah" not in response.text
    assert "RuntimeError" in caplog.text and "Zebediah" not in caplog.text


def test_serve_listens_on_this_machine_only_unless_a_host_is_given(cli, workspace, monkeypatch):
    from handoutgen.serve import server

    started = []
    monkeypatch.setattr(server, "serve", lambda config, open_browser, say: started.append((config, open_browser)))
    result = cli("serve", "--workspace", workspace)
    assert result.exit_code == 0
    config, open_browser = started.pop()
    assert (config.host, config.port, config.access_log, open_browser) == ("127.0.0.1", 8000, False, False)
    assert "Warning" not in result.stderr

    result = cli("serve", "--host", "0.0.0.0", "--port", "9001", "--workspace", workspace)
    config, _ = started.pop()
    assert (config.host, config.port) == ("0.0.0.0", 9001)
    assert "Warning: serving on 0.0.0.0: anyone who can reach this machine" in result.stderr

    assert cli("serve", "--workspace", workspace / "handouts").exit_code == 2  # not a workspace
    assert started == []


ROSTER = """patient_id,patient_name,language,handouts,appointment
P1,Zebediah Quux,es,retrograde-pyelography,2026-12-01T09:30
P2,Zebediah Quux,en,no-such-handout,2026-12-01T10:00
P3,Zebediah Quux,en,retrograde-pyelography,Zebediah Quux
P4,Zebediah Quux,zh-Hans,nephrostomy-ureteral-stent,2026-12-01T11:00
"""


def outcomes(html: str) -> list[str]:
    """Each result row's text: 'row patient_id outcome handouts details'."""
    body = html.split('<table class="outcomes">', 1)[1]
    return [text_of(row) for row in re.findall(r'<tr class="outcome-[^"]+">.*?</tr>', body, re.S)]


def test_roster_dry_run_of_an_upload_shows_each_row_and_keeps_nothing(client, workspace, tmp_path, monkeypatch,
                                                                       caplog):
    import logging
    import tempfile

    spare_tmp = tmp_path / "tmp"
    spare_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare_tmp))
    monkeypatch.setenv("TMPDIR", str(spare_tmp))
    caplog.set_level(logging.DEBUG)
    before = tree(workspace)
    # Over a megabyte: Starlette's own form parser would spool this to a temporary file.
    padding = "".join(f"P{n},Zebediah Quux,en,retrograde-pyelography,2026-12-02T09:00\n" for n in range(10, 20000))
    page = client.post("/roster", files={"upload": ("Quux family.csv", ROSTER + padding, "text/csv")},
                       data={"fallback_language": ""})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    rows = outcomes(page.text)
    assert rows[0] == "1 P1 valid retrograde-pyelography (es)"
    assert rows[1] == "2 P2 error no-such-handout field 'handouts': unknown handout 'no-such-handout'"
    assert rows[2].startswith("3 P3 error") and "appointment" in rows[2]
    assert rows[3].startswith("4 P4 error") and "has no 'zh-Hans' version" in rows[3]
    assert len(rows) == 4 + 19990 and "19991 of 19994 rows would get a packet; 3 would fail" in text_of(page.text)
    assert "Zebediah" not in page.text and "Quux" not in page.text  # not even the file's name
    assert tree(workspace) == before
    assert list(spare_tmp.iterdir()) == []
    assert "Zebediah" not in caplog.text and "Quux" not in caplog.text


def test_roster_dry_run_of_a_workspace_file_and_its_options(client, workspace):
    (workspace / "rosters").mkdir()
    (workspace / "rosters/tomorrow.csv").write_text(ROSTER, encoding="utf-8")
    form = client.get("/roster").text
    assert '<option value="rosters/tomorrow.csv">' in form and "handoutgen.yaml" not in form
    page = client.post("/roster", data={"roster": "rosters/tomorrow.csv", "fallback_language": "en"}).text
    rows = outcomes(page)
    assert rows[3].startswith("4 P4 valid nephrostomy-ureteral-stent (en)") and "no 'zh-Hans' version; used 'en'" in rows[3]
    assert "Ignored columns" not in page


@pytest.mark.parametrize("chosen", ["../../etc/passwd", "/etc/passwd", "handoutgen.yaml",
                                    "handouts/retrograde-pyelography/en.yaml"])
def test_roster_dry_run_opens_only_the_files_it_offers(client, chosen):
    page = client.post("/roster", data={"roster": chosen}).text
    assert "Choose a roster file from the list, or upload a CSV file." in page
    assert "root:" not in page and "<table" not in page


def test_a_roster_that_cannot_be_read_names_the_upload_not_the_server_folder(client):
    page = client.post("/roster", files={"upload": ("x.csv", "name,language\nA,en\n", "text/csv")}).text
    assert "uploaded roster.csv:1: no patient_id column" in page
    assert "/tmp" not in page and "/work" not in page


@pytest.mark.slow  # renders four editions
def test_every_edition_build_prints_can_be_downloaded(client, tmp_path):
    page = client.get("/handout/retrograde-pyelography/es").text
    for label in ("Standard", "Large print", "Bilingual with English", "Large-print bilingual with English"):
        assert f"download>{label}</a>" in page
    assert "Bilingual" not in client.get("/handout/retrograde-pyelography/en").text  # English beside English: no
    bilingual = client.get("/handout/retrograde-pyelography/es/pdf", params={"edition": "bilingual-en"})
    assert 'filename="retrograde-pyelography.es.bilingual-en.pdf"' in bilingual.headers["content-disposition"]
    (tmp_path / "bilingual.pdf").write_bytes(bilingual.content)
    text = pdf_text(tmp_path / "bilingual.pdf")
    assert "Pielografía retrógrada" in text and "This handout explains retrograde pyelography" in text
    large = client.get("/handout/retrograde-pyelography/en/pdf", params={"edition": "large-print"})
    assert 'filename="retrograde-pyelography.en.large-print.pdf"' in large.headers["content-disposition"]
    (tmp_path / "large.pdf").write_bytes(large.content)
    standard = tmp_path / "standard.pdf"
    standard.write_bytes(client.get("/handout/retrograde-pyelography/en/pdf").content)
    assert len(pypdfium2.PdfDocument(tmp_path / "large.pdf")) > len(pypdfium2.PdfDocument(standard))
    for refused in ("bilingual-fr", "bilingual-en", "../x"):  # only the editions the page offers
        assert client.get("/handout/retrograde-pyelography/en/pdf", params={"edition": refused}).status_code == 404


def test_a_broken_setting_is_named_on_every_page_it_spoils(client, workspace):
    edit(workspace, "paper: letter", "paper: tabloid", path=Path("handoutgen.yaml"))
    index = text_of(client.get("/").text)
    assert "Files that do not load or that every handout needs" in index
    assert re.search(r"handoutgen.yaml:\d+: error: field 'paper'", index), index
    handout = text_of(client.get("/handout/retrograde-pyelography/en").text)
    assert "This handout cannot be printed as saved" in handout and "handoutgen.yaml:" in handout


def test_the_watcher_follows_a_template_folder_created_while_serving(workspace):
    """Making templates/ (to override a default) re-arms the watcher; saves in it still refresh pages."""
    import asyncio
    import shutil

    from handoutgen.serve.live import Broadcaster, stamp

    shutil.rmtree(workspace / "templates")  # the packaged defaults are used

    async def news_after(change, news: asyncio.Queue) -> str:
        """Make the change until the watcher reports the workspace as it now is (it may still be arming)."""
        for _ in range(50):
            change()
            try:
                reported = await asyncio.wait_for(news.get(), 0.2)
            except TimeoutError:
                continue
            if reported == stamp(workspace):
                return reported
        raise AssertionError("no news from the watcher")

    def touch_settings():
        with (workspace / "handoutgen.yaml").open("a") as settings:
            settings.write("\n")

    async def story() -> None:
        live, stop = Broadcaster(workspace), asyncio.Event()
        watching = asyncio.create_task(live.watch(stop))
        with live.listen() as news:
            await news_after(touch_settings, news)
            await news_after(lambda: (workspace / "templates").mkdir(exist_ok=True), news)
            page_css = workspace / "templates/page.css.j2"
            await news_after(lambda: page_css.write_text(page_css.read_text() + "/**/" if page_css.exists() else ""),
                             news)
        assert not stop.is_set() and not watching.done()  # re-arming never stops the server's watcher
        stop.set()
        await asyncio.wait_for(watching, 5)

    asyncio.run(story())


def test_a_dangling_link_in_styles_does_not_stop_the_preview(client, workspace):
    (workspace / "styles/old-theme.css").symlink_to(workspace / "styles/removed.css")
    page = client.get("/handout/retrograde-pyelography/en").text
    assert "<img" in page and "cannot be printed" not in page


def test_titles_read_as_words_not_markup(client, workspace):
    # An editor bolds a word of the title; the preview shows the word, as list and the PDF do.
    edit(workspace, "title: Retrograde Pyelography", "title: Retrograde **Pyelography**")
    (workspace / "handouts/retrograde-pyelography/zh-Hans.yaml").unlink()  # its row shows the source title
    index = text_of(client.get("/").text)
    handout = text_of(client.get("/handout/retrograde-pyelography/en").text)
    assert "Retrograde Pyelography" in index and "Retrograde Pyelography" in handout
    assert "**" not in index and "**" not in handout
