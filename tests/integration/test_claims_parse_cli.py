"""`kronika claims parse FILE --json`: the extractor on a text file, offsets into the file's text."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.support.cli import kronika, one_line_error


def test_parse_prints_each_claim_with_offsets_into_the_file(tmp_path):
    text = ("Weather: sunny.\n\n"
            "At least 27 people were killed and 28 injured, the regional governor said.\n\n"
            "За словами голови ОВА, двадцять одну людину госпіталізовано.\n")
    path = tmp_path / "statement.txt"
    path.write_text(text, encoding="utf-8")
    result = kronika("claims", "parse", str(path), "--json")
    assert result.returncode == 0, result.stderr
    claims = json.loads(result.stdout)
    assert [(c["category"], c["value"], c["qualifier"], c["speaker"], c["lang"]) for c in claims] == [
        ("killed", 27, "at_least", "the regional governor", "en"),
        ("injured", 28, "exact", "the regional governor", "en"),
        ("hospitalised", 21, "exact", "голови ОВА", "uk"),
    ]
    assert [text[c["start"]:c["end"]] for c in claims] == ["27", "28", "двадцять одну"]
    assert claims[2]["text"] == "За словами голови ОВА, двадцять одну людину госпіталізовано."


def test_parse_reads_standard_input_and_a_forced_language():
    result = subprocess.run([sys.executable, "-m", "kronika.cli", "claims", "parse", "-", "--lang", "ru", "--json"],
                            input="Погибли 5 человек.", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [(c["category"], c["value"], c["lang"]) for c in json.loads(result.stdout)] == [("killed", 5, "ru")]


def test_parse_of_a_missing_file_fails_in_one_line(tmp_path):
    assert "no such file" in one_line_error(kronika("claims", "parse", str(tmp_path / "absent.txt")))
