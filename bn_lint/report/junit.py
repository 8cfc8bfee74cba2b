"""JUnit XML as Jenkins and the Maven surefire schema expect it (``tests/data/junit-10.xsd``).

One test case per checked file: it passes when the file has no finding, and has one
``<failure>`` per finding otherwise (a finding in a file that was not checked itself, a helper
whose caller was, gets its own case). Tool errors (a missing path, an internal error) are
failures of type ``error`` in a case named after them.
"""
from __future__ import annotations

from typing import TextIO
from xml.etree import ElementTree as ET

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    by_path: dict[str, list[Finding]] = {path: [] for path in getattr(context, "checked", ()) or ()}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    errors = list(getattr(context, "errors", ()) or ())
    elapsed = getattr(context, "elapsed", None)
    failures = len(findings) + len(errors)
    suite = ET.Element("testsuite", name="bn-lint", tests=str(len(by_path) + len(errors) or 1),
                       failures=str(failures), errors="0", skipped="0")
    if elapsed is not None:
        suite.set("time", f"{elapsed:.3f}")
    if not by_path and not errors:
        ET.SubElement(suite, "testcase", name="bn-lint", classname="bn-lint")  # (nothing was checked)
    for path, found in by_path.items():
        case = ET.SubElement(suite, "testcase", name=path, classname="bn-lint")
        for f in found:
            failure = ET.SubElement(case, "failure", message=f"{f.code} {f.message}", type=f.code)
            failure.text = f"{f.location}: {f.code} {f.name}: {f.message}"
    for error in errors:
        case = ET.SubElement(suite, "testcase", name=error.split(": ")[0], classname="bn-lint.error")
        ET.SubElement(case, "failure", message=error, type="error").text = error
    suites = ET.Element("testsuites", name="bn-lint", tests=suite.get("tests"), failures=str(failures), errors="0")
    if elapsed is not None:
        suites.set("time", f"{elapsed:.3f}")
    suites.append(suite)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")
