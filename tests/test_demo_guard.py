"""demo-data never replaces data it did not create (unless --force)."""

import subprocess
import sys
from pathlib import Path

from cxresearch.data import db, demo, fingerprints, imports

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxresearch.cli", *args],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip


def fingerprint(url: str) -> str:
    con = db.connect(url)
    try:
        return fingerprints.fingerprint(con)
    finally:
        con.disconnect()


def test_demo_data_refuses_a_database_with_imports(tmp_path):
    url = f"duckdb:///{tmp_path}/cx.duckdb"
    db.write_tables(url, demo.generate(200, seed=1))
    assert cli("demo-data", "--responses", "100", "--db", url).returncode == 0  # demo only
    wave = tmp_path / "wave.csv"
    wave.write_text("response_id,customer_id,responded_at,nps\nr1,c1,2026-03-02,9\n")
    imports.import_files([wave], database=url)
    before = fingerprint(url)
    done = cli("demo-data", "--responses", "100", "--db", url)
    assert done.returncode == 1
    assert str(tmp_path / "cx.duckdb") in done.stderr and "--force" in done.stderr
    assert fingerprint(url) == before  # data intact
    done = cli("demo-data", "--responses", "100", "--db", url, "--force")
    assert done.returncode == 0, done.stderr
    assert fingerprint(url) != before


def test_demo_data_refuses_postgresql_without_connecting():
    url = "postgresql://analyst:s3cret-pw@127.0.0.1:9/cx"
    done = cli("demo-data", "--db", url)
    assert done.returncode == 1
    assert "127.0.0.1:9/cx" in done.stderr and "s3cret-pw" not in done.stderr
    assert "--force" in done.stderr
