"""One Spark session for the engine: checks, defaults, and a clear error when it cannot start.

:func:`spark_session` returns the active session or builds one from the
``[engine]`` settings; :func:`require_spark` names what to install when
``pyspark`` or Java is missing (one line, a :class:`~workbench.errors.WorkbenchError`).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import Any

from workbench.errors import WorkbenchError

__all__ = ["DEFAULT_CONF", "require_spark", "spark_session"]

#: Settings the engine sets unless ``[engine.conf]`` gives them.
DEFAULT_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    # rows come to the driver as Arrow batches, freed as they turn into pandas columns
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.selfDestruct.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    # the driver collects the parsed sources (the readers' rules run there)
    "spark.driver.memory": "4g",
    "spark.driver.maxResultSize": "4g",
}

_INSTALL = 'pip install "journey-workbench[spark]"'


def require_spark() -> None:
    """Raise a one-line :class:`WorkbenchError` unless pyspark and Java are usable.

    Raises
    ------
    WorkbenchError
        Naming what to install: the ``spark`` extra, or a Java runtime (17).
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise WorkbenchError(
            f"--engine spark needs pyspark, which is not installed; run: {_INSTALL}"
        ) from None
    java_home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") is not None or (
        java_home is not None and os.path.exists(os.path.join(java_home, "bin", "java"))
    )
    if not has_java:
        raise WorkbenchError(
            "--engine spark needs Java (17), which was not found (no `java` on PATH and no "
            "JAVA_HOME); install a Java 17 runtime, e.g. apt-get install openjdk-17-jre-headless"
        )


def spark_session(
    master: str | None = None,
    conf: Mapping[str, Any] | None = None,
    *,
    app_name: str = "journey-workbench",
) -> Any:
    """The active Spark session, or a new one with ``master`` and ``conf``.

    Parameters
    ----------
    master
        Spark master URL; ``None`` keeps what ``spark-submit`` / the cluster set,
        else ``local[*]``.
    conf
        Extra settings (``[engine.conf]``), over :data:`DEFAULT_CONF`.
    app_name
        The application name shown by the cluster.

    Returns
    -------
    pyspark.sql.SparkSession
    """
    require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name)
    chosen = master or os.environ.get("SPARK_MASTER") or "local[*]"
    if master or "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        builder = builder.master(chosen)
    if chosen.startswith("local"):
        # local workers run this interpreter (its packages), not the first python3 on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**DEFAULT_CONF, **dict(conf or {})}.items():
        builder = builder.config(key, str(value))
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: say so in one line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkbenchError(
            f"could not start Spark (master {master or 'local[*]'}): {first}; "
            "check the Java 17 runtime and the [engine] settings"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    folder = spark.sparkContext.getConf().get("spark.checkpoint.dir")
    if folder and not spark.sparkContext.getCheckpointDir():
        # reliable checkpoints for the stitching rounds (else local ones)
        spark.sparkContext.setCheckpointDir(folder)
    return spark
