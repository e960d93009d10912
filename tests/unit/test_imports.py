"""The project's import graph: no cycles, no imports hidden inside functions, and layers
that only look down.  Read from the source with `ast`, so a module that is never imported
by the tests is still checked."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cases", "handlers", "nlp", "services", "storage", "web")

# What each layer may not import (checked on module- and function-level imports alike),
# keyed by module prefix.  The domain (cases/) and the classifier (nlp/) stand alone;
# storage/ knows the domain only; services/ may use the step toolkit's messages, texts and
# formatting (handlers.kit) but no conversation; the toolkit knows no conversation; the
# conversations never reach into the wiring (bot/), which is the one place that joins them.
CONVERSATIONS = ("handlers.core", "handlers.owner", "handlers.staff", "handlers.aftercare", "handlers.office")
FORBIDDEN = {
    "cases": ("handlers", "bot", "storage", "services", "nlp", "web"),
    "nlp": ("handlers", "bot", "storage", "services", "web"),
    "storage": ("handlers", "bot", "services", "web"),
    "services": ("bot", "web", *CONVERSATIONS),
    "handlers.kit": CONVERSATIONS,
    "handlers": ("bot", "web"),
    # The office console is a front end beside the chat: the wiring (bot/) starts it.
    "web": ("bot.runner", "bot.cli", "bot.web_runner"),
}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module `name` refers to (itself, or the package holding an imported name)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """(project modules imported at module level, [(line, target) imported inside a function])."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top: set[str] = set()
    nested: list[tuple[int, str]] = []

    def targets(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        # "from handlers import flow" imports the module handlers.flow.
        return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                continue  # for the type checker only: never runs, so closes no cycle
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in targets(child):
                    resolved = _resolve(target)
                    if resolved is None or resolved == module:
                        continue
                    if in_function:
                        nested.append((child.lineno, resolved))
                    else:
                        top.add(resolved)
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(tree, False)
    return top, nested


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_the_walk_sees_the_project() -> None:
    # A walker that found nothing would pass every rule below.
    assert "handlers.core" in MODULES and "bot.bootstrap" in MODULES and "storage.uow" in MODULES
    assert "storage.uow" in GRAPH["handlers.core"][0]


def test_no_function_level_imports_of_project_modules() -> None:
    hidden = [f"{MODULES[m].relative_to(ROOT)}:{line} imports {target}"
              for m, (_, nested) in GRAPH.items() for line, target in nested]
    assert hidden == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            strongconnect(module)
    return cycles


def test_no_import_cycles() -> None:
    # Over all imports: a function-level import closes a cycle as surely as a module-level
    # one; it only hides it.
    assert _cycles({m: top | {t for _, t in nested} for m, (top, nested) in GRAPH.items()}) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_layers_only_look_down() -> None:
    crossings = []
    for module, (top, nested) in GRAPH.items():
        # The most specific rule for the module (handlers.kit before handlers).
        layer = max((p for p in FORBIDDEN if _within(module, p)), key=len, default=None)
        for target in top | {t for _, t in nested}:
            if layer and any(_within(target, banned) for banned in FORBIDDEN[layer]):
                crossings.append(f"{module} -> {target}")
    assert crossings == []


def test_the_layer_rule_bites() -> None:
    # The rule above, shown failing on made-up edges, so that it cannot pass vacuously.
    assert any(_within("handlers.owner.menu", banned) for banned in FORBIDDEN["handlers.kit"])
    assert not any(_within("handlers.kit.i18n", banned) for banned in FORBIDDEN["services"])
    assert any(_within("bot.bootstrap", banned) for banned in FORBIDDEN["handlers"])
