"""``check --show-settings``: the resolved settings and where each value comes from."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, find_config, load_config

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Overrides

_SHOWN = ("select", "ignore", "extend_select", "per_file_ignores", "exclude", "extend_exclude", "min_batch_size",
          "format", "fixable", "unfixable", "unsafe_fixes")
# the command-line option that sets each setting (``Overrides``' field)
_OPTION = {"format": "fmt"}
# the settings a command-line option adds to instead of replacing (``Overrides.apply``)
_ADDED = frozenset({"ignore", "extend_select", "extend_exclude", "unfixable"})


def describe(paths: tuple[str, ...], config: str | None, settings: Settings,
             overrides: "Overrides | None" = None) -> str:
    """One line per setting: ``key = value  # origin`` (default, the config file, or the command line).

    The origin is where the value was *written*, not a comparison of values: a ``select = ["BN"]`` in
    the configuration equals the default, and is still the configuration's. ``overrides`` are the
    command line's options (without them, a value that differs from the file's is the command line's).
    """
    first = next((p for p in paths if p != "-"), ".")
    if config:
        found: Path | None = Path(config)
        file_settings = load_config(found, explicit=True)
    else:
        found = find_config(Path(first) if Path(first).exists() else Path.cwd())
        file_settings = load_config(found)
    origin = str(found) if found else None
    in_file = _keys_in(found, explicit=bool(config))
    lines = [f"# settings for {first}",
             f"# configuration file: {origin or 'none (defaults)'}",
             f"# project root: {settings.root}"]
    by_name = {f.name: f for f in fields(Settings)}
    for name in _SHOWN:
        if name not in by_name:
            continue
        value = getattr(settings, name)
        if overrides is not None:
            on_command_line = bool(_given(overrides, name))
        else:
            on_command_line = value != getattr(file_settings, name)
        if on_command_line and name in _ADDED and name in in_file:
            where = f"{origin} + command line"
        elif on_command_line:
            where = "command line"
        elif name in in_file:
            where = origin or "configuration"
        else:
            where = "default"
        lines.append(f"{name.replace('_', '-')} = {_toml(value)}  # {where}")
    return "\n".join(lines)


def _given(overrides: "Overrides", name: str):
    value = getattr(overrides, _OPTION.get(name, name), None)
    return value not in (None, (), "")


def _keys_in(path: Path | None, explicit: bool) -> set[str]:
    """The settings (``Settings`` field names) the configuration file ``path`` writes."""
    if path is None:
        return set()
    from .config import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):  # (load_config has said why already)
        return set()
    tool = data.get("tool")
    table = tool.get("bn-lint") if isinstance(tool, dict) else None
    if table is None and explicit and path.name != "pyproject.toml":
        table = data  # a dedicated bn-lint.toml holds the keys at top level
    return {key.replace("-", "_") for key in table} if isinstance(table, dict) else set()


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value) + " }"
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
