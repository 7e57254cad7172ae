"""Regenerate tests/fixtures/evidence/litellm-1.82.8.evidence.json (no internet needed).

Runs ``policyengine.enrich`` against the replay server of the tests (recorded PyPI
answers, OSV answers built from ../shared/corpus/osv by scripts/record_osv.py) for
litellm 1.82.8 (removed, malicious) and 1.82.6 (the release before it), then
rewrites the replay server's address in source URLs to the public base URLs the
recordings came from (https://pypi.org, https://api.osv.dev) so the bundle does
not carry a random local port. Digests are those of the recorded bodies.

    python scripts/record_evidence.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyengine.enrich import EnrichSettings, dump_bundle, enrich  # noqa: E402
from tests.enrich.conftest import Replay, _handler, sbom_of  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "evidence" / "litellm-1.82.8.evidence.json"
PUBLIC = {
    "/pypi": "https://pypi.org",
    "/npm": "https://registry.npmjs.org",
    "/osv": "https://api.osv.dev",
}


def main() -> None:
    """Write the bundle."""
    state = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.root = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as cache:
            settings = EnrichSettings(
                pypi_url=state.pypi_url,
                npm_url=state.npm_url,
                osv_url=state.osv_url,
                cache_dir=Path(cache),
                progress=False,
            )
            sbom = sbom_of(("pypi", "litellm", "1.82.8"), ("pypi", "litellm", "1.82.6"))
            text = dump_bundle(enrich(sbom, settings)).decode()
    finally:
        server.shutdown()
    for prefix, public in PUBLIC.items():
        text = text.replace(state.root + prefix, public)
    OUT.write_text(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
