"""`kronika index` on files written by the writer (no crawl): CDXJ per collection, and a bad file skipped."""
from __future__ import annotations

from kronika.steps.index import index
from kronika.storage.warc.cdxj import collection_index, covered_files
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


def test_each_new_file_is_read_once_fingerprinted_and_measured_on_the_way(sqlite_env, monkeypatch):
    # on an object store every read of a file is a download: index hashes (SHA-256) the bytes the
    # record walk reads rather than reading the file a second time
    import hashlib

    import kronika.steps.index as index_module
    import kronika.storage.warc.cdxj as cdxj_module
    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import WarcFile

    collection = sqlite_env.archive_dir / "test"
    collection.mkdir(parents=True)
    path = write_sample(collection)
    opened: list[str] = []
    for module in (index_module, cdxj_module):
        real = module.open_binary
        monkeypatch.setattr(module, "open_binary", lambda p, real=real: opened.append(p.name) or real(p))

    # nor asked for its size (a HEAD each time on a store): the read's end is the size
    def no_stat(p):
        raise AssertionError(f"file_size({p}) called")

    for module in (index_module, cdxj_module):  # (index no longer imports it; should it again)
        monkeypatch.setattr(module, "file_size", no_stat, raising=False)

    index(sqlite_env)
    assert opened == [path.name], "the file was opened once"
    with unit_of_work(open_database(sqlite_env.database_url)) as session:
        [stored] = session.query(WarcFile).all()
        assert stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert stored.size == path.stat().st_size


def test_a_reader_that_seeks_gives_up_the_running_hash(tmp_path):
    import hashlib
    import io

    from kronika.steps.index import _Fingerprinting

    data = bytes(range(256)) * 100
    whole = _Fingerprinting(io.BytesIO(data))
    whole.read(1000)
    whole.seek(1000)  # to where it is: still sequential
    assert whole.sha256() == hashlib.sha256(data).hexdigest(), "the unread rest is read for the hash"
    skipping = _Fingerprinting(io.BytesIO(data))
    skipping.read(10)
    skipping.seek(5000)
    assert skipping.sha256() is None, "a skip means the bytes seen are not the file: hash it apart"
    assert skipping.tell() == whole.tell() == len(data), "read to the end either way: the position is the size"
