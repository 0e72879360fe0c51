"""The README documents every setting the app reads, and the two set-up commands."""
from pathlib import Path

from community.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_community_setting():
    text = README.read_text()
    missing = [name for name in SETTINGS if f"`COMMUNITY_{name}`" not in text]
    assert missing == [], f"README settings table lacks: {missing} (run scripts/settings_table.py)"


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    assert text.index("make run") < text.index("make test")
