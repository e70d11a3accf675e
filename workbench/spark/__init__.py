"""The Spark engine of ``workbench prepare --engine spark`` (see ``docs/scale-out.md``).

The rules are not written twice: Spark runs the same functions as the local
engine (readers, per-person journeys) inside its tasks (``mapInPandas`` /
``applyInPandas``), computes the connected components of the identity graph
itself (:mod:`workbench.spark.components`) and builds the path table from the
written tables (:mod:`workbench.spark.paths`); channel grouping runs on the
driver, where the rows are. :func:`workbench.spark.engine.prepare_spark`
returns the same :class:`~workbench.prepare.Prepared` tables as
:func:`workbench.prepare.prepare`.

Nothing outside the CLI imports this package; ``pyspark`` is the ``spark`` extra.
"""

from __future__ import annotations

__all__: list[str] = []
