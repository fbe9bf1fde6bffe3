"""Every built-in plugin talks to the core through `broen.api` only, and never imports another plugin
(a plugin that needs another's help asks for a hook)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "broen" / "plugins"


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("plugin", sorted(p.name for p in PLUGINS.iterdir() if (p / "__init__.py").exists()))
def test_a_plugin_imports_of_broen_only_the_api_and_itself(plugin: str) -> None:
    paths = list((PLUGINS / plugin).rglob("*.py"))
    assert any(p.parent.name == "migrations" for p in paths), "the migrations are checked too"
    for path in paths:
        for name in imported_modules(path):
            if name.startswith("broen"):
                assert name == "broen" or name.startswith(f"broen.plugins.{plugin}"), f"{path}: {name}"
