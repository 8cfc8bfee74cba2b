"""``check --show-settings``: the resolved settings and where each value comes from."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from .config import Settings, find_config, load_config

_SHOWN = ("select", "ignore", "extend_select", "per_file_ignores", "exclude", "extend_exclude", "min_batch_size",
          "format")


def describe(paths: tuple[str, ...], config: str | None, settings: Settings) -> str:
    """One line per setting: ``key = value  # origin`` (default, the config file, or the command line)."""
    first = next((p for p in paths if p != "-"), ".")
    if config:
        file_settings, origin = load_config(Path(config), explicit=True), config
    else:
        found = find_config(Path(first) if Path(first).exists() else Path.cwd())
        file_settings, origin = load_config(found), str(found) if found else None
    defaults = Settings()
    lines = [f"# settings for {first}",
             f"# configuration file: {origin or 'none (defaults)'}",
             f"# project root: {settings.root}"]
    by_name = {f.name: f for f in fields(Settings)}
    for name in _SHOWN:
        if name not in by_name:
            continue
        value = getattr(settings, name)
        if value != getattr(file_settings, name):
            where = "command line"
        elif value != getattr(defaults, name):
            where = origin or "configuration"
        else:
            where = "default"
        lines.append(f"{name.replace('_', '-')} = {_toml(value)}  # {where}")
    return "\n".join(lines)


def _toml(value) -> str:
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return "{ " + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value) + " }"
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)
