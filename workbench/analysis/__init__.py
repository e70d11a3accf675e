"""Analysis: journeys -> answers.

Paths and flows, segments, funnels and drop-offs, lift, journey windows and data
health, as tidy long frames.
"""
