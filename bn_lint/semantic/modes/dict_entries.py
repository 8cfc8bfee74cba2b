"""Entries of dicts followed as keys of their own (``nets['student']``): a dict literal's, and those of a dict a
function returns with a model under a constant key."""
from __future__ import annotations

import libcst as cst

from .keys import _PLAIN_WORD, subscript_key
from .state import EVAL, TRAIN, State


def literal_entries(flow, key: str, value: cst.Dict, state: State) -> None:
    """``nets = {"teacher": Net(), "student": Net()}``: each entry under a constant key is followed as
    ``nets['teacher']``, as an attribute would be."""
    for element in value.elements:
        if not isinstance(element, cst.DictElement):
            continue
        index = subscript_key(cst.Subscript(cst.Name("_"), [cst.SubscriptElement(cst.Index(element.key))]))
        facts = flow.values.value_facts(element.value, state) if index is not None else None
        if facts is not None:
            state[key + index] = facts


def returned_entries(flow, key: str, call: cst.Call, state: State) -> None:
    """``result = ft(model)`` where ``ft`` gives back a dict holding a model under a constant key
    (``result['model'] = model; return result``): that entry is followed as ``result['model']``."""
    target = flow.a.callees.callee(call)
    summary = target[0].summary(target[1]) if target is not None else None
    for index, facts in sorted((summary.keyed_returns if summary is not None else {}).items()):
        state[key + index] = flow.helper_calls.translate(facts, frozenset(), call, summary, target[0])


def keyed_returns(flow) -> dict[str, frozenset]:
    """``['model']`` -> the modes of the model each ``return`` gives back under that key of a dict: a name
    whose entries the flow follows (``result['model'] = model; return result``) or a dict literal
    (``return {'model': model}``). Only keys every ``return`` names, with a mode each shows."""
    found: list[dict[str, frozenset]] = []
    for returned in flow.returned:
        if returned is None:
            return {}
        value, state = returned
        entries: dict[str, frozenset] = {}
        if isinstance(value, cst.Name):
            prefix = value.value
            for key in state:
                if key.startswith(prefix + "[") and "." not in key[len(prefix):] and key.count("[") == 1:
                    entries[key[len(prefix):]] = state[key]
        elif isinstance(value, cst.Dict):
            for element in value.elements:
                name = element.key if isinstance(element, cst.DictElement) else None
                if isinstance(name, cst.SimpleString) and _PLAIN_WORD.fullmatch(str(name.evaluated_value)):
                    facts = flow.values.value_facts(element.value, state)
                    if facts is not None:
                        entries[f"[{name.evaluated_value!r}]"] = facts
        found.append(entries)
    if not found:
        return {}
    shared = set(found[0]).intersection(*found[1:])
    out = {key: frozenset().union(*(entries[key] for entries in found)) for key in shared}
    return {key: facts for key, facts in out.items() if facts and {f.mode for f in facts} <= {TRAIN, EVAL}}
