"""The rule framework: one small class per rule, with its docs and examples."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Iterable

from .finding import Severity

if TYPE_CHECKING:  # pragma: no cover
    from bn_lint.semantic.file.model import FileModel, Report


@dataclass(frozen=True)
class Invalid:
    """An example the rule must flag: the code, and the 1-based line of the finding."""

    code: str
    line: int
    count: int = 1  # how many findings of this rule the example gives

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


@dataclass(frozen=True)
class Valid:
    """An example the rule must not flag."""

    code: str

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


# what each setting a rule's page lists under "Options" does (``Rule.options``; the fix settings are listed
# for every fixable rule)
OPTION_DOCS = {
    "min-batch-size": "the smallest batch size that is not reported (default 8); `--min-batch-size N` on the "
                      "command line.",
    "fixable": "codes whose fixes `--fix` may apply (default `[\"ALL\"]`); `unfixable`: codes whose fixes it never "
               "applies.",
    "unsafe-fixes": "let `--fix` apply the fixes that change what the program does (default false); "
                    "`--unsafe-fixes` on the command line.",
}


class Rule:
    """Base class. Subclasses set the metadata and implement :meth:`check`.

    ``triggers``: regular expressions of which at least one matches any file this
    rule can flag (a plain word matches itself); a tuple of them matches when all of
    its patterns do. The engine skips the rule (and the parse, when no rule is left)
    for files that match none of them. Patterns that start with a literal are
    searched fastest.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    fixable: ClassVar[bool] = False
    fix_safety: ClassVar[str] = "safe"  # "unsafe": the fix changes behaviour; applied only with --unsafe-fixes
    fix_safety_docs: ClassVar[str] = ""  # why the fix is unsafe (the page's "Fix safety")
    runtime_only: ClassVar[bool] = False  # reported by the tracer, not by `check`
    tool: ClassVar[bool] = False  # reported by the engine itself (BN9xx)
    reports_in_other_files: ClassVar[bool] = False  # can report in a project file the checked one calls into
    summary: ClassVar[str]
    what: ClassVar[str]
    why: ClassVar[str]
    example: ClassVar[str] = ""
    use_instead: ClassVar[str] = ""  # the example, corrected (the page's "Use instead")
    fix_docs: ClassVar[str] = ""
    options: ClassVar[tuple[str, ...]] = ()  # `[tool.bn-lint]` settings that change what it reports (OPTION_DOCS)
    references: ClassVar[tuple[tuple[str, str], ...]] = ()  # (title, URL): documentation, papers
    triggers: ClassVar[tuple[str | tuple[str, ...], ...]] = ()
    invalid: ClassVar[tuple[Invalid, ...]] = ()
    valid: ClassVar[tuple[Valid, ...]] = ()

    def check(self, model: "FileModel") -> Iterable["Report"]:  # pragma: no cover - abstract
        return ()

    @classmethod
    def is_static(cls) -> bool:
        return not cls.runtime_only and not cls.tool

    @classmethod
    def fix_safety_text(cls) -> str:
        if cls.fix_safety == "safe":
            return "The fix is safe: it keeps what the program does, and `--fix` applies it."
        return (textwrap.dedent(cls.fix_safety_docs).strip() + " The fix is therefore unsafe: `--fix` applies it "
                "only with `--unsafe-fixes` (or `unsafe-fixes = true` under `[tool.bn-lint]`).").strip()

    @classmethod
    def _options_markdown(cls) -> list[str]:
        """The page's "Options": the settings that change what the rule reports, and, for a fixable rule, the
        ones that choose which fixes `--fix` applies."""
        names = list(cls.options)
        if cls.fixable:
            names += ["fixable"] + (["unsafe-fixes"] if cls.fix_safety != "safe" else [])
        lines = [f"- `{name}`: {OPTION_DOCS[name]}" for name in names]
        where = ("`select`, `ignore`, `extend-select` and `per-file-ignores` under `[tool.bn-lint]` choose "
                 "where it is reported.")
        if not lines:
            return [f"None of its own: {where}"]
        return ["Under `[tool.bn-lint]` in `pyproject.toml`:", "", *lines, "", f"As for every rule, {where}"]

    @classmethod
    def docs_markdown(cls) -> str:
        """The rule's page, as written to ``rules/<CODE>.md``."""
        fix = "yes" if cls.fixable else "no"
        where = "runtime tracer" if cls.runtime_only else ("the tool itself" if cls.tool else "static checker")
        parts = [
            f"# {cls.code} {cls.name}",
            "",
            f"Severity: **{cls.severity.value}** · Autofix: **{fix}** · Reported by: {where}",
            "",
            cls.summary.strip(),
            "",
            "## What it does",
            "",
            textwrap.dedent(cls.what).strip(),
            "",
            "## Why is this bad?",
            "",
            textwrap.dedent(cls.why).strip(),
        ]
        if cls.example.strip():
            parts += ["", "## Example", "", "```python", textwrap.dedent(cls.example).strip(), "```"]
        if cls.use_instead.strip():
            parts += ["", "Use instead:", "", "```python", textwrap.dedent(cls.use_instead).strip(), "```"]
        if cls.fix_docs.strip():
            parts += ["", "## How to fix", "", textwrap.dedent(cls.fix_docs).strip()]
        if cls.fixable:
            parts += ["", "## Fix safety", "", cls.fix_safety_text()]
        parts += ["", "## Options", "", *cls._options_markdown()]
        if cls.references:
            parts += ["", "## References", "", *(f"- [{title}]({url})" for title, url in cls.references)]
        if cls.tool:
            how = (f"There is no line to put a `# noqa` on: fix the file, leave it out with `extend-exclude`, or set "
                   f'`ignore = ["{cls.code}"]` under `[tool.bn-lint]` in `pyproject.toml`.')
        else:
            how = (f"Add `# noqa: {cls.code}` to the reported line, `# bn-lint: noqa: {cls.code}` on a line of its own "
                   f'for the whole file, or `ignore = ["{cls.code}"]` under `[tool.bn-lint]` in `pyproject.toml`. '
                   "A finding in a helper's file that a call in another file brings about can also be silenced at "
                   f"that call (the one the message names) with `# noqa: {cls.code}`.")
        parts += ["", "## Suppressing it", "", how, ""]
        return "\n".join(parts)
