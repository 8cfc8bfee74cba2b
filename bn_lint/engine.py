"""The static pipeline for one file: read, pre-filter, parse, model, rules, suppress."""
from __future__ import annotations

import dataclasses
import os
import traceback
from dataclasses import dataclass, field
from typing import Iterable

import libcst as cst

from . import deep
from .config import Settings
from .finding import Edit, Finding, Fix, Related, Severity
from .notebook import NOTEBOOK_SUFFIX, Notebook, NotNotebook
from .parsing import MAX_CHARS, described, syntax_error
from .prefilter import Prefilter
from .import_lines import imported_names
from .repository_search import imports_standing_for
from .project import Project
from .registry import rule_by_code, static_rules
from .rule import Rule
from bn_lint.semantic.file.model import FileModel, Report
from .source import READ_LIMIT, SourceText, TooLarge, UnreadableSource, decode, read_source, split_lines
from .suppression import Suppressions

EXACT_MAX_CHARS = 256 * 1024  # above this, findings keep the quick tree's places and come without fixes


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # internal errors, printed on stderr
    source: SourceText | None = None
    notebook: Notebook | None = None  # for a .ipynb file: its cells (``source`` is the program they make)


class Checker:
    """Runs the selected static rules over files. One instance per process."""

    def __init__(self, settings: Settings, project: Project | None = None, exact: bool = True) -> None:
        """``exact=False``: findings keep the quick tree's places (the same as libcst's) and come without fixes,
        with no second parse by libcst (an editor's diagnostics while typing; its fixes asked for apart)."""
        self.settings = settings
        self.exact = exact
        self.rules: list[Rule] = [cls() for cls in static_rules() if settings.is_selected(cls.code)]
        self.prefilter = Prefilter(self.rules)  # a rule runs only on files its triggers match
        self.project = project or Project(settings)
        self.noqa_used: dict[str, set[tuple[int, str]]] = {}  # real path -> (line, code) its noqa comments suppressed
        self._reports_syntax = settings.is_selected("BN900")

    # ------------------------------------------------------------------ files
    def check_path(self, path: str) -> FileResult:
        if path.endswith(NOTEBOOK_SUFFIX):
            from .source import read_bytes

            try:
                return self.check_notebook(path, read_bytes(path))
            except TooLarge as error:  # (said as a .py file's is, with the notebook's own limit)
                return self._tool_finding(path, "BN901", _over_limit(error.size, READ_LIMIT))
            except UnreadableSource as error:  # (stat first: never a FIFO or a device)
                return self._tool_finding(path, "BN901", f"cannot read file: {error}")
        try:
            source = read_source(path)
        except TooLarge as error:  # (from stat: never read, never compiled)
            return self._tool_finding(path, "BN901", _over_limit(error.size))
        except UnreadableSource as error:
            return self._tool_finding(path, "BN901", f"cannot read file: {error}")
        return self.check_source(path, source)

    def check_notebook(self, path: str, data: bytes) -> FileResult:
        """A Jupyter notebook: its code cells checked as one program, findings placed at their cells."""
        try:
            notebook = Notebook.parse(data)
        except NotNotebook as error:
            return self._tool_finding(path, "BN901", f"cannot read notebook: {error}")
        result = self.check_source(path, SourceText(notebook.program, "utf-8"))
        result.findings = [notebook.to_cells(f) if f.path == path else f for f in result.findings]
        for cell, line, column, message in notebook.errors:
            if self.settings.is_selected("BN900"):
                error = self._tool_finding(path, "BN900", message, line, column).findings[0]
                result.findings.append(dataclasses.replace(error, cell=cell))
        result.findings.sort(key=lambda f: f.sort_key)
        result.notebook = notebook
        return result

    def check_bytes(self, path: str, data: bytes) -> FileResult:
        if path.endswith(NOTEBOOK_SUFFIX):
            return self.check_notebook(path, data)
        try:
            source = decode(data)
        except UnreadableSource as error:
            return self._tool_finding(path, "BN901", f"cannot read file: {error}")
        return self.check_source(path, source)

    def check_source(self, path: str, source: SourceText) -> FileResult:
        """The findings of one file; any failure is that file's alone (a finding or an internal error)."""
        try:
            return deep.call(self._check_source, path, source)
        except RecursionError:
            return self._tool_finding(path, "BN900", _TOO_DEEP, source=source)
        except Exception as error:
            return FileResult(path, errors=[_internal(path, "the checker", error)], source=source)

    def _check_source(self, path: str, source: SourceText) -> FileResult:
        result = FileResult(path, source=source)
        text = source.text
        if "\x00" in text:
            return self._tool_finding(path, "BN900", "syntax error: source code cannot contain null bytes", source=source)
        if len(text) > MAX_CHARS:
            # libcst needs minutes and gigabytes for a file of many megabytes (generated data, most likely),
            # and the compiler gigabytes too: decided before either, from the triggers alone
            if not self.active_rules(text):
                return result
            return self._tool_finding(path, "BN901", _over_limit(len(text)), source=source)
        model = self.project.loaded(path, text)  # parsed (and compiled) already, for another file's lookups
        active = self.active_rules(text, path)
        if not active and not self._reports_syntax:
            return result  # (an importer checked for what it finds in other files: its syntax is not reported)
        # (before any tree: see its docstring; a file to be parsed gets the parser's errors with its tree)
        error = syntax_error(text, tree_later=bool(active)) if model is None else None
        if error is not None:
            message, line, column = error
            return self._tool_finding(path, "BN900", message, line, column, source)
        if not active:
            return result
        if model is None:
            model = self._model(path, text, source, result)
            if not isinstance(model, FileModel):
                return model
        self.project.add(model)  # (the other files' lookups use this model, not a second parse)
        reports = self._reports(active, model, path, source, result)
        if not isinstance(reports, FileResult) and reports and model.spans is not None \
                and (not self.exact or len(text) > EXACT_MAX_CHARS):
            # (libcst's parse of a file this big costs seconds and gigabytes, generated data most likely: the quick
            # tree's places are the same (quick_tree.py), but a fix needs libcst's own tree: none is offered)
            reports = [(rule, dataclasses.replace(report, fix=None)) for rule, report in reports]
        elif not isinstance(reports, FileResult) and reports and model.spans is not None:
            # something found on the quick tree: found again on libcst's, so that what is reported (places,
            # messages, fixes) is libcst's, byte for byte (quick_tree.py)
            exact_model = self._model(path, text, source, result, exact=True)
            if isinstance(exact_model, FileModel):
                model = exact_model
                self.project.add(model)
                result.errors.clear()
                result.findings.clear()
                reports = self._reports(active, model, path, source, result)
            else:  # (Python runs it, libcst's tokenizer refuses it: a tab then spaces in one indent; the quick
                # tree's findings stand, at its places, without fixes)
                reports = [(rule, dataclasses.replace(report, fix=None)) for rule, report in reports]
        if isinstance(reports, FileResult):
            return reports
        if reports:
            try:
                result.findings = sorted([*result.findings, *self._to_findings(path, text, model, reports)],
                                         key=lambda f: f.sort_key)
            except RecursionError:
                return self._tool_finding(path, "BN900", _TOO_DEEP, source=source)
        return result

    def _reports(self, active: list[Rule], model: FileModel, path: str, source: SourceText,
                 result: FileResult) -> "list[tuple[Rule, Report]] | FileResult":
        """What the active rules report on ``model`` (their errors go to ``result``)."""
        reports: list[tuple[Rule, Report]] = []
        overflowed = []
        for rule in active:
            try:
                for report in rule.check(model):
                    reports.append((rule, report))
            except RecursionError:  # (that rule's analysis only: the other rules' findings stand)
                overflowed.append(rule.code)
            except Exception as error:
                result.errors.append(_internal(path, rule.code, error))
        if overflowed and not reports:
            return self._tool_finding(path, "BN900", _TOO_DEEP, source=source)
        if overflowed:
            result.findings.extend(self._tool_finding(path, "BN900", f"{_TOO_DEEP} (the analysis of "
                                                      f"{', '.join(overflowed)})", source=source).findings)
        return reports

    def _model(self, path: str, text: str, source: SourceText, result: FileResult,
               exact: bool = False) -> "FileModel | FileResult":
        """The file's semantic model (on the quick tree unless ``exact``), or the result that says why there
        is none."""
        from bn_lint.semantic.syntax.quick_tree import (  # (libcst is imported only for a file that needs a parse)
            file_tree,
        )

        try:
            module, spans = file_tree(text, exact)
        except cst.ParserSyntaxError as error:
            # the stdlib parser accepted the file: a limit of libcst's parser, not the user's syntax
            message = " ".join(error.message.split())
            return self._tool_finding(
                path, "BN900", f"{_NOT_PARSED}: libcst: {message}", error.raw_line, error.raw_column + 1, source
            )
        except SyntaxError as error:  # (the stdlib parser's, building the quick tree)
            message, line, column = described(error)
            return self._tool_finding(path, "BN900", message, line, column, source)
        except RecursionError:
            return self._tool_finding(path, "BN900", _TOO_DEEP, source=source)
        try:
            model = FileModel(path, text, module, self.settings, self.project, spans)
        except RecursionError:
            return self._tool_finding(path, "BN900", _TOO_DEEP, source=source)
        except Exception as error:  # pragma: no cover - defensive
            result.errors.append(_internal(path, "semantic model", error))
            return result
        return model

    def active_rules(self, text: str, path: str | None = None) -> list[Rule]:
        """The rules whose trigger patterns match ``text`` (the pre-filter); a file at ``path`` that imports a
        project name standing for a BatchNorm layer says BatchNorm, one standing for a training step says so."""
        if path is None:
            return self.prefilter.active(text)
        names = imported_names(text.encode("utf-8", "replace")) if "import" in text else []
        # (the project, and libcst with it, is loaded only for a file that imports names from a module)
        return self.prefilter.active(text, lambda word: bool(names) and imports_standing_for(
            self.project, path, names, word, _evaluation_named))

    # -------------------------------------------------------------- internals
    def _to_findings(self, path: str, text: str, model: FileModel, reports: list[tuple[Rule, Report]]) -> list[Finding]:
        files: dict[str, tuple[str, FileModel, Suppressions, list[str]]] = {}  # the checked file, and others reported in

        def file_of(owner: FileModel) -> tuple[str, FileModel, Suppressions, list[str]]:
            if owner.path not in files:
                shown = path if owner is model else _shown_like(owner.path, path)
                files[owner.path] = (shown, owner, Suppressions.scan(split_lines(owner.source), owner.source),
                                     self.settings.ignored_for(_relative(shown, self.settings)))
            return files[owner.path]

        findings = []
        for rule, report in reports:
            code = report.code or rule.code
            shown, owner, suppressions, ignored = file_of(report.model or model)
            positions, module = owner.positions, owner.module
            pos = positions.get(report.node)
            if pos is None:
                continue
            line, column = pos.start.line, pos.start.column + 1
            if suppressions.suppressed(code, line) or any(code.startswith(c) for c in ignored):
                continue
            related = self._related(path, model, report) if owner is not model else ()
            if any(file_of(model)[2].suppressed(code, r.line) for r in related):
                continue  # a `# noqa` at the call in the checked file that causes the finding in a helper
            fix = None
            if report.fix is not None and owner is model:
                edits = []
                for node, new in report.fix.replacements:
                    where = positions.get(node)
                    if where is None:
                        edits = []
                        break
                    replacement = new if isinstance(new, str) else module.code_for_node(new)
                    edits.append(
                        Edit(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1, replacement)
                    )
                if edits:
                    fix = Fix(report.fix.description, tuple(sorted(edits)), (rule_by_code(code) or rule).fix_safety)
            findings.append(
                Finding(
                    code=code,
                    name=(rule_by_code(code) or rule).name,
                    severity=report.severity or rule.severity,
                    path=shown,
                    line=line,
                    column=column,
                    end_line=pos.end.line,
                    end_column=pos.end.column + 1,
                    message=report.message,
                    fix=fix,
                    related=related,
                )
            )
        for owner_path, (_, _, suppressions, _) in files.items():
            if suppressions.used:
                self.noqa_used.setdefault(os.path.realpath(owner_path), set()).update(suppressions.used)
        findings.sort(key=lambda f: f.sort_key)
        return findings

    @staticmethod
    def _related(path: str, model: FileModel, report: Report) -> tuple[Related, ...]:
        """The places in the checked file that cause a finding reported in another file."""
        out = []
        for node in report.related:
            pos = model.positions.get(node)
            if pos is not None:
                out.append(Related(path, pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1,
                                   "the call that causes it"))
        return tuple(out)

    def _tool_finding(
        self, path: str, code: str, message: str, line: int = 1, column: int = 1, source: SourceText | None = None
    ) -> FileResult:
        result = FileResult(path, source=source)
        if not self.settings.is_selected(code):
            return result
        if source is not None and code in ("BN900", "BN901"):  # (a file-wide noqa: BN901 of an over-size file)
            suppressions = Suppressions.scan([], source.text)
            if suppressions.suppressed(code, 0):
                return result
        rule = rule_by_code(code)
        result.findings.append(
            Finding(code, rule.name if rule else code, Severity.ERROR, path, line, column, line, column, message)
        )
        return result


