"""The registry agrees with RULES.md (the contract) and with the pages in rules/.

The contract is ``../shared/RULES.md``; ``tests/data/contract/RULES.md`` carries a copy, so a clone on its
own checks against it too (and, where the shared file is beside the checkout, the copy must equal it)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bn_lint import docs
from bn_lint.codes import KNOWN_CODES
from bn_lint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
SHARED_RULES_MD = ROOT.parent / "shared" / "RULES.md"
RULES_MD = SHARED_RULES_MD if SHARED_RULES_MD.exists() else ROOT / "tests" / "data" / "contract" / "RULES.md"
ROW = re.compile(r"^\|\s*(BN\d{3})\s*\|\s*([a-z0-9-]+)[^|]*\|(.*)$", re.M)


def contract() -> dict[str, tuple[str, str, str | None]]:
    table = {}
    for match in ROW.finditer(RULES_MD.read_text(encoding="utf-8")):
        rest = [cell.strip() for cell in match[3].split("|")[:-1]]
        table[match[1]] = (match[2], rest[0] if rest else "error", rest[1] if len(rest) > 1 else None)
    return table


def test_the_carried_contract_is_the_shared_one():
    carried = (ROOT / "tests" / "data" / "contract" / "RULES.md").read_text(encoding="utf-8")
    assert ROW.findall(carried), "the carried contract has no rule table"
    if SHARED_RULES_MD.exists():
        assert carried == SHARED_RULES_MD.read_text(encoding="utf-8"), "copy ../shared/RULES.md to tests/data/contract/"


def test_known_codes_are_the_contracts():
    assert set(contract()) == set(KNOWN_CODES)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_matches_contract(rule):
    table = contract()
    assert rule.code in table, f"{rule.code} is not in RULES.md"
    name, severity, fix = table[rule.code]
    assert rule.name == name
    assert severity.startswith(rule.severity.value), (severity, rule.severity)
    if fix is not None and rule.is_static():
        assert rule.fixable == fix.startswith("yes"), (rule.code, fix)


def test_rule_pages_are_generated_from_the_registry():
    wanted = docs.pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "rules").glob("*.md")}
    assert on_disk == wanted, "rules/ is stale: run `python -m bn_lint.docs rules`"
