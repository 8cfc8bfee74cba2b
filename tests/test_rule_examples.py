"""Every static rule's own examples: INVALID ones give exactly the expected code and line, VALID ones nothing."""
from __future__ import annotations

import pytest

from bn_lint.registry import static_rules
from bn_lint.rule import Invalid, Valid
from bn_lint.config import Settings
from bn_lint.engine import Checker
from bn_lint.source import SourceText

CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{kind}-{i}")
    for rule in static_rules()
    for kind, examples in (("invalid", rule.invalid), ("valid", rule.valid))
    for i, example in enumerate(examples)
]


def _findings(rule, example):
    checker = Checker(Settings(select=(rule.code,)))
    result = checker.check_source("example.py", SourceText(example.source, "utf-8"))
    assert not result.errors, result.errors
    return [f for f in result.findings if f.code == rule.code]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule, example):
    compile(example.source, "example.py", "exec")  # (a valid example that does not parse would pass unseen)
    findings = _findings(rule, example)
    if isinstance(example, Invalid):
        assert [f.line for f in findings] == [example.line] * example.count, [
            (f.line, f.message) for f in findings
        ]
    else:
        assert isinstance(example, Valid)
        assert findings == [], [(f.line, f.message) for f in findings]


@pytest.mark.parametrize("rule", static_rules(), ids=lambda r: r.code)
def test_every_static_rule_has_bad_and_good_examples(rule):
    assert len(rule.invalid) >= 2 and len(rule.valid) >= 2


@pytest.mark.parametrize("rule", [r for r in static_rules() if r.fixable], ids=lambda r: r.code)
def test_fixable_rules_offer_a_fix_on_some_bad_example(rule):
    assert any(f.fix for ex in rule.invalid for f in _findings(rule, ex))
