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


def test_every_template_and_content_file_is_package_data():
    # the same omission for data files: an editable install reads them from the tree anyway
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    package_data = config["options.package_data"]
    for package, folder, data_dirs in (("kronika.mirror", ROOT / "kronika" / "mirror", ("content", "templates")),
                                       ("kronika.web", ROOT / "kronika" / "web", ("templates",))):
        globs = [g.strip() for g in package_data[package].split(",")]
        for data_dir in data_dirs:
            files = [p for p in (folder / data_dir).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
            assert files, data_dir
            missing = [str(p.relative_to(folder)) for p in files
                       if not any(p.relative_to(folder).match(g) and len(p.relative_to(folder).parts) == len(Path(g).parts)
                                  for g in globs)]
            assert missing == [], f"{package}: not in setup.cfg [options.package_data]: {missing}"
