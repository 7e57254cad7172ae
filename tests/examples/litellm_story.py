"""The inventory story's inputs and its check command, shared by the tests that replay it.

examples/inventory-litellm judges three releases of acme-chat-gateway (litellm 1.82.6,
1.82.7, 1.82.8) offline while the advisory database does not yet know the LiteLLM
advisories; tests/examples/test_inventory_litellm.py runs the story, and the service
page's bench (tests/service/pagekit.py) fills its store the same way.
"""

from __future__ import annotations

EXAMPLE = "examples/inventory-litellm"
SBOMS = "examples/litellm-2026"
VERSIONS = ("1.82.6", "1.82.7", "1.82.8")
JUDGED_AT = "2026-03-20T12:00:00Z"


def check_argv(version: str, *extra: str) -> list[str]:
    """``check`` of one release's SBOM against the story's policy, offline, as JSON."""
    return [
        "check",
        f"{SBOMS}/sbom-litellm-{version}.cdx.json",
        "--policy",
        f"{EXAMPLE}/policy.yaml",
        "--offline",
        "--advisories",
        "db",
        "--now",
        JUDGED_AT,
        "--format",
        "json",
        *extra,
    ]
