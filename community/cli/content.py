"""Content commands (seed-demo, import-stackexchange)."""
from __future__ import annotations

from . import community_cli  # noqa: F401
