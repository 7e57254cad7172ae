"""``policyengine tokens ...`` and the usage errors of ``serve`` (the service: tests/service)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

RunCli = Callable[..., tuple[int, str, str]]


def test_tokens_create_list_revoke(run_cli: RunCli, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'inv.sqlite3'}"
    code, out, err = run_cli("tokens", "create", "--scope", "check", "--store", store)
    assert code == 0 and out.startswith("pe_") and "shown only now" in err
    code, out, _ = run_cli(
        "tokens", "create", "--scope", "read", "--scope", "check", "--release-prefix", "team-a-",
        "--name", "team-a", "--format", "json", "--store", store,
    )  # fmt: skip
    made = json.loads(out)
    assert code == 0 and made["token"].startswith("pe_") and made["scopes"] == ["read", "check"]
    code, out, _ = run_cli("tokens", "list", "--format", "json", "--store", store)
    listed = json.loads(out)["tokens"]
    assert [t["name"] for t in listed][-1] == "team-a" and "token" not in listed[-1]
    assert made["token"] not in out
    code, _, err = run_cli("tokens", "revoke", made["id"], "--store", store)
    assert code == 0 and f"token {made['id']} revoked" in err
    code, out, _ = run_cli("tokens", "list", "--store", store)
    assert "team-a-*" in out and out.count("\n") == 3
    code, _, err = run_cli("tokens", "revoke", "nope", "--store", store)
    assert code == 2 and "no token 'nope'" in err
    code, _, err = run_cli("tokens", "create", "--scope", "root", "--store", store)
    assert code == 2 and "invalid choice" in err


def test_serve_refuses_bad_settings_before_listening(run_cli: RunCli, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'inv.sqlite3'}"
    code, _, err = run_cli("serve", "--store", store, "--workers", "2")
    assert code == 2 and "needs a PostgreSQL store" in err
    code, _, err = run_cli("serve", "--store", store, "--policy-dir", str(tmp_path / "none"))
    assert code == 2 and "not a directory" in err
    code, _, err = run_cli("serve", "--store", store, "--port", "0")
    assert code == 2 and "not a port number" in err
    code, _, err = run_cli("serve", "--store", store, "--check-threads", "0")
    assert code == 2 and "--check-threads 0: not a positive number" in err
