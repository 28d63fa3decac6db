"""A health system's daily run outgrows one machine: the same packets, made on a Dask cluster.

The cluster is a LocalCluster of two worker processes started here: they share nothing
with the test but what Dask sends them (the workspace's files travel with the run).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from handoutgen.errors import RenderError
from handoutgen.remote import ROOT, Shipment

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402  (after the skip: Dask is an optional extra)

RETRO, NEPHRO = "retrograde-pyelography", "nephrostomy-ureteral-stent"
ROWS = [
    ("D1", "Test Patient One", "en", f"{RETRO};{NEPHRO}", "2026-12-01T09:30"),
    ("D2", "Test Patient Two", "es", RETRO, "2026-12-01T10:00"),
    ("D3", "测试 患者", "zh-Hans", RETRO, "2026-12-01T10:30"),
    ("D4", "Test Patient Four", "ar", NEPHRO, "2026-12-01T11:00"),
    ("D5", "Test Patient Five", "en", "kidney-magic", "2026-12-01T11:30"),  # fails: unknown handout
    ("D6", "Test Patient Six", "en", RETRO, "next tuesday"),  # fails: not a date
]
KEY = "ab" * 32  # one HMAC key for both folders, so whole manifest rows compare


@pytest.fixture(scope="module")
def cluster():
    # A task whose worker dies is not retried on the other one: the test sees it fail at once.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as local:
            yield local


def write_roster(path: Path) -> Path:
    lines = ["patient_id,patient_name,language,handouts,appointment,location"]
    lines += [",".join([*row, "Clinic B"]) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def keyed_folder(path: Path) -> Path:
    path.mkdir(mode=0o700)
    (path / ".handoutgen-key").write_text(KEY + "\n")
    return path


def manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["rows"]


def shipped_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("handoutgen-worker-*")}


@pytest.mark.slow
def test_cluster_gives_the_bytes_of_a_local_run(cluster, cli, workspace, tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    local, remote = keyed_folder(tmp_path / "local"), keyed_folder(tmp_path / "dask")
    before = shipped_folders()

    made_here = cli("packets", roster, "--out", local, "--jobs", "1", "-w", workspace)
    made_there = cli("packets", roster, "--out", remote, "--executor", "dask",
                     "--scheduler", cluster.scheduler_address, "-w", workspace)

    assert made_here.exit_code == made_there.exit_code == 1  # the two bad rows
    rows = manifest(remote)
    assert rows == manifest(local)
    assert [r["status"] for r in rows] == ["ok"] * 4 + ["failed"] * 2
    for row in rows[:4]:
        assert (remote / row["output"]).read_bytes() == (local / row["output"]).read_bytes()
        assert os.stat(remote / row["output"]).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in remote.iterdir() if p.suffix == ".pdf") == ["D1.pdf", "D2.pdf", "D3.pdf", "D4.pdf"]
    assert "Test Patient" not in made_there.stderr
    assert shipped_folders() == before  # the workers removed what the run sent them

    # --resume against the cluster keeps every finished packet, as a local run does
    written = {p.name: p.stat().st_mtime_ns for p in remote.glob("*.pdf")}
    (remote / "D2.pdf").unlink()
    again = cli("packets", roster, "--out", remote, "--executor", "dask", "--resume",
                "--scheduler", cluster.scheduler_address, "-w", workspace)
    assert again.exit_code == 1
    assert manifest(remote) == rows
    assert (remote / "D2.pdf").read_bytes() == (local / "D2.pdf").read_bytes()
    assert {n: t for n, t in written.items() if n != "D2.pdf"} == \
        {p.name: p.stat().st_mtime_ns for p in remote.glob("*.pdf") if p.name != "D2.pdf"}


def _square_or_die(item: int) -> int:
    if item == 3:
        os._exit(1)  # the worker process dies, as with an out-of-memory kill
    return item * item


def _nothing_to_start() -> None:
    return None


@pytest.mark.slow
def test_a_dying_worker_fails_only_its_item(cluster):
    from handoutgen.dask_executor import DaskExecutor

    executor = DaskExecutor.connect(cluster.scheduler_address)
    try:
        results = list(executor.ordered_map(_square_or_die, [1, 2, 3, 4, 5], initializer=_nothing_to_start,
                                            initargs=()))
    finally:
        executor.close()
    assert results[:2] == [1, 4] and results[3:] == [16, 25]
    assert isinstance(results[2], RenderError) and "worker making this item died" in results[2].message


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_an_unreachable_scheduler_stops_before_anything_is_written(cli, workspace, tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = cli("packets", roster, "--out", tmp_path / "out", "--executor", "dask",
                     "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "-w", workspace)
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["--executor", "dask"], "--executor dask needs --scheduler ADDRESS"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --executor dask"),
    (["--executor", "spark"], "unknown executor 'spark'"),
    (["--executor", "dask", "--scheduler", "scheduler.example.org"], "give the scheduler's address"),
])
def test_executor_options_are_checked(cli, workspace, tmp_path, args, message):
    result = cli("packets", write_roster(tmp_path / "roster.csv"), "--out", tmp_path / "out", *args, "-w", workspace)
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_without_dask_installed_the_error_says_how_to_get_it(cli, workspace, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    monkeypatch.delitem(sys.modules, "handoutgen.dask_executor", raising=False)
    result = cli("packets", write_roster(tmp_path / "roster.csv"), "--out", tmp_path / "out",
                 "--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "-w", workspace)
    assert result.exit_code == 2 and "pip install 'handoutgen[dask]'" in result.stderr


def _record(*args: object) -> None:
    _record.args = args  # type: ignore[attr-defined]


def test_a_shipment_moves_its_folders_and_leaves_other_paths(tmp_path):
    workspace, outside, elsewhere = tmp_path / "ws", tmp_path / "cache", tmp_path / "worker"
    (workspace / "styles" / "fonts").mkdir(parents=True)
    (workspace / "styles" / "fonts" / "face.ttf").write_bytes(b"font")
    (workspace / "handouts").mkdir()
    (workspace / "handouts" / "private.yaml").write_text("not shipped")
    outside.mkdir()
    (outside / "h.en.pdf").write_bytes(b"%PDF")
    roster = tmp_path / "roster.csv"
    roster.write_text("patient_id\n")
    elsewhere.mkdir()

    shipment = Shipment.pack(_record, (workspace, {"h": outside / "h.en.pdf"}, workspace / "styles" / "fonts", roster),
                             [workspace / "styles", outside], workspace)
    base, pdfs, fonts, label = shipment.unpack(elsewhere)

    assert base == elsewhere / ROOT
    assert (fonts / "face.ttf").read_bytes() == b"font" and fonts == elsewhere / ROOT / "styles" / "fonts"
    assert pdfs["h"].read_bytes() == b"%PDF" and pdfs["h"].is_relative_to(elsewhere)
    assert label == roster.resolve()  # named in messages only: not shipped, not moved
    assert not list(elsewhere.rglob("private.yaml")) and not list(elsewhere.rglob("roster.csv"))
