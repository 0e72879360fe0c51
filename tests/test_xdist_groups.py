"""`--dist loadgroup` (make test) keeps an xdist_group on one worker: the drills share one cluster,
the quality crawl one seeded world. pytest-xdist does it by renaming the tests' node ids, which
pytest 9.2 silently ignored (its node ids became structured), so every group was spread over both
workers: the crawl ran twice and the drills overlapped. This fails if that happens again."""
from __future__ import annotations

import pytest


@pytest.mark.xdist_group("harness_check")
def test_a_grouped_test_carries_its_group_under_loadgroup(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@harness_check")
