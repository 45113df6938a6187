"""The documentation stays true to the code: the settings reference lists exactly the
environment variables the settings read, and the README stays a short front door whose links
resolve. (The site itself is built with ``mkdocs build --strict`` by the test command.)"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(r"""\benv_(?:str|int|bool|list)\(\s*["']([A-Z0-9_]+)["']""")
ENV_DEFAULT = re.compile(r"""os\.environ\.setdefault\(\s*["']([A-Z0-9_]+)["']""")


def _variables_read_by_settings() -> set[str]:
    names = set()
    for path in [ROOT / "config" / "env.py", *sorted((ROOT / "config" / "settings").glob("*.py"))]:
        text = path.read_text()
        names |= set(ENV_READ.findall(text)) | set(ENV_DEFAULT.findall(text))
    return names


def _variables_in_settings_reference() -> set[str]:
    text = (ROOT / "docs" / "operations" / "settings.md").read_text()
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z0-9_]+)`", first_cell))
    return names


def test_settings_reference_lists_exactly_the_variables_the_settings_read():
    read = _variables_read_by_settings()
    documented = _variables_in_settings_reference()
    assert read - documented == set(), (
        "read by config/ but missing from docs/operations/settings.md"
    )
    assert documented - read == set(), "in docs/operations/settings.md but read nowhere in config/"


def test_readme_is_a_short_front_door_whose_links_resolve():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [target for target in targets if "://" not in target]
    assert local, "the README links into docs/"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert missing == []