_NOT_PARSED = "valid Python that bn-lint cannot parse, not checked"
_TOO_DEEP = f"{_NOT_PARSED}: nesting too deep"


def _over_limit(size: int, limit: int = MAX_CHARS) -> str:
    """(``size`` in characters, or bytes read from ``stat``; ``limit``: a notebook's is its file's size)"""
    return f"file not checked: {size / 2**20:.1f} MiB is over the {limit // 2**20} MiB limit"


def _shown_like(other: str, checked: str) -> str:
    """``other`` (absolute) written like the checked path: relative to the working directory if that is."""
    if os.path.isabs(checked):
        return other
    try:
        return os.path.relpath(other)
    except ValueError:  # pragma: no cover - another drive
        return other


def _relative(path: str, settings: Settings) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), settings.root)
    except ValueError:  # pragma: no cover
        return path
    return (path if rel.startswith("..") else rel).replace(os.sep, "/")


def _internal(path: str, where: str, error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" ({os.path.basename(frame.filename)}:{frame.lineno})" if frame else ""
    return f"{path}: internal error in {where}: {type(error).__name__}: {error}{at}"


def check_files(paths: Iterable[str], checker: Checker) -> list[FileResult]:
    return [checker.check_path(path) for path in paths]


def _evaluation_named(name: str) -> bool:
    """Whether a function name says evaluation (asked by the pre-filter once the project, and libcst, is loaded)."""
    from bn_lint.semantic.modes.eval_names import eval_named

    return eval_named(name)
