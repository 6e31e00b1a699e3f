"""Every Python package in the source tree is listed in setup.cfg, so a non-editable install
(a wheel, a Docker image) carries it: an editable install imports unlisted packages anyway and
would hide the omission until a user installs Kronika for real."""
from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}
    roots = {"kronika": ROOT / "kronika", "kronika.spiders": ROOT / "spiders", "kronika.storage": ROOT / "storage"}
    found = set()
    for name, folder in roots.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder)
            if "migrations" in relative.parts:
                continue  # Alembic's folder is package data, read by path
            found.add(".".join((name, *relative.parts)))
    assert found - listed == set(), f"packages missing from setup.cfg [options] packages: {sorted(found - listed)}"
