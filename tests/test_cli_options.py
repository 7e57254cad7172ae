"""Every option and setting is checked before any work: a usage error (exit 2, one line)
comes before a single request reaches a registry, and before any input is read.

The registries are a recording server on 127.0.0.1 (tests/enrich/conftest.py); each case
breaks one option of a command that would otherwise ask them (the control case shows it
does), and the server must have seen nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.enrich.conftest import Replay, serving

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def registry() -> Iterator[Replay]:
    with serving(Replay()) as state:
        yield state


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "project").mkdir()
    requirements = tmp_path / "project" / "requirements.txt"
    requirements.write_text("litellm==1.82.8\n")
    head = tmp_path / "project" / "head" / "requirements.txt"
    head.parent.mkdir()
    head.write_text("litellm==1.82.8\nrequests==2.32.3\n")
    (tmp_path / "a-file").write_text("")
    (tmp_path / "bad-policy.yaml").write_text("version: 1\nrules: [{id: a, check: nope}]\n")
    return {
        "input": str(requirements),
        "head": str(head),
        "file": str(tmp_path / "a-file"),
        "missing": str(tmp_path / "missing" / "x.json"),
        "dir": str(tmp_path),
        "bad_policy": str(tmp_path / "bad-policy.yaml"),
        "cache": str(tmp_path / "cache"),
    }


def _endpoints(registry: Replay, files: dict[str, str]) -> list[str]:
    return [
        "--pypi-url", registry.pypi_url, "--npm-url", registry.npm_url,
        "--osv-url", registry.osv_url, "--cache-dir", files["cache"],
    ]  # fmt: skip


def _check(registry: Replay, files: dict[str, str], *extra: str) -> list[str]:
    return ["check", files["input"], "--policy", "baseline", *_endpoints(registry, files), *extra]


def test_the_control_case_does_ask_the_registry(
    run_cli: Run, registry: Replay, files: dict[str, str]
) -> None:
    code, _, err = run_cli(*_check(registry, files, "--now", "2026-03-25T00:00:00Z"))
    assert code in (0, 1, 4), err
    assert registry.total() > 0


# (extra arguments, {name: environment value}, what the one-line error says)
CHECK_CASES: dict[str, tuple[list[str], dict[str, str], str]] = {
    "now-far": (["--now", "9001-01-01T00:00:00Z"], {}, "--now '9001-01-01T00:00:00Z' is outside"),
    "now-text": (["--now", "yesterday"], {}, "--now 'yesterday' is not an RFC 3339 time"),
    "pypi-url": (["--pypi-url", "ftp://mirror.example"], {}, "--pypi-url 'ftp://mirror.example'"),
    "npm-url": (["--npm-url", "registry.example"], {}, "--npm-url 'registry.example': not an"),
    "osv-url": (["--osv-url", "file:///etc/osv"], {}, "--osv-url 'file:///etc/osv': not an"),
    "ca-bundle": (["--ca-bundle", "{missing}"], {}, "--ca-bundle {missing}: cannot read it"),
    "ca-bundle-empty": (["--ca-bundle", "{file}"], {}, "--ca-bundle {file}: not a PEM file"),
    "cache-dir-file": (["--cache-dir", "{file}"], {}, "--cache-dir {file}: {file} is not a dir"),
    "cache-dir-under-file": (
        ["--cache-dir", "{file}/cache"],
        {},
        "--cache-dir {file}/cache: {file} is not a directory",
    ),
    "output-folder": (["-o", "{missing}"], {}, "-o {missing}: no directory"),
    "output-is-dir": (["-o", "{dir}"], {}, "-o {dir}: is a directory"),
    "record-folder": (["--record", "{missing}"], {}, "--record {missing}: no directory"),
    "project-dir": (["--project-dir", "{missing}"], {}, "--project-dir {missing}: not a dir"),
    "max-input-size": (["--max-input-size", "0"], {}, "--max-input-size 0: not a positive"),
    "fail-on": (["--fail-on", "sometimes"], {}, "invalid choice: 'sometimes'"),
    "format": (["--format", "pdf"], {}, "invalid choice: 'pdf'"),
    "advisories": (["--advisories", "maybe"], {}, "invalid choice: 'maybe'"),
    "policy-missing": (["--policy", "{missing}"], {}, "{missing}"),
    "policy-invalid": (["--policy", "{bad_policy}"], {}, "{bad_policy}"),
    "deadline": (["--deadline", "0"], {}, "--deadline '0': not a positive number of seconds"),
    "redirect-host": (
        ["--allow-redirect-host", "https://cdn.example/"],
        {},
        "--allow-redirect-host 'https://cdn.example/': not a host name",
    ),
    "env-deadline": ([], {"POLICYENGINE_DEADLINE": "inf"}, "POLICYENGINE_DEADLINE 'inf': not a"),
    "env-redirect-hosts": (
        [],
        {"POLICYENGINE_ALLOW_REDIRECT_HOSTS": "ok.example,user@evil.example"},
        "POLICYENGINE_ALLOW_REDIRECT_HOSTS 'user@evil.example': not a host name",
    ),
    "env-pypi-url": ([], {"POLICYENGINE_PYPI_URL": "x"}, "POLICYENGINE_PYPI_URL 'x': not an"),
    "env-ca-bundle": (
        [],
        {"POLICYENGINE_CA_BUNDLE": "{missing}"},
        "--ca-bundle {missing}: cannot read it",
    ),
    "env-https-proxy": ([], {"HTTPS_PROXY": "ftp://proxy.example"}, "HTTPS_PROXY: ftp://"),
    "env-ssl-cert-file": ([], {"SSL_CERT_FILE": "{missing}"}, "SSL_CERT_FILE={missing}: cannot"),
    "env-ssl-cert-dir": ([], {"SSL_CERT_DIR": "{missing}"}, "SSL_CERT_DIR={missing}: "),
}


def _fill(text: str, files: dict[str, str]) -> str:
    return text.format(**files)


def _assert_usage_error(code: int, out: str, err: str, expected: str, registry: Replay) -> None:
    assert code == 2, err
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("policyengine: error: ")
    assert expected in err, err
    assert registry.total() == 0, registry.counts


@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_reports_a_bad_option_before_any_request(
    run_cli: Run,
    registry: Replay,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    extra, env, expected = CHECK_CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, _fill(value, files))
    argv = _check(registry, files, *(_fill(a, files) for a in extra))
    if "POLICYENGINE_PYPI_URL" in env:  # the option would win over the variable
        at = argv.index("--pypi-url")
        del argv[at : at + 2]
    if not any(a == "--now" for a in extra):
        argv += ["--now", "2026-03-25T00:00:00Z"]
    code, out, err = run_cli(*argv)
    _assert_usage_error(code, out, err, _fill(expected, files), registry)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--now", "9001-01-01T00:00:00Z"], "is outside the years"),
        (["--ca-bundle", "{missing}"], "--ca-bundle {missing}: cannot read it"),
        (["--npm-url", "registry.example"], "--npm-url 'registry.example'"),
        (["-o", "{missing}"], "-o {missing}: no directory"),
    ],
)
def test_diff_reports_a_bad_option_before_any_request(
    run_cli: Run, registry: Replay, files: dict[str, str], extra: list[str], expected: str
) -> None:
    argv = ["diff", files["input"], files["head"], "--policy", "baseline"]
    argv += _endpoints(registry, files) + [_fill(a, files) for a in extra]
    code, out, err = run_cli(*argv)
    _assert_usage_error(code, out, err, _fill(expected, files), registry)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["-o", "{missing}"], "-o {missing}: no directory"),
        (["-o", "x.json", "--ca-bundle", "{file}"], "--ca-bundle {file}: not a PEM file"),
        (["-o", "x.json", "--pypi-url", "pypi.org"], "--pypi-url 'pypi.org': not an"),
        (["-o", "x.json", "--cache-dir", "{file}"], "--cache-dir {file}: {file} is not"),
        (["-o", "x.json", "--max-input-size", "-1"], "--max-input-size -1: not a positive"),
    ],
)
def test_enrich_reports_a_bad_option_before_any_request(
    run_cli: Run,
    registry: Replay,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    extra: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["enrich", files["input"], *_endpoints(registry, files)]
    code, out, err = run_cli(*argv, *(_fill(a, files) for a in extra))
    _assert_usage_error(code, out, err, _fill(expected, files), registry)
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["-o", "{missing}"], "-o {missing}: no directory"),
        (["--max-input-size", "0"], "--max-input-size 0: not a positive"),
    ],
)
def test_inspect_reports_a_bad_option_before_reading(
    run_cli: Run, registry: Replay, files: dict[str, str], extra: list[str], expected: str
) -> None:
    code, out, err = run_cli("inspect", files["missing"], *(_fill(a, files) for a in extra))
    # The input does not exist either: the option is reported first, as a usage error.
    _assert_usage_error(code, out, err, _fill(expected, files), registry)


def test_a_recorded_bundle_needs_no_network_settings(
    run_cli: Run,
    registry: Replay,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Judging recorded evidence asks nothing: the machine's proxy and TLS variables,
    # which are not ours, are not held against it (a --ca-bundle given would be checked).
    bundle = tmp_path / "evidence.json"
    code, _, err = run_cli(
        "enrich", files["input"], "-o", str(bundle), *_endpoints(registry, files)
    )
    assert code == 0, err
    monkeypatch.setenv("HTTPS_PROXY", "ftp://proxy.example")
    monkeypatch.setenv("SSL_CERT_FILE", files["missing"])
    code, _, err = run_cli(
        "check", files["input"], "--policy", "baseline", "--evidence", str(bundle),
        "--now", "2026-03-25T00:00:00Z",
    )  # fmt: skip
    assert code == 1, err  # litellm 1.82.8 was removed from PyPI
    code, _, err = run_cli(
        "check", files["input"], "--policy", "baseline", "--evidence", str(bundle),
        "--now", "2026-03-25T00:00:00Z", "--ca-bundle", files["missing"],
    )  # fmt: skip
    assert code == 2 and "--ca-bundle" in err


def test_the_cache_folder_from_the_environment_is_checked(
    run_cli: Run,
    registry: Replay,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", files["file"])
    argv = _check(registry, files, "--now", "2026-03-25T00:00:00Z")
    at = argv.index("--cache-dir")
    del argv[at : at + 2]
    code, out, err = run_cli(*argv)
    expected = f"POLICYENGINE_CACHE_DIR {files['file']}: {files['file']} is not a directory"
    _assert_usage_error(code, out, err, expected, registry)
