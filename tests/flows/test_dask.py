"""The parse stage on a real Dask cluster (scheduler + two worker processes on loopback),
staging Parquet for the single DuckDB writer, gives the same warehouse as a local run."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest import ingest
from sample_data import STUDY_DIR
from warehouse.db import connect
from warehouse.schema import RAW_TABLES
from warehouse.sql import frame

distributed = pytest.importorskip("distributed")
prefect_dask = pytest.importorskip("prefect_dask")


def _raw(db: str) -> dict[str, pl.DataFrame]:
    con = connect(db, read_only=True)
    try:
        out = {t: frame(con, f"SELECT * FROM {t} ORDER BY ALL") for t in RAW_TABLES}
        out["files"] = frame(
            con,
            "SELECT file_id, path, athlete_id, format, status, reason, rows_heart_rate, "
            "rows_rr_intervals, rows_sleep_stages, first_ts, last_ts FROM files ORDER BY path",
        )
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as c:
        yield c


def test_dask_ingest_equals_local(cluster, tmp_path, prefect_server):
    local = str(tmp_path / "local.duckdb")
    ingest([str(STUDY_DIR)], local)

    on_dask = str(tmp_path / "dask.duckdb")
    staging = tmp_path / "staging"
    runner = prefect_dask.DaskTaskRunner(address=cluster.scheduler_address)
    outcomes = ingest.with_options(task_runner=runner)(
        [str(STUDY_DIR)], on_dask, staging=str(staging)
    )
    assert {o.status for o in outcomes} == {"loaded"}

    a, b = _raw(local), _raw(on_dask)
    for table in a:
        assert_frame_equal(a[table], b[table], check_row_order=True)
    assert a["heart_rate"].height > 100_000  # the comparison covered real volume

    # the staged raw layer is queryable, partitioned by athlete and month
    staged = pl.scan_parquet(
        str(staging / "heart_rate" / "**" / "*.parquet"), hive_partitioning=True
    )
    per = staged.group_by("athlete_id").len().collect().sort("athlete_id")
    expected = a["heart_rate"].group_by("athlete_id").len().sort("athlete_id")
    assert_frame_equal(per, expected, check_dtypes=False)
    months = {p.name for p in (staging / "heart_rate" / "athlete_id=anna").iterdir()}
    assert {"month=2026-09", "month=2026-10", "month=2026-11"} <= months
