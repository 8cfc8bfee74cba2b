"""Settings from ``[tool.bn-lint]`` in pyproject.toml, validated with clear messages."""
from __future__ import annotations

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as the tomli package (a dependency there)
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .codes import KNOWN_CODES

if TYPE_CHECKING:  # pragma: no cover
    from .finding import Finding

FORMATS = ("full", "concise", "json", "sarif", "github", "junit")
DEFAULT_EXCLUDES = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", "__pycache__", "build", "dist",
    ".eggs", "*.egg-info", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".bn_lint_cache",
    "node_modules", "site-packages", "__pypackages__", ".ipynb_checkpoints",
)


class ConfigError(Exception):
    """A problem with the configuration or the command line; exit status 2."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("BN",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    min_batch_size: int = 8
    format: str = "full"
    fixable: tuple[str, ...] = ("ALL",)
    unfixable: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    root: Path = field(default_factory=Path.cwd)
    config_path: Path | None = None

    def is_selected(self, code: str) -> bool:
        """Whether ``code`` is on: the most specific matching prefix wins."""
        chosen = _longest_match(code, self.select + self.extend_select)
        dropped = _longest_match(code, self.ignore)
        return chosen > dropped

    def can_fix(self, finding: "Finding") -> bool:
        """Whether ``--fix`` applies the finding's fix: fixable (``fixable``/``unfixable``), and safe or allowed."""
        fix = finding.fix
        if fix is None or not (fix.safe or self.unsafe_fixes):
            return False
        return _longest_match(finding.code, self.fixable) > _longest_match(finding.code, self.unfixable)

    def ignored_for(self, rel_path: str) -> tuple[str, ...]:
        """Codes switched off for one file by ``per-file-ignores``."""
        if not self.per_file_ignores:
            return ()
        import pathspec

        codes: list[str] = []
        for pattern, pattern_codes in self.per_file_ignores:
            spec = pathspec.GitIgnoreSpec.from_lines([pattern])
            if spec.match_file(rel_path):
                codes.extend(pattern_codes)
        return tuple(codes)

    def cache_key(self) -> str:
        """Every setting that can change a file's findings (all but discovery and output ones)."""
        from dataclasses import fields

        return repr([(f.name, getattr(self, f.name)) for f in fields(self) if f.name not in _NOT_IN_CACHE_KEY])


# Settings that only choose which files are checked or how results are printed; any other
# setting (including ones added later) is part of the cache key.
_NOT_IN_CACHE_KEY = frozenset({"exclude", "extend_exclude", "format", "config_path", "fixable", "unfixable", "unsafe_fixes"})


def _longest_match(code: str, prefixes: tuple[str, ...]) -> int:
    best = 0
    for prefix in prefixes:
        if prefix == "ALL":
            best = max(best, 1)
        elif code.startswith(prefix):
            best = max(best, len(prefix) + 1)
    return best


_KEYS = {
    "select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude", "min-batch-size", "format",
    "fixable", "unfixable", "unsafe-fixes",
}


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.bn-lint]`` table, from ``start`` upwards."""
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        try:
            stat = candidate.stat()
        except OSError:
            continue
        if not candidate.is_file():
            continue
        key = (str(candidate), stat.st_mtime_ns, stat.st_size)
        if key not in _HAS_TABLE:
            _HAS_TABLE[key] = _has_table(candidate)
        if _HAS_TABLE[key]:
            return candidate
    return None


_HAS_TABLE: dict[tuple[str, int, int], bool] = {}  # (pyproject.toml, mtime, size) -> found a [tool.bn-lint]


def _has_table(candidate: Path) -> bool:
    """Whether ``candidate`` has a ``[tool.bn-lint]`` table (True when unreadable: load_config reports it)."""
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "bn-lint" in tool


def load_config(path: Path | None, explicit: bool = False) -> Settings:
    """Read and validate the settings; ``path`` None gives the defaults."""
    if path is None:
        return Settings()
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where}: cannot read the configuration file: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: invalid TOML: {error}") from None
    tool = data.get("tool")
    table = tool.get("bn-lint") if isinstance(tool, dict) else None
    if table is None:
        if explicit and path.name != "pyproject.toml":
            table = data  # a dedicated bn-lint.toml holds the keys at top level
        else:
            return Settings(root=path.parent.resolve(), config_path=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.bn-lint] must be a table")
    return settings_from_table(table, where, path.parent.resolve(), path)


def settings_from_table(table: dict[str, Any], where: str, root: Path, path: Path | None) -> Settings:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: [tool.bn-lint]: unknown key '{unknown[0]}' (known keys: {', '.join(sorted(_KEYS))})"
        )
    settings = Settings(root=root, config_path=path)
    changes: dict[str, Any] = {}
    for key in ("select", "ignore", "extend-select", "fixable", "unfixable"):
        if key in table:
            changes[key.replace("-", "_")] = validate_codes(table[key], f"{where}: [tool.bn-lint] {key}")
    for key in ("exclude", "extend-exclude"):
        if key in table:
            changes[key.replace("-", "_")] = _string_list(table[key], f"{where}: [tool.bn-lint] {key}")
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [tool.bn-lint] per-file-ignores must be a table of pattern = [codes]")
        changes["per_file_ignores"] = tuple(
            (pattern, validate_codes(codes, f"{where}: [tool.bn-lint] per-file-ignores '{pattern}'"))
            for pattern, codes in value.items()
        )
    if "min-batch-size" in table:
        value = table["min-batch-size"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: [tool.bn-lint] min-batch-size must be a positive integer, got {value!r}")
        changes["min_batch_size"] = value
    if "unsafe-fixes" in table:
        value = table["unsafe-fixes"]
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: [tool.bn-lint] unsafe-fixes must be true or false, got {value!r}")
        changes["unsafe_fixes"] = value
    if "format" in table:
        value = table["format"]
        if value not in FORMATS:
            raise ConfigError(f"{where}: [tool.bn-lint] format must be one of {', '.join(FORMATS)}, got {value!r}")
        changes["format"] = value
    return replace(settings, **changes)


def validate_codes(value: Any, where: str) -> tuple[str, ...]:
    """A list of code prefixes such as ``BN1``, ``BN201`` or ``ALL``; unknown ones are errors."""
    items = _string_list(value, where)
    out = []
    for item in items:
        code = item.strip().upper()
        if code != "ALL" and not any(known.startswith(code) for known in KNOWN_CODES):
            raise ConfigError(f"{where}: unknown rule code or prefix '{item}'")
        out.append(code)
    return tuple(out)


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)
