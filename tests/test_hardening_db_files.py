"""Issue 11, finding 10: an empty, truncated, garbage or page-corrupted controller.db is refused with a clear message."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from controller.cli import main
from controller.store.db import Store, StoreUnusable


def good_db(path):
    store = Store(path)
    with store.write() as db:
        db.conn.execute("CREATE TABLE filler (x TEXT)")
        db.conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 2000,) for _ in range(400)])
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def test_an_existing_empty_file_is_not_taken_for_a_new_controller(tmp_path, capsys):
    data = tmp_path / "ctl"
    data.mkdir()
    (data / "controller.db").write_bytes(b"")
    with pytest.raises(StoreUnusable, match="empty"):
        Store(data / "controller.db")
    assert (data / "controller.db").stat().st_size == 0, "nothing was written into it"
    assert main(["enroll", "ex-1", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "empty" in err and "Traceback" not in err and "backup" in err


@pytest.mark.parametrize("damage", ["garbage", "truncated", "corrupted_page"])
def test_damaged_database_files_give_a_clear_message(tmp_path, capsys, damage):
    path = good_db(tmp_path / "ctl" / "controller.db")
    raw = bytearray(path.read_bytes())
    if damage == "garbage":
        raw = bytearray(b"this is not a database at all " * 200)
    elif damage == "truncated":
        raw = raw[: len(raw) // 3 + 123]
    else:
        for page in range(3, len(raw) // 4096 - 1):  # scribble over b-tree pages, keep the header
            raw[page * 4096 : page * 4096 + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreUnusable) as caught:
        Store(path)
    assert str(path) in str(caught.value) and "backup" in str(caught.value)
    assert main(["enroll", "ex-1", "--data", str(path.parent)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "controller.db" in err


def test_a_missing_file_still_starts_a_new_controller(tmp_path):
    Store(tmp_path / "new" / "controller.db").close()
    assert (tmp_path / "new" / "controller.db").stat().st_size > 0
