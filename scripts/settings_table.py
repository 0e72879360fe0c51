"""Print the README's settings table from community.config.SETTINGS (the single source)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from community.config import SETTINGS  # noqa: E402


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, (default, description) in SETTINGS.items():
        shown = "—" if default is None else f"`{default}`"
        if name == "SEARCH_INDEX_DIR":
            shown = "`search_index/`"
        rows.append(f"| `COMMUNITY_{name}` | {shown} | {description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
