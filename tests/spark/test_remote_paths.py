"""Sources given as ``file://`` URIs go through the Hadoop listing used for s3a/gs/hdfs paths.

The ``://`` branch of :func:`workbench.spark._lines.spark_files` (Hadoop
``globStatus``, files named by their URI) is the one a cluster takes for
``s3a://``, ``gs://`` and ``hdfs://``; a ``file://`` URI takes it on one machine.
Each native reader (GA4, Segment, a CSV export) must give the same tables as
the local reader on the plain path, the file names aside.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from workbench.config import load_config
from workbench.ingest.readers import read_source
from workbench.schema import SOURCE_FILE

pytestmark = pytest.mark.spark

_TABLES = ("touchpoints", "conversions", "identity_links", "spend", "quarantine", "accounts")


def _renamed(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the file URIs (``source_file``, quarantine values) as the local names."""
    if SOURCE_FILE not in frame.columns or not len(frame):
        return frame.reset_index(drop=True)
    out = frame.copy()
    out[SOURCE_FILE] = (
        out[SOURCE_FILE].map(lambda f: names.get(f, f)).astype(frame[SOURCE_FILE].dtype)
    )
    if "reason" in out.columns:  # quarantine values: "identical to line <file>:<row>"
        for uri, name in names.items():
            out["value"] = out["value"].str.replace(uri + ":", name + ":", regex=False)
    return out.reset_index(drop=True)


@pytest.mark.parametrize("fmt", ["ga4", "segment", "hubspot_deals"])
def test_file_uri_glob_gives_the_plain_path_tables(spark, small_project, fmt):
    from workbench.spark._lines import file_key, spark_files
    from workbench.spark.readers import SPARK_READERS

    config, _ = small_project
    source = next(s for s in load_config(config).sources if s.format == fmt)
    uri = "file://" + str(source.base_dir.resolve() / source.path)
    remote = replace(source, path=uri)
    listed = spark_files(spark, remote)
    local_names = {file_key(p): n for p, n in spark_files(spark, source)}
    # the Hadoop branch: files named by their URI, the same files as the local listing
    assert all(name.startswith("file:") for _, name in listed)
    names = {name: local_names[file_key(path)] for path, name in listed}
    assert sorted(names.values()) == sorted(local_names.values())
    local = read_source(source)
    native = SPARK_READERS[fmt](spark, remote)
    assert native is not None
    assert sum(len(getattr(local, t)) for t in _TABLES) > 20
    for name in _TABLES:
        a, b = getattr(local, name), _renamed(getattr(native, name), names)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b)
    files = [{**info, "file": names[str(info["file"])]} for info in native.files]
    assert files == local.files
