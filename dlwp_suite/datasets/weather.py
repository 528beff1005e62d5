"""Weather series: the Jena climate record (canonical zip) or a stand-in hourly series.

Both load into one float32 table of measurements at a fixed interval, with the
temperature column named, so the forecasting protocols read any of them the same way.
A malformed CSV (wrong columns, non-numeric or missing cells, a truncated last line)
fails naming the file and the first bad row; another length than the canonical one,
and irregular time steps, are accepted and noted. Parsed tables are cached per file hash.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig, DatasetFile, ResolvedFile, is_generated, locate
from dlwp_suite.errors import DatasetCorrupt

JENA_ZIP = DatasetFile(
    "jena_climate_2009_2016.csv.zip",
    "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip",
    None,  # Keras' examples fetch it without a hash: a mirror manifest must vouch
)
JENA_COLUMNS = (
    "Date Time",
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
)
JENA_ROWS = 420_551
SEATTLE_TEMPS = DatasetFile(
    "seattle-temps.csv",
    "https://cdn.jsdelivr.net/npm/vega-datasets@2/data/seattle-temps.csv",
    None,
)
# Mirrors may mark files they generated (for development) in this file, one name a line.


@dataclass(frozen=True)
class SeriesFormat:
    """How one series file is laid out: its columns, time format and temperature."""

    file: DatasetFile
    columns: tuple[str, ...]
    time_format: str
    interval_minutes: int
    temperature: str
    fahrenheit: bool = False
    rows: int | None = None  # the canonical row count, where there is one
    note: str = ""  # what the series is, where that matters for the book's claims


JENA = SeriesFormat(JENA_ZIP, JENA_COLUMNS, "%d.%m.%Y %H:%M:%S", 10, "T (degC)", rows=JENA_ROWS)
SEATTLE = SeriesFormat(
    SEATTLE_TEMPS,
    ("date", "temp"),
    "%Y/%m/%d %H:%M",
    60,
    "temp",
    fahrenheit=True,
    note="hourly climate normals (one smooth daily cycle, 24-h persistence error "
    "0.09 °C), not observed weather",
)
SERIES = {"jena": JENA, "seattle": SEATTLE}


@dataclass
class Series:
    """Measurements at a fixed interval (float32, rows x columns) and their provenance."""

    values: np.ndarray
    columns: tuple[str, ...]
    temperature_column: int
    interval_minutes: int
    source: str
    files: list[ResolvedFile]
    from_cache: bool
    notes: list[str]

    def rows_for_hours(self, hours: float) -> int:
        """How many rows span ``hours`` at this series' interval."""
        rows = hours * 60 / self.interval_minutes
        if rows != int(rows):
            raise ValueError(f"{hours} h is not a whole number of {self.interval_minutes}-min rows")
        return int(rows)


def _first_bad_row(path: Path, table: pd.DataFrame, numeric: pd.DataFrame) -> str | None:
    bad = numeric.isna().any(axis=1) | table.isna().any(axis=1)
    if not bad.any():
        return None
    index = int(np.argmax(bad.to_numpy()))
    cells = ", ".join(str(v) for v in table.iloc[index].tolist())
    # +2: the header is line 1 and pandas counts rows from 0.
    return f"{path}: line {index + 2} has a missing or non-numeric cell: {cells!r}"


def _parse(path: Path, spec: SeriesFormat) -> dict[str, np.ndarray]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, pd.errors.ParserError) as error:
        raise DatasetCorrupt(f"{path}: not a readable CSV: {error}") from error
    if tuple(table.columns) != spec.columns:
        raise DatasetCorrupt(
            f"{path}: expected the columns {list(spec.columns)}, found {list(table.columns)}"
        )
    numeric = table.iloc[:, 1:].apply(pd.to_numeric, errors="coerce")
    times = pd.to_datetime(table.iloc[:, 0], format=spec.time_format, errors="coerce")
    if (problem := _first_bad_row(path, table, numeric.assign(time=times))) is not None:
        raise DatasetCorrupt(problem)
    steps = np.diff(times.to_numpy()).astype("timedelta64[m]").astype(int)
    return {
        "values": numeric.to_numpy(np.float32),
        "irregular_steps": np.asarray(int(np.sum(steps != spec.interval_minutes))),
    }


def load_series(config: DataConfig, name: str) -> Series:
    """The named series (``jena`` or ``seattle``), verified, parsed and cached."""
    spec = SERIES[name]
    found = locate(spec.file, config)
    arrays, from_cache = cached_arrays(
        config.derived / "series",
        name,
        {"sha256": found.sha256, "verification": found.verification, "columns": spec.columns},
        lambda: _parse(found.path, spec),
    )
    values = arrays["values"]
    notes = [spec.note] if spec.note else []
    if spec.rows is not None and len(values) != spec.rows:
        notes.append(f"{len(values):,} rows; the canonical file has {spec.rows:,}")
    if gaps := int(arrays["irregular_steps"]):
        notes.append(f"{gaps} step(s) differ from {spec.interval_minutes} min (gaps kept as is)")
    if spec.fahrenheit:
        values = values.copy()
        values[:, 0] = (values[:, 0] - 32) * 5 / 9
        notes.append("temperatures converted from °F to °C")
    if is_generated(found.path):
        notes.append(f"GENERATED data in the {spec.file.name} format, not the real record")
    columns = spec.columns[1:]
    return Series(
        values,
        columns,
        columns.index(spec.temperature),
        spec.interval_minutes,
        spec.file.name,
        [found],
        from_cache,
        notes,
    )
