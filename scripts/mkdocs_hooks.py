"""MkDocs hooks (``hooks:`` in mkdocs.yml): the API reference, generated from the OpenAPI schema.

At every build, ``manage.py spectacular`` writes the schema that ``/api/schema/`` serves (test
settings: no database or Redis connection is made), and this module renders it as Markdown pages,
one per group of endpoints, plus a page of the request and response schemas. The pages exist only
in the build (``File.generated``), so the reference cannot drift from the code and nothing is
retyped. Groups are the schema's tags when it has several, otherwise the first path segment after
``/api/v1/`` (``projects``, ``workforce``…).

It also publishes ``examples/`` (the example import files that docs/file-formats.md links to as
``../examples/…`` so the links work on GitHub too) at ``examples/`` in the site.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.openapi")

ROOT = Path(__file__).resolve().parent.parent
API_DIR = "api"
API_SECTION = "API reference"
METHODS = ("get", "post", "put", "patch", "delete")
EXAMPLES_LINK = re.compile(r"\]\(\.\./examples/")

# Filled by on_config, used by on_files: {src_uri: markdown}.
_pages: dict[str, str] = {}


# --- Hooks ------------------------------------------------------------------------------------


def on_config(config):
    schema = _generate_schema()
    groups = _group_operations(schema)
    _pages.clear()
    _pages[f"{API_DIR}/index.md"] = _render_index(schema, groups)
    for slug, (title, operations) in groups.items():
        _pages[f"{API_DIR}/{slug}.md"] = _render_group(title, operations)
    _pages[f"{API_DIR}/schemas.md"] = _render_schemas(schema)
    _fill_nav(config, groups)
    return config


def on_files(files, config):
    for src_uri, content in _pages.items():
        files.append(File.generated(config, src_uri, content=content))
    for path in sorted((ROOT / "examples").iterdir()):
        if path.is_file():
            files.append(File.generated(config, f"examples/{path.name}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, config, files):
    # docs/file-formats.md links to ../examples/ (right on GitHub and in the repository); in the
    # site the files sit at examples/ next to it.
    if page.file.src_uri == "file-formats.md":
        return EXAMPLES_LINK.sub("](examples/", markdown)
    return markdown


# --- Schema -----------------------------------------------------------------------------------


def _generate_schema() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "schema.yaml"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
            [sys.executable, "manage.py", "spectacular", "--skip-checks", "--file", str(target)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise PluginError(f"manage.py spectacular failed:\n{result.stderr}")
        if result.stderr.strip():
            log.debug("drf-spectacular said:\n%s", result.stderr)
        return yaml.safe_load(target.read_text())


def _group_operations(schema: dict) -> dict[str, tuple[str, list[dict]]]:
    """{slug: (title, operations)} in path order; an operation is its method, path and body."""
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operations.append({"method": method, "path": path, **item[method]})
    tags = {tag for operation in operations for tag in operation.get("tags", [])}
    by_group: dict[str, list[dict]] = defaultdict(list)
    for operation in operations:
        if len(tags) > 1 and operation.get("tags"):
            group = operation["tags"][0]
        else:
            segments = [s for s in operation["path"].split("/") if s]
            rest = segments[2:] if segments[:1] == ["api"] and len(segments) > 2 else segments
            group = rest[0] if rest else "root"
        by_group[group].append(operation)
    return {
        _slug(group): (_title(group), by_group[group]) for group in sorted(by_group, key=str.lower)
    }


def _fill_nav(config, groups) -> None:
    """Put the generated pages under the nav's "API reference" section."""
    entries = [f"{API_DIR}/index.md"]
    entries += [{title: f"{API_DIR}/{slug}.md"} for slug, (title, _) in groups.items()]
    entries.append({"Schemas": f"{API_DIR}/schemas.md"})
    nav = config.get("nav") or []
    for item in nav:
        if isinstance(item, dict) and API_SECTION in item:
            item[API_SECTION] = entries
            return
    nav.append({API_SECTION: entries})
    config["nav"] = nav


# --- Rendering --------------------------------------------------------------------------------


def _render_index(schema: dict, groups) -> str:
    info = schema.get("info", {})
    lines = [
        "# API reference",
        "",
        f"{info.get('description', '')} Version {info.get('version', '')}.",
        "",
        "Generated at build time from the OpenAPI schema that the running app serves at "
        "`/api/schema/` (interactive: `/api/docs/`), so it always matches the code. How to "
        "authenticate, paginate and read errors: [First API calls](../guides/first-api-calls.md).",
        "",
        "| group | endpoints |",
        "|---|---|",
    ]
    for slug, (title, operations) in groups.items():
        calls = ", ".join(sorted({f"`{op['method'].upper()}`" for op in operations}))
        lines.append(f"| [{title}]({slug}.md) | {len(operations)} ({calls}) |")
    lines += ["", "Request and response bodies: [Schemas](schemas.md).", ""]
    return "\n".join(lines)


