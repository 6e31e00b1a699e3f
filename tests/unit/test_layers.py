"""The rooms hold (docs/design.md, "Rooms"): storage imports nothing above it, spiders touch no SQL
and no application code, DAG files only wire steps. Checked on the source, so a new import that
crosses a layer fails here rather than in a reviewer's head."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# room -> the kronika packages its modules may import
ALLOWED = {
    "storage": ("kronika.storage",),
    "spiders": ("kronika.spiders", "kronika.storage.warc.writer", "kronika.storage.warc.writer_process",
                "kronika.storage.version"),
    "dags": ("kronika.airflow_env", "kronika.settings", "kronika.steps"),
}


def _kronika_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "kronika" else [f"kronika.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name == "kronika" or name.startswith("kronika.")]
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_it_may(room):
    crossings = []
    for path in sorted((ROOT / room).rglob("*.py")):
        for line, name in _kronika_imports(path):
            if not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED[room]):
                crossings.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not crossings, f"{room}/ may import only {ALLOWED[room]}:\n" + "\n".join(crossings)


def test_the_check_sees_imports():
    """The walker finds both import forms, so an empty result above means something."""
    imports = dict((name, line) for line, name in _kronika_imports(ROOT / "storage" / "warc" / "writer.py"))
    assert "kronika.storage.version" in imports
