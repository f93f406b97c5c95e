"""Singer tap for CSV files: ``tap-csv``, built on elt's singer-sdk base."""

from __future__ import annotations

from tap_csv.streams import CsvStream
from tap_csv.tap import TapCsv

__all__ = ["CsvStream", "TapCsv"]
