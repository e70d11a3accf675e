"""Identity: identity links -> person ids.

The identity graph and its merge protection (``graph``, ``rules``), stitching into
stable person ids (``stitch``), its diagnostics and person attributes.
"""
