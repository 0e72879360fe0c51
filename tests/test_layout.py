"""The package's layout, read from its imports with `ast` (nothing is imported or run).

Fails on: an import cycle between modules, an import of another module's `_private` name, a
production import of the fake X (`bridge/fake_x/`), a service module that touches `flask.request`
or `url_for`, a side domain's module left in `community/services/`, or more than 30 modules there.
README "Architecture" says where things go instead.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "community"
SIDE_DOMAINS = ("bridge", "widget", "webhook", "metrics", "search", "sla", "csat", "business_hours", "demo", "seed")
MAX_SERVICES_MODULES = 30
# The only modules that may import the fake X: the `flask bridge demo` and `flask bridge fake-x`
# commands (inside their command functions, so the app never loads it) and the fake itself.
FAKE_X = "community.bridge.fake_x"
FAKE_X_IMPORTERS = {"community.bridge.cli.demo", "community.bridge.cli.fake_server"}
# Where request data and routes may be used: the web edge of each domain.
EDGE_PACKAGES = ("community.web", "community.api", "community.cli", "community.page_cache", "community.bridge.cli",
                 "community.bridge.fake_x", "community.jobs")
EDGE_MODULE_NAMES = {"views", "cli", "urls", "embed_fast"}
ROOT = "community"
# Only the RQ entry point builds the app from inside the package (a worker started by bare `rq`).
FACTORY_IMPORTERS = {"community.jobs.queue"}
TOP_LEVEL_EDGE = {"community", "community.extensions", "community.logs", "community.errors"}


@dataclass
class Graph:
    modules: dict[str, Path]
    edges: dict[str, set[str]] = field(default_factory=dict)
    private: list[str] = field(default_factory=list)
    fake: list[str] = field(default_factory=list)
    request: list[str] = field(default_factory=list)
    factory_importers: list[str] = field(default_factory=list)


def module_names(root: Path) -> dict[str, Path]:
    names = {}
    for path in root.rglob("*.py"):
        dotted = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        names[dotted.removesuffix(".__init__")] = path
    return names


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = parts[: len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def is_service_module(module: str) -> bool:
    if module in TOP_LEVEL_EDGE or any(module == p or module.startswith(p + ".") for p in EDGE_PACKAGES):
        return False
    leaf = module.rsplit(".", 1)[-1]
    return leaf not in EDGE_MODULE_NAMES and not leaf.endswith("_views")


def read_graph(modules: dict[str, Path], sources: dict[str, str] | None = None) -> Graph:
    graph = Graph(modules)
    for module, path in modules.items():
        source = sources[module] if sources is not None else path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom):
                _note_from_import(graph, module, path, node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != module:
                        graph.edges.setdefault(module, set()).add(alias.name)
    return graph


def _note_from_import(graph: Graph, module: str, path: Path, node: ast.ImportFrom) -> None:
    target = _target(module, path, node)
    for alias in node.names:
        full = f"{target}.{alias.name}"
        dest = full if full in graph.modules else target if target in graph.modules else None
        if dest == ROOT:  # the app factory: counted apart, else every module would share one cycle
            graph.factory_importers.append(module)
        elif dest and dest != module:
            graph.edges.setdefault(module, set()).add(dest)
        if alias.name.startswith("_") and not alias.name.startswith("__") and target in graph.modules and target != module:
            graph.private.append(f"{module} imports {target}.{alias.name}")
        inside_fake = module == FAKE_X or module.startswith(FAKE_X + ".")
        if (full.startswith(FAKE_X) or target.startswith(FAKE_X)) and not inside_fake and module not in FAKE_X_IMPORTERS:
            graph.fake.append(f"{module} imports {full}")
        if target == "flask" and alias.name in ("request", "url_for") and is_service_module(module):
            graph.request.append(f"{module} imports flask.{alias.name}")


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative), leaving out
    those made only of a package and its own modules (an __init__ re-exporting its children)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.edges.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 and not _package_and_children(component):
                    found.append(sorted(component))
    return found


def _package_and_children(component: list[str]) -> bool:
    return all(any(a.startswith(b + ".") or b.startswith(a + ".") for b in component if b != a) for a in component)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return read_graph(module_names(PACKAGE))


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_only_the_job_runner_imports_the_app_factory(graph):
    assert set(graph.factory_importers) <= FACTORY_IMPORTERS


def test_no_module_imports_another_modules_private_names(graph):
    assert graph.private == []


def test_nothing_on_the_production_path_imports_the_fake_x(graph):
    assert graph.fake == []


def test_services_never_touch_the_request(graph):
    assert graph.request == []


def test_services_hold_the_forum_core_only(graph):
    services = sorted(m for m in graph.modules if m.startswith("community.services.") and m.count(".") == 2)
    side = [m for m in services if m.rsplit(".", 1)[-1].startswith(SIDE_DOMAINS)]
    assert side == []
    assert len(services) <= MAX_SERVICES_MODULES, services


# --- the checks themselves fail on what they are meant to catch ------------------------------------


def _planted(sources: dict[str, str]) -> Graph:
    modules = {name: Path("/planted", *name.split(".")).with_suffix(".py") for name in sources}
    return read_graph(modules, sources)


def test_a_planted_cycle_is_found():
    graph = _planted({
        "community.services.alpha": "from .beta import x\n",
        "community.services.beta": "def x():\n    from .gamma import y\n",
        "community.services.gamma": "from community.services import alpha\n",
        "community.services.delta": "from .alpha import z\n",
    })
    assert cycles(graph) == [["community.services.alpha", "community.services.beta", "community.services.gamma"]]


def test_a_cycle_through_a_module_that_imports_the_app_factory_is_found():
    graph = _planted({
        "community": "def create_app():\n    from .services import alpha\n",
        "community.jobs.queue": "def run():\n    from .. import create_app\n    from ..services import alpha\n",
        "community.services.alpha": "from ..jobs import queue\n",
    })
    assert cycles(graph) == [["community.jobs.queue", "community.services.alpha"]]
    assert graph.factory_importers == ["community.jobs.queue"]


def test_a_package_importing_its_own_modules_is_no_cycle():
    graph = _planted({"community.search": "from .queries import run\n", "community.search.queries": "from . import backend\n"})
    assert cycles(graph) == []


def test_planted_private_fake_and_request_imports_are_found():
    graph = _planted({
        "community.services.alpha": "from .beta import _secret\nfrom flask import request\n",
        "community.services.beta": "_secret = 1\n",
        "community.bridge.ingest": "from .fake_x.twcs import parse\n",
        "community.bridge.fake_x": "",
        "community.bridge.views": "from flask import request, url_for\n",
    })
    assert graph.private == ["community.services.alpha imports community.services.beta._secret"]
    assert graph.fake == ["community.bridge.ingest imports community.bridge.fake_x.twcs.parse"]
    assert graph.request == ["community.services.alpha imports flask.request"]


def test_the_running_app_never_loads_the_fake_x(tmp_path):
    # Imports inside functions pass the static check; this one also serves a page and lists commands.
    script = (
        "import sys\n"
        "from community import create_app\n"
        f"app = create_app({{'TESTING': True, 'INSTANCE_PATH': {str(tmp_path)!r},"
        f" 'DATABASE_URL': 'sqlite:///{tmp_path}/app.db', 'SEARCH_INDEX_DIR': {str(tmp_path / 'index')!r}}})\n"
        "app.test_client().get('/healthz')\n"
        "app.cli.commands['bridge'].list_commands(None)\n"
        "print(sorted(name for name in sys.modules if name.startswith('community.bridge.fake_x')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PACKAGE.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_each_domain_declares_its_settings_once():
    from community import config
    from community.attachments.config import SETTINGS as attachments
    from community.bridge.config import SETTINGS as bridge
    from community.composer.config import SETTINGS as composer
    from community.identity.config import SETTINGS as identity
    from community.metrics.config import SETTINGS as metrics
    from community.page_cache.config import SETTINGS as page_cache
    from community.webhooks.config import SETTINGS as webhooks

    blocks = [config.CORE_SETTINGS, bridge, metrics, page_cache, webhooks, attachments, identity, composer]
    assert sum(len(block) for block in blocks) == len(config.SETTINGS)  # a name in two blocks would hide one
    assert all(name.startswith(("X_", "BRIDGE_", "RATELIMIT_JOIN")) for name in bridge)
