"""The long fuzz run: the tests/fuzz properties and the bundle fast path with many examples.

    python scripts/fuzz_long.py --examples 2000            # every fuzz property, 2000 each
    python scripts/fuzz_long.py --examples 500 -k cel      # only the CEL property

The default test run keeps the same properties at a few examples each
(``POLICYENGINE_FUZZ_EXAMPLES``, default 15). A failure prints hypothesis' minimal
example; fix the root cause and add the example to a regular test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["tests/fuzz", "tests/hardening/test_bundle_fast.py"]


def main(argv: list[str] | None = None) -> int:
    """Run pytest on the fuzz properties with the requested example count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="examples per property")
    parser.add_argument("-k", dest="keyword", help="only properties matching (pytest -k)")
    args = parser.parse_args(argv)
    env = {**os.environ, "POLICYENGINE_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TARGETS]
    command += ["--hypothesis-show-statistics"]
    if args.keyword:
        command += ["-k", args.keyword]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
