"""Write policy files in tmp folders and load them with the fake checks."""

from __future__ import annotations

import textwrap
from pathlib import Path

from policyengine.model.policy import Policy
from policyengine.policy.loader import load_policy
from tests.engine.fakes import CHECKS

HEADER = """\
apiVersion: policyengine/v1
kind: Policy
metadata:
  name: test
"""


def write(folder: Path, name: str, body: str, header: bool = True) -> Path:
    path = folder / name
    path.write_text((HEADER if header else "") + textwrap.dedent(body), encoding="utf-8")
    return path


def load(folder: Path, body: str, name: str = "policy.yaml") -> Policy:
    return load_policy(write(folder, name, body), checks=CHECKS)
