"""The long fuzz run: the tests/fuzz properties and the bundle fast path with many examples.

    python scripts/fuzz_long.py --examples 2000            # every fuzz property, 2000 each
    python scripts/fuzz_long.py --examples 500 -k cel      # only the CEL property

The default test run keeps the same properties at a few examples each
(``POLICYENGINE_FUZZ_EXAMPLES``, default 15). A failure prints hypothesis' minimal
example; fix the root cause and add the example to a regular test.

The properties cover every input format (CycloneDX JSON/XML, SPDX 2 JSON/YAML/tag-value,
SPDX 3, each lockfile and manifest), the policy, CEL, registry and OSV answers and the
cache file. The run ends with its figures: examples per property, their total, the wall
time, and whether it finished before ``--max-minutes`` (a hang is a failure too).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["tests/fuzz", "tests/hardening/test_bundle_fast.py"]


def main(argv: list[str] | None = None) -> int:
    """Run pytest on the fuzz properties with the requested example count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="examples per property")
    parser.add_argument("-k", dest="keyword", help="only properties matching (pytest -k)")
    parser.add_argument(
        "--max-minutes", type=float, default=120.0, help="a run longer than this is a hang"
    )
    args = parser.parse_args(argv)
    env = {**os.environ, "POLICYENGINE_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TARGETS]
    command += ["--hypothesis-show-statistics", "-o", "faulthandler_timeout=600"]
    if args.keyword:
        command += ["-k", args.keyword]
    started = time.monotonic()
    try:
        run = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=args.max_minutes * 60,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        sys.stdout.write(exc.stdout if isinstance(exc.stdout, str) else "")
        print(f"fuzz_long: HANG: no end after {args.max_minutes} minutes")
        return 1
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    _summary(run.stdout, time.monotonic() - started)
    return run.returncode


def _summary(output: str, seconds: float) -> None:
    # Hypothesis prints each property's phases (reuse of saved examples, generate, shrink);
    # the examples a property ran are the passing ones of all its phases.
    sections = re.split(r"^(tests/\S+::\S+):$", output, flags=re.MULTILINE)
    total = 0
    print("\nfuzz_long figures:")
    for name, body in zip(sections[1::2], sections[2::2], strict=True):
        count = sum(int(n) for n in re.findall(r"(\d+) passing examples", body))
        total += count
        print(f"  {name.split('::')[-1]:40} {count:>6} examples")
    internal = output.count("internal error")
    print(f"  {'total':40} {total:>6} examples in {seconds:.0f} s; exit-70 reports: {internal}")


if __name__ == "__main__":
    raise SystemExit(main())
