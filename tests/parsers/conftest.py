"""Shared helpers for parser tests: tiny FIT files built with the Garmin SDK encoder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from garmin_fit_sdk import Encoder, Profile

MESG = Profile["mesg_num"]
#: a fixed FIT start time used by hand-built files: 2024-03-01 22:00:00 UTC
T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
FIT_EPOCH_S = 631_065_600
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def fit_seconds(when: datetime) -> int:
    """FIT time (seconds since 1989-12-31 UTC) of an aware datetime."""
    return int(when.timestamp()) - FIT_EPOCH_S


def build_fit(messages: list[tuple[str, dict]], file_type: str = "monitoring_b",
              manufacturer: str = "garmin", product: int = 3110) -> bytes:
    """Encode `(MESG_NAME, fields)` pairs after a file_id message; returns FIT bytes."""
    enc = Encoder()
    enc.on_mesg(MESG["FILE_ID"], {
        "type": file_type, "manufacturer": manufacturer, "product": product,
        "serial_number": 1234, "time_created": fit_seconds(T0),
    })
    for name, fields in messages:
        enc.on_mesg(MESG[name], fields)
    return enc.close()


@pytest.fixture
def fit_builder():
    return build_fit


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-file corpus absent at {CORPUS}")
    return CORPUS
