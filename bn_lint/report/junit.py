"""JUnit XML: one test case per checked file with findings, one failure per finding."""
from __future__ import annotations

from itertools import groupby
from typing import TextIO
from xml.etree import ElementTree as ET

from ..finding import Finding


def render(findings: list[Finding], stream: TextIO, context) -> None:
    suite = ET.Element("testsuite", name="bn-lint", tests=str(max(len(findings), 1)), failures=str(len(findings)))
    if not findings:
        ET.SubElement(suite, "testcase", name="bn-lint", classname="bn-lint")
    for path, group in groupby(findings, key=lambda f: f.path):
        for f in group:
            case = ET.SubElement(suite, "testcase", name=f"{f.code} at {f.location}", classname=path)
            failure = ET.SubElement(case, "failure", message=f.message, type=f.code)
            failure.text = f"{f.location}: {f.code} {f.name}: {f.message}"
    suites = ET.Element("testsuites")
    suites.append(suite)
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")
