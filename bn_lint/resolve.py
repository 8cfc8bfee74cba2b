"""Settings for each checked file: its nearest ``[tool.bn-lint]`` plus the command line, as ruff does.

``--config FILE`` gives one configuration for every file. Otherwise each file (and ``--stdin-filename``)
takes the nearest pyproject.toml with a ``[tool.bn-lint]`` table above it, so ``check a b`` and
``check b a`` agree and an editor outside the project gets the project's settings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from .config import ConfigError, Settings, find_config, load_config, validate_codes


def split(values: tuple[str, ...]) -> tuple[str, ...]:
    """``("BN1,BN2", "BN3")`` -> ``("BN1", "BN2", "BN3")``."""
    return tuple(item.strip() for value in values for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Overrides:
    """The command line's settings, applied on top of each file's configuration."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    min_batch_size: int | None = None
    fmt: str | None = None
    fixable: tuple[str, ...] = ()
    unfixable: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None

    def validate(self) -> None:
        """Raise ConfigError for an unknown code on the command line (before any file is read)."""
        self.apply(Settings())

    def apply(self, settings: Settings) -> Settings:
        changes: dict = {}
        if self.select:
            changes["select"] = validate_codes(list(split(self.select)), "--select")
        if self.ignore:
            changes["ignore"] = settings.ignore + validate_codes(list(split(self.ignore)), "--ignore")
        if self.extend_select:
            changes["extend_select"] = settings.extend_select + validate_codes(list(split(self.extend_select)), "--extend-select")
        if self.exclude:
            changes["exclude"] = split(self.exclude)
        if self.extend_exclude:
            changes["extend_exclude"] = settings.extend_exclude + split(self.extend_exclude)
        if self.min_batch_size is not None:
            changes["min_batch_size"] = self.min_batch_size
        if self.fmt:
            changes["format"] = self.fmt
        if self.fixable:
            changes["fixable"] = validate_codes(list(split(self.fixable)), "--fixable")
        if self.unfixable:
            changes["unfixable"] = settings.unfixable + validate_codes(list(split(self.unfixable)), "--unfixable")
        if self.unsafe_fixes is not None:
            changes["unsafe_fixes"] = self.unsafe_fixes
        return replace(settings, **changes)


class Resolver:
    """Settings per path, each configuration file read once."""

    def __init__(self, overrides: Overrides, config: str | None = None) -> None:
        self.overrides = overrides
        overrides.validate()
        self.fixed: Settings | None = None
        if config:
            path = Path(config)
            if not path.is_file():
                raise ConfigError(f"{config}: configuration file not found")
            self.fixed = overrides.apply(load_config(path, explicit=True))
        self._by_config: dict[Path | None, Settings] = {}
        self._by_folder: dict[str, Settings] = {}

    def for_path(self, path: str | os.PathLike | None) -> Settings:
        """The settings of a file or folder (None or ``-``: the working directory)."""
        if self.fixed is not None:
            return self.fixed
        start = Path.cwd() if path in (None, "-") else Path(os.path.abspath(path))
        while not start.exists() and start != start.parent:  # a missing path: the folder above it
            start = start.parent
        folder = str(start if start.is_dir() else start.parent)
        found = self._by_folder.get(folder)
        if found is None:
            config = find_config(Path(folder))
            found = self._by_config.get(config)
            if found is None:
                found = self._by_config[config] = self.overrides.apply(load_config(config))
            self._by_folder[folder] = found
        return found


def build_settings(
    paths: tuple[str, ...],
    config: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    min_batch_size: int | None,
    fmt: str | None,
    fixable: tuple[str, ...] = (),
    unfixable: tuple[str, ...] = (),
    unsafe_fixes: bool | None = None,
) -> Settings:
    """The settings of the first path: its config file (or ``config``), overridden by the command line."""
    overrides = Overrides(select, ignore, extend_select, exclude, extend_exclude, min_batch_size, fmt,
                          fixable, unfixable, unsafe_fixes)
    first = paths[0] if paths and paths[0] != "-" else None
    return Resolver(overrides, config).for_path(first)
