"""Payments' modules import each other in one direction, and payments never reaches up into the
workforce side. The walk reads every import statement, at module level or inside a function, and
counts a package's ``__init__`` as imported whenever one of its modules is (Python runs it
first), so a re-exporting ``__init__`` that a submodule reaches would show up as a cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "payments"


def module_names() -> dict[str, Path]:
    names = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_modules(path: Path, name: str, is_package: bool) -> set[str]:
    """Every absolute module name an import statement in the file can execute."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    names = module_names()
    graph = {}
    for name, path in names.items():
        targets = set()
        for module in imported_modules(path, name, path.name == "__init__.py"):
            parts = module.split(".")
            # the module itself and every package above it run on import
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in names and candidate != name and candidate != PACKAGE:
                    targets.add(candidate)
        # a module's own parent packages run before it: not an edge out of it
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_payments_modules_import_each_other_without_a_cycle():
    assert cycles(import_graph()) == []


def test_the_walk_sees_imports_inside_functions_and_package_reexports(tmp_path):
    source = tmp_path / "transfers.py"
    source.write_text("def enqueue():\n    from ..tasks import send\n")
    assert "payments.tasks" in imported_modules(source, "payments.services.transfers", False)
    graph = {
        "payments.services": {"payments.services.payouts"},
        "payments.services.payouts": {"payments.services.transfers"},
        "payments.services.transfers": {"payments.services"},
    }
    assert cycles(graph) == [sorted(graph)]


def test_celery_tasks_and_the_webhook_view_sit_above_the_services():
    graph = import_graph()
    services = {name for name in graph if name.startswith("payments.services")}
    for name in services:
        assert not graph[name] & {"payments.tasks", "payments.webhooks"}, name
    assert "payments.tasks" not in graph["payments.webhooks"]
    assert "payments.webhooks" not in graph["payments.tasks"]


def test_payments_never_imports_the_workforce_side():
    for name, path in module_names().items():
        imported = imported_modules(path, name, path.name == "__init__.py")
        assert not {m for m in imported if m == "workers" or m.startswith("workers.")}, name
