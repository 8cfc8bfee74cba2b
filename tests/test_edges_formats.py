"""Issue 27 D19-D22: SARIF (URIs, fixes, related locations, invocations, links), JUnit against the surefire
schema, GitHub annotations with relative paths."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

from test_edges_importers import project

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
KERAS = "import torch.nn as nn\nnet = nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16, momentum=0.9))\n"


def _sarif_project(tmp_path) -> Path:
    project(tmp_path)
    (tmp_path / "my models").mkdir()
    (tmp_path / "my models" / "kéras port.py").write_text(KERAS)
    return tmp_path


def _validate(document: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)


def test_d19_sarif_uris_fixes_and_related_locations(tmp_path):
    root = _sarif_project(tmp_path)
    proc = run_cli("check", "--no-cache", "--format", "sarif", "train.py", "my models", cwd=root)
    document = json.loads(proc.stdout)
    _validate(document)
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    bn101 = by_rule["BN101"]
    assert bn101["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "cifarnet/model.py", "uriBaseId": "%SRCROOT%"}
    (related,) = bn101["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"] == {"uri": "train.py", "uriBaseId": "%SRCROOT%"}
    assert related["physicalLocation"]["region"]["startLine"] == 16
    bn205 = by_rule["BN205"]
    assert bn205["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20models/k%C3%A9ras%20port.py"
    (fix,) = bn205["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == "0.1" and fix["properties"]["applicability"] == "unsafe"


def test_d19_sarif_paths_outside_the_root_and_stdin(tmp_path):
    inside, outside = tmp_path / "proj", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (outside / "k.py").write_text(KERAS)
    proc = run_cli("check", "--no-cache", "--format", "sarif", "../elsewhere/k.py", cwd=inside)
    document = json.loads(proc.stdout)
    _validate(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (outside / "k.py").resolve().as_uri()}  # absolute, not under %SRCROOT%
    named = run_cli("check", "--no-cache", "--format", "sarif", "--stdin-filename", "src/k.py", cwd=inside, stdin=KERAS.encode())
    document = json.loads(named.stdout)
    _validate(document)
    assert document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/k.py"


def test_d19_sarif_invocation_reports_tool_errors(tmp_path):
    (tmp_path / "k.py").write_text(KERAS)
    proc = run_cli("check", "--no-cache", "--format", "sarif", "k.py", "missing.py", cwd=tmp_path)
    document = json.loads(proc.stdout)
    _validate(document)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "missing.py: no such file or directory" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_d20_no_links_to_a_repository_that_does_not_exist(tmp_path):
    (tmp_path / "k.py").write_text(KERAS)
    text = run_cli("check", "--no-cache", "--format", "sarif", "k.py", cwd=tmp_path).stdout.decode()
    assert "github.com/bn-lint" not in text
    for path in (ROOT / "bn_lint").rglob("*.py"):
        assert "github.com/bn-lint" not in path.read_text(encoding="utf-8"), path


def _multitool() -> str | None:
    return os.environ.get("SARIF_MULTITOOL") or shutil.which("sarif-multitool")


@pytest.mark.skipif(_multitool() is None, reason="the SARIF multitool (npm @microsoft/sarif-multitool) is not installed")
def test_d19_sarif_multitool_accepts_it(tmp_path):
    root = _sarif_project(tmp_path)
    out = tmp_path / "out.sarif"
    run_cli("check", "--no-cache", "--format", "sarif", "-o", str(out), "train.py", "my models", cwd=root)
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert any("fixes" in r for r in results) and any("relatedLocations" in r for r in results)  # what it validates
    log = tmp_path / "validation.sarif"
    proc = subprocess.run([_multitool(), "validate", str(out), "-o", str(log)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(log.read_text())["runs"][0]["results"]
    errors = [r for r in results if r.get("level") == "error"]
    assert errors == [], errors
    # (its one warning, SARIF2005, asks for an informationUri: bn-lint has no public home page to give)
    assert {r["ruleId"] for r in results} <= {"SARIF2005"}


def _junit_schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit-10.xsd"))


def test_d21_junit_validates_against_the_surefire_schema(tmp_path):
    schema = _junit_schema()
    (tmp_path / "bad.py").write_text(KERAS)
    (tmp_path / "clean.py").write_text("x = 1\n")
    proc = run_cli("check", "--no-cache", "--format", "junit", "bad.py", "clean.py", "missing.py", cwd=tmp_path)
    text = proc.stdout.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    schema.validate(text)
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(text).find("testsuite")
    assert suite.get("errors") == "0" and suite.get("time") is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["clean.py"].find("failure") is None  # a clean file is a passing case
    assert [f.get("type") for f in cases["bad.py"].iter("failure")] == ["BN204", "BN205"]
    assert cases["missing.py"].find("failure").get("type") == "error"
    assert suite.get("tests") == "3" and suite.get("failures") == "3"
    clean = run_cli("check", "--no-cache", "--format", "junit", "clean.py", cwd=tmp_path)
    schema.validate(clean.stdout.decode())


def test_d22_github_annotations_use_relative_paths(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "k.py").write_text(KERAS)
    proc = run_cli("check", "--no-cache", "--format", "github", str(tmp_path / "src"), cwd=tmp_path)
    lines = proc.stdout.decode().splitlines()
    assert lines and all(line.split(" ", 1)[1].startswith("file=src/k.py,") for line in lines), lines
