"""singer-sdk's standard tap tests, on the lean record path and on real files."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from singer_sdk.testing import get_tap_test_class
from tap_csv import TapCsv

_DATA = Path(tempfile.mkdtemp(prefix="tap-csv-standard-"))
atexit.register(shutil.rmtree, _DATA, ignore_errors=True)

(_DATA / "customers.csv").write_text(
    "id,name,balance,active,signed_up,updated_at\n"
    "1,Ann,10.50,true,2025-12-01,2026-01-01T08:00:00Z\n"
    '2,"Smith, Bo",-3.25,false,2025-12-02,2026-01-02T09:30:00+01:00\n'
    '3,"Zoë ""Z"" Ng",0,true,,2026-01-03T10:00:00Z\n',
    encoding="utf-8",
)
(_DATA / "orders").mkdir()
for day in (1, 2):
    (_DATA / "orders" / f"2026-01-0{day}.csv").write_text(
        "order_id,customer_id,total\n"
        + "".join(f"{day}{i:03d},{i % 3 + 1},{i}.99\n" for i in range(50)),
        encoding="utf-8",
    )

TestTapCsvStandard = get_tap_test_class(
    TapCsv,
    config={
        "files": [
            {
                "entity": "customers",
                "path": str(_DATA / "customers.csv"),
                "keys": ["id"],
                "replication_key": "updated_at",
            },
            {"entity": "orders", "path": str(_DATA / "orders"), "keys": ["order_id"]},
        ],
        "add_metadata_columns": True,
    },
)