def _render_group(title: str, operations: list[dict]) -> str:
    lines = [f"# {title}", ""]
    for operation in operations:
        lines.append(
            f"- [`{operation['method'].upper()} {operation['path']}`](#{_anchor(operation)})"
        )
    lines.append("")
    for operation in operations:
        lines += _render_operation(operation)
    return "\n".join(lines)


def _render_operation(operation: dict) -> list[str]:
    method, path = operation["method"].upper(), operation["path"]
    lines = [f"## `{method} {path}` {{ #{_anchor(operation)} }}", ""]
    if operation.get("deprecated"):
        lines += ["**Deprecated.**", ""]
    text = operation.get("description") or operation.get("summary")
    if text:
        lines += [text.strip(), ""]
    auth = [name for requirement in operation.get("security", []) for name in requirement]
    if auth:
        lines += [f"Authentication: {', '.join(f'`{name}`' for name in auth)}.", ""]
    else:
        lines += ["Authentication: none.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | "
                f"{_type(parameter.get('schema', {}))} | "
                f"{'yes' if parameter.get('required') else ''} | "
                f"{_cell(parameter.get('description', ''))} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        required = " (required)" if body.get("required") else ""
        lines += [f"**Request body**{required}:", ""]
        for media_type, content in body.get("content", {}).items():
            lines.append(f"- `{media_type}`: {_type(content.get('schema', {}))}")
        lines.append("")
    responses = operation.get("responses", {})
    if responses:
        lines += ["| response | body |", "|---|---|"]
        for status, response in responses.items():
            bodies = [
                f"`{media_type}` {_type(content.get('schema', {}))}"
                for media_type, content in (response.get("content") or {}).items()
            ]
            description = _cell(response.get("description", ""))
            shown = "; ".join(bodies) or description or "no body"
            lines.append(f"| {status} | {shown} |")
        lines.append("")
    return lines


def _render_schemas(schema: dict) -> str:
    components = schema.get("components", {}).get("schemas", {})
    lines = [
        "# Schemas",
        "",
        "The request and response bodies of the [API reference](index.md), from the OpenAPI "
        "schema's components.",
        "",
    ]
    for name in sorted(components, key=str.lower):
        component = components[name]
        lines += [f"## {name} {{ #{_schema_anchor(name)} }}", ""]
        if component.get("description"):
            lines += [component["description"].strip(), ""]
        properties = component.get("properties")
        if properties:
            required = set(component.get("required", []))
            lines += ["| field | type | required | description |", "|---|---|---|---|"]
            for field, spec in properties.items():
                flags = []
                if spec.get("readOnly"):
                    flags.append("read-only")
                if spec.get("writeOnly"):
                    flags.append("write-only")
                note = f" ({', '.join(flags)})" if flags else ""
                lines.append(
                    f"| `{field}` | {_type(spec)}{note} | {'yes' if field in required else ''} | "
                    f"{_cell(spec.get('description', ''))} |"
                )
            lines.append("")
        else:
            lines += [f"Type: {_type(component)}.", ""]
    return "\n".join(lines)


def _type(spec: dict) -> str:
    """A short, linked description of a JSON schema: `string`, array of [Project](…), …"""
    if not spec:
        return "any"
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](schemas.md#{_schema_anchor(name)})"
    for combinator, word in (("allOf", " and "), ("oneOf", " or "), ("anyOf", " or ")):
        if combinator in spec:
            shown = word.join(_type(part) for part in spec[combinator])
            return f"{shown}, nullable" if spec.get("nullable") else shown
    kind = spec.get("type", "object")
    if kind == "array":
        shown = f"array of {_type(spec.get('items', {}))}"
    elif kind == "object" and isinstance(spec.get("additionalProperties"), dict):
        shown = f"map of {_type(spec['additionalProperties'])}"
    else:
        shown = f"`{kind}`"
        if spec.get("format"):
            shown += f" ({spec['format']})"
    if spec.get("enum"):
        values = ", ".join(f"`{value}`" for value in spec["enum"] if value not in ("", None))
        shown += f": {values}" if values else ""
    if spec.get("nullable"):
        shown += ", nullable"
    return shown


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(operation: dict) -> str:
    return _slug(operation.get("operationId") or f"{operation['method']}-{operation['path']}")


def _schema_anchor(name: str) -> str:
    return "schema-" + _slug(name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "root"


def _title(group: str) -> str:
    return group.replace("-", " ").replace("_", " ").capitalize()
