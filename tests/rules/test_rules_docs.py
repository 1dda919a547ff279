"""docs/rules.md shows exactly what herstel says: every rule, threshold and example message."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules_examples import EXAMPLES, example_flags

from rules.catalogue import load_ruleset

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_example_messages_in_the_docs_are_what_herstel_writes(rule_id):
    for (label, _n, _d), flag in zip(EXAMPLES[rule_id], example_flags(rule_id), strict=True):
        assert f'"{flag["message"]}"' in DOC, f"{rule_id} ({label}): English example differs"
        assert f'"{flag["message_nl"]}"' in DOC, f"{rule_id} ({label}): Dutch example differs"


def test_every_rule_of_the_catalogue_has_a_section():
    for rule_id in load_ruleset().rules:
        assert f"### `{rule_id}`" in DOC
        assert rule_id in EXAMPLES
