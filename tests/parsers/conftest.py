"""Fixtures for parser tests (helpers live in parsers_testkit; `corpus` in tests/conftest)."""

from __future__ import annotations

import pytest
from parsers_testkit import build_fit, definition, raw_fit


@pytest.fixture
def fit_builder():
    return build_fit


@pytest.fixture
def raw_fit_builder():
    return raw_fit, definition
