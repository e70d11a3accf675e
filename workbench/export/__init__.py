"""Send the journey truth back to the ad platforms (issue #8).

:func:`export_conversions` turns canonical conversions into checked upload
files for Google Ads (offline conversion import CSV), Meta (Conversions API
JSON) and LinkedIn (Conversions API JSON), valuing each conversion by an
attribution model; :func:`platform_value_comparison` shows what each platform
would receive under each model next to what it claims.

Modules: :mod:`.rules` (platform rules and their sources), :mod:`.values`,
:mod:`.clicks`, :mod:`.hashing`, :mod:`.checks`, :mod:`.google_ads`,
:mod:`.meta`, :mod:`.linkedin`, :mod:`.payload`, :mod:`.comparison`,
:mod:`.pipeline`.
"""

from __future__ import annotations

from workbench.export.checks import PIILeakError
from workbench.export.comparison import platform_value_comparison
from workbench.export.pipeline import ExportResult, export_conversions
from workbench.export.rules import DEFAULT_CHANNEL_PLATFORMS, PLATFORM_RULES, PLATFORMS

__all__ = [
    "DEFAULT_CHANNEL_PLATFORMS",
    "PLATFORMS",
    "PLATFORM_RULES",
    "ExportResult",
    "PIILeakError",
    "export_conversions",
    "platform_value_comparison",
]
