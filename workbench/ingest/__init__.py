"""Ingest: raw exports -> canonical tables.

Readers per export format (``readers/``), validation and quarantine of unusable rows,
channel grouping, currencies, PII scrubbing and conversion definitions. The first
stage of the pipeline: it imports nothing from a later stage.
"""
