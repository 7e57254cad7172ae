"""Derive the SBOMs of the compromised installs from the real 1.82.6 environment SBOM.

litellm 1.82.7 and 1.82.8 can no longer be installed (PyPI deleted them on
2026-03-24), so these SBOMs are the 1.82.6 environment's SBOM (made by
cyclonedx-py) with the litellm entry changed as a project that installed the
bad release that day would have recorded it. Run from this folder:
``python make_compromised.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
TIMESTAMPS = {"1.82.7": "2026-03-24T11:30:00+00:00", "1.82.8": "2026-03-24T14:00:00+00:00"}


def main() -> None:
    """Write sbom-litellm-1.82.7.cdx.json and sbom-litellm-1.82.8.cdx.json."""
    source = (HERE / "sbom-litellm-1.82.6.cdx.json").read_text(encoding="utf-8")
    for version, timestamp in TIMESTAMPS.items():
        text = source.replace("litellm==1.82.6", f"litellm=={version}")
        text = text.replace("pkg:pypi/litellm@1.82.6", f"pkg:pypi/litellm@{version}")
        bom = json.loads(text)
        for component in bom["components"]:
            if component["name"] == "litellm":
                component["version"] = version
        bom["metadata"]["timestamp"] = timestamp
        out = HERE / f"sbom-litellm-{version}.cdx.json"
        out.write_text(json.dumps(bom, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
