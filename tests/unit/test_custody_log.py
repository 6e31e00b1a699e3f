"""The custody log's chain check on its own: each entry's hash, each link, gaps and order."""
from __future__ import annotations

from kronika.custody.log import GENESIS, check_chain, entry_hash


def chain(count: int) -> list[dict]:
    rows, prev = [], GENESIS
    for seq in range(1, count + 1):
        row = {"seq": seq, "at": f"2026-12-05T10:00:{seq:02d}.000000Z", "action": "closed",
               "file": f"src/f{seq}.warc.gz", "sha256": "ab" * 32, "host": "h", "user": "u", "version": "0.1.0",
               "detail": {"size": seq}, "prev_sha256": prev}
        row["entry_sha256"] = prev = entry_hash(row)
        rows.append(row)
    return rows


def test_an_intact_chain_passes_and_its_head_is_the_last_hash():
    rows = chain(5)
    result = check_chain(rows)
    assert result.ok and result.entries == 5 and result.head == rows[-1]["entry_sha256"]


def test_a_changed_field_is_caught_in_its_entry_even_inside_the_detail():
    rows = chain(4)
    rows[1]["detail"]["size"] = 99
    assert check_chain(rows).problems == ["entry 2: its content does not match its hash (changed after it was written)"]


def test_a_removed_entry_breaks_the_chain_where_it_was():
    rows = chain(4)
    del rows[1]
    problems = check_chain(rows).problems
    assert problems == ["entry 3: expected entry 2 here (entries missing or out of order)"]


def test_a_rehashed_entry_is_caught_by_the_next_link():
    rows = chain(3)
    rows[0]["user"] = "mallory"
    rows[0]["entry_sha256"] = entry_hash(rows[0])
    assert check_chain(rows).problems == ["entry 2: prev_sha256 does not match the entry before it (chain broken)"]


def test_part_of_a_log_checks_hashes_links_between_neighbours_and_order():
    rows = chain(6)
    part = [rows[1], rows[2], rows[4]]
    assert check_chain(part, whole=False).ok
    assert not check_chain(part, whole=True).ok  # it does not start at entry 1
    assert check_chain([rows[4], rows[2]], whole=False).problems == ["entry 3: out of order after entry 5"]
    forged = dict(rows[2], prev_sha256="0" * 64)
    forged["entry_sha256"] = entry_hash(forged)
    assert check_chain([rows[1], forged], whole=False).problems == [
        "entry 3: prev_sha256 does not match the entry before it (chain broken)"]
