"""The house's layering, read from the source: the job engine and the shared code know no domain, and no two
apps import each other (a loop hidden inside a function counts too)."""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = {"accounts", "roles", "captures", "gallery", "core", "media", "doors", "dashboard", "config", "bench",
        "faces", "generation"}
# Apps that know no domain: they may import only each other (and libraries).
DOMAIN_FREE = {"core": {"media"}, "media": set(), "gallery": {"core", "media"}}
# Pure packages: no Django at all, so they run and are tested on their own.
PURE = ("media", "captures/reconstruction", "faces/recognition", "generation/avatar")


def python_files(app):
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" not in path.parts:
            yield path


def imported_modules(path, root=ROOT):
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            else:
                yield node.module


def app_imports():
    """{app: {other app it imports: [file, ...]}}"""
    graph = defaultdict(lambda: defaultdict(list))
    for app in APPS:
        for path in python_files(app):
            for module in imported_modules(path):
                other = module.split(".")[0]
                if other in APPS and other != app:
                    graph[app][other].append(str(path.relative_to(ROOT)))
    return graph


def test_the_engine_and_the_shared_code_import_no_domain_app():
    graph = app_imports()
    for app, allowed in DOMAIN_FREE.items():
        wrong = {other: files for other, files in graph[app].items() if other not in allowed}
        assert not wrong, f"{app} imports {wrong}"


def test_no_two_apps_import_each_other():
    graph = app_imports()
    loops = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, {})})
    assert not loops, {f"{a} <-> {b}": (graph[a][b], graph[b][a]) for a, b in loops}


def test_pure_packages_import_no_django():
    for package in PURE:
        own = package.replace("/", ".")
        for path in (ROOT / package).rglob("*.py"):
            # The package's own modules are pure too; the rest of its app (faces.models, ...) is not.
            django = [m for m in imported_modules(path) if m.split(".")[0] in ("django", "rest_framework")
                      or (m.split(".")[0] in APPS - {"media", "captures"} and not (m + ".").startswith(own + "."))]
            assert not django, f"{path.relative_to(ROOT)} imports {django}"


def test_the_check_sees_imports_hidden_in_functions_and_relative_ones(tmp_path):
    """The checker itself: an import inside a function body is an import; relative ones resolve."""
    module = tmp_path / "accounts" / "probe.py"
    module.parent.mkdir()
    module.write_text("from . import models\n\ndef later():\n    from roles.models import Role\n    return Role\n")
    assert sorted(imported_modules(module, root=tmp_path)) == ["accounts", "roles.models"]
