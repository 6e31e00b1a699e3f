"""`kronika index` on files written by the writer (no crawl): CDXJ per collection, and a bad file skipped."""
from __future__ import annotations

from kronika.storage.warc.cdxj import collection_index, covered_files

from kronika.steps.index import index
from tests.unit.test_warc_cdxj import write_sample


def test_an_unreadable_file_is_reported_and_the_others_indexed(sqlite_env):
    collection = sqlite_env.archive_dir / "test"
    collection.mkdir(parents=True)
    good = write_sample(collection)
    bad = collection / "t-20260101000000000-00009-host.warc.gz"
    bad.write_bytes(b"this is not a WARC file")

    result = index(sqlite_env)
    assert result.files == [f"test/{good.name}"] and result.captures == 4
    assert len(result.errors) == 1 and result.errors[0].startswith(f"test/{bad.name}: ")
    assert covered_files(collection_index(collection)) == {good.name}
    assert len(collection_index(collection).read_text().splitlines()) == 4

    again = index(sqlite_env)
    assert again.files == [] and again.cdxj_lines == 0 and len(again.errors) == 1, "still reported, still skipped"
