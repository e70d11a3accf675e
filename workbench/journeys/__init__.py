"""Journeys: stitched touchpoints and conversions -> journeys.

Journey cutting (``build``), the touch/journey index, journey rules (merges and
exclusions) and CRM stage times.
"""
