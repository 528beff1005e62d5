"""The results layer: records, the manifest of what a profile declares, the one judge and
its verdicts. It imports neither Keras nor the experiments, so a report renders anywhere.

``store`` writes and reads run records; ``bars`` holds the arithmetic of a bar and of a
claim's relation; ``manifest`` is the declarations as plain data; ``judge`` turns records
and a manifest into ``Verdict`` objects (``verdicts``).
"""

from dlwp_suite.results.store import (
    KINDS,
    SCHEMA,
    RecordsNotWritten,
    ResultsStore,
    make_outcome,
    make_record,
    new_invocation,
    new_run_id,
    now,
    read_records,
    read_run,
    recorded_in_run,
    run_starts,
)

__all__ = [
    "KINDS",
    "SCHEMA",
    "RecordsNotWritten",
    "ResultsStore",
    "make_outcome",
    "make_record",
    "new_invocation",
    "new_run_id",
    "now",
    "read_records",
    "read_run",
    "recorded_in_run",
    "run_starts",
]
