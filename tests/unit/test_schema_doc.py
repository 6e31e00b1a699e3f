"""docs/schema.md is the consumers' contract: every public column of every table and view is in it."""
from __future__ import annotations

import re

from kronika.storage.db.models import Base
from kronika.storage.db.views import views
from tests.conftest import ROOT

DOC = ROOT / "docs" / "schema.md"


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `(\w+)`\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_public_column_is_documented_with_type_meaning_and_example():
    documented = sections()
    for table in [*Base.metadata.sorted_tables, *views.tables.values()]:
        assert table.name in documented, f"docs/schema.md has no section for {table.name}"
        rows = {m[0]: m for m in re.findall(r"^\| `(\w+)` \| ([^|]+) \| (.+?) \| (`.*`) \|$",
                                            documented[table.name], flags=re.M)}
        missing = [c.name for c in table.c if c.name not in rows]
        assert not missing, f"document {table.name}.{', '.join(missing)} in docs/schema.md (type, meaning, example)"


def test_every_view_has_an_example_query():
    documented = sections()
    for name in views.tables:
        queries = re.findall(r"```sql\n(.*?)```", documented[name], flags=re.S)
        assert len(queries) == 1 and f"FROM {name}" in queries[0], name


def example_queries() -> dict[str, str]:
    return {name: re.findall(r"```sql\n(.*?)```", body, flags=re.S)[0]
            for name, body in sections().items() if name in views.tables}
