"""policyengine: a policy-as-code release gate for software supply chains.

The pipeline is ingest -> enrich -> evaluate -> report; this module is the
public API over it. Names are added here as each stage lands.
"""

from __future__ import annotations

__version__ = "0.1.0"

from policyengine.ingest import read_input as read_sbom

__all__ = ["__version__", "read_sbom"]
