"""A render reads only the workspace: no network, no other files, no HTML injection."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import pdf_text

TEMPLATE = Path("templates/handout.html.j2")
HANDOUT = Path("handouts/retrograde-pyelography/en.yaml")


def add_to_template(workspace: Path, html: str) -> None:
    path = workspace / TEMPLATE
    path.write_text(path.read_text().replace("<main>", "<main>" + html, 1))


@pytest.fixture
def local_server():
    """An HTTP server on loopback that records every request it gets."""
    requests: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def build_one(cli, workspace: Path, out: Path):
    return cli("build", "retrograde-pyelography", "--lang", "en", "--workspace", workspace, "--out", out, "--jobs", "1")


def test_template_reading_etc_passwd_fails_the_render(cli, workspace, tmp_path):
    add_to_template(workspace, '<img src="file:///etc/passwd" alt="">')
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 1
    assert "handouts/retrograde-pyelography/en.yaml: the render tried to load file:///etc/passwd" in result.stderr
    assert not (tmp_path / "retrograde-pyelography.en.pdf").exists()


@pytest.mark.parametrize("tag", ['<link rel="stylesheet" href="{url}/style.css">', '<img src="{url}/logo.png" alt="">'])
def test_template_reaching_a_server_fails_and_sends_nothing(cli, workspace, tmp_path, local_server, tag):
    url, requests = local_server
    add_to_template(workspace, tag.format(url=url))
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 1
    assert f"tried to load {url}/" in result.stderr
    assert requests == []


def test_stylesheet_import_from_a_server_fails(cli, workspace, tmp_path, local_server):
    url, requests = local_server
    css = workspace / "styles/handout.css"
    css.write_text(f'@import url("{url}/evil.css");\n' + css.read_text())
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 1
    assert requests == []


def test_symlink_out_of_the_workspace_is_refused(cli, workspace, tmp_path):
    (workspace / "styles/secret.svg").symlink_to("/etc/passwd")
    add_to_template(workspace, '<img src="styles/secret.svg" alt="">')
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 1
    assert "secret.svg" in result.stderr


def test_brand_logo_outside_its_folder_is_refused(cli, workspace, tmp_path):
    brand = workspace / "styles/brands/riverside/brand.yaml"
    brand.write_text(brand.read_text().replace("logo: logo.svg", "logo: ../../../../../etc/passwd"))
    result = cli("check", "--workspace", workspace)
    assert result.exit_code == 1
    assert "logo must be an .svg or .png file in the brand's own folder" in result.stderr


def test_html_in_a_field_prints_literally(cli, workspace, tmp_path):
    path = workspace / HANDOUT
    payload = '<img src="file:///etc/passwd"> <b>bold</b> {{ 7*7 }}'
    path.write_text(path.read_text().replace("  - To check for an injury", f"  - '{payload}'\n  - To check for an injury"))
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 0, result.stderr
    text = pdf_text(tmp_path / "retrograde-pyelography.en.pdf")
    assert payload in text


def test_failed_render_keeps_the_previous_pdf(cli, workspace, tmp_path):
    out = tmp_path / "out"
    assert build_one(cli, workspace, out).exit_code == 0
    output = out / "retrograde-pyelography.en.pdf"
    before = output.read_bytes()
    add_to_template(workspace, '<img src="file:///etc/passwd" alt="">')
    assert build_one(cli, workspace, out).exit_code == 1
    assert output.read_bytes() == before
    # no temp files left; the build record no longer vouches for the kept PDF
    assert sorted(p.name for p in out.iterdir()) == [".handoutgen-build.json", output.name]
    assert output.name not in (out / ".handoutgen-build.json").read_text()


@pytest.mark.weasyprint_logs_expected
def test_invalid_css_fails_the_render(cli, workspace, tmp_path):
    css = workspace / "styles/handout.css"
    css.write_text(css.read_text() + "\nh1 { colr: red; }\n")
    result = build_one(cli, workspace, tmp_path)
    assert result.exit_code == 1
    line = css.read_text().splitlines().index("h1 { colr: red; }") + 1
    assert f"styles/handout.css:{line}: WeasyPrint refused it: Ignored `colr: red`" in result.stderr


def test_one_bad_handout_does_not_stop_the_others(cli, workspace, tmp_path):
    (workspace / HANDOUT).write_text("id: [", encoding="utf-8")
    result = cli("build", "--lang", "en", "--workspace", workspace, "--out", tmp_path, "--jobs", "2")
    assert result.exit_code == 1
    assert (tmp_path / "nephrostomy-ureteral-stent.en.pdf").exists()
    assert not (tmp_path / "retrograde-pyelography.en.pdf").exists()
    assert f"{HANDOUT}:2: YAML syntax" in result.stderr  # libyaml points at the end of the input
