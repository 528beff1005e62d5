"""The two ways a dataset can let a run down, kept apart on purpose.

A dataset that is simply not at hand skips its benchmarks; a file that is there but
wrong (truncated, corrupt, wrong hash) fails them, because a skip would hide it.
"""


class DatasetUnavailable(Exception):
    """A dataset's files are not present and cannot be downloaded."""


class DatasetCorrupt(Exception):
    """A dataset file is present but does not verify or cannot be parsed."""
