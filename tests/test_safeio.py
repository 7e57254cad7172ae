"""Files the user did not name stay inside the project, regular and bounded (issue 13, 8-9).

Each test runs the command line in-process, as CI would, with a secret in the environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from policyengine.model import InputError
from policyengine.safeio import read_capped

Run = Callable[..., tuple[int, str, str]]
SECRET = "s3cr3t-token-value-4242"


@pytest.fixture(autouse=True)
def _secret_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYENGINE_TEST_SECRET", SECRET)


def _requirements(tmp_path: Path, line: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    path = project / "requirements.txt"
    path.write_text(f"requests==2.32.3\n{line}\n")
    return path


@pytest.mark.parametrize("target", ["/proc/self/environ", "../outside.txt", "/etc/hostname"])
def test_a_nested_file_outside_the_project_is_not_read(
    run_cli: Run, tmp_path: Path, target: str
) -> None:
    (tmp_path / "outside.txt").write_text(f"token={SECRET}\n")
    code, out, err = run_cli("inspect", str(_requirements(tmp_path, f"-r {target}")))
    assert code == 3
    assert "outside the project folder" in err and "--include-dir" in err
    assert SECRET not in out + err
    assert len(err.splitlines()) == 1


def test_include_dir_allows_a_folder_outside(run_cli: Run, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "common.txt").write_text("idna==3.10\n")
    path = _requirements(tmp_path, "-r ../shared/common.txt")
    code, out, err = run_cli("inspect", str(path), "--include-dir", str(shared), "--format", "json")
    assert code == 0, err
    assert '"idna"' in out


def test_include_dir_must_exist(run_cli: Run, tmp_path: Path) -> None:
    path = _requirements(tmp_path, "")
    code, _, err = run_cli("inspect", str(path), "--include-dir", str(tmp_path / "nope"))
    assert code == 2 and "no such folder" in err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_inside_the_project_is_refused_before_reading(
    run_cli: Run, tmp_path: Path, device: str
) -> None:
    path = _requirements(tmp_path, "-r infinite.txt")
    (path.parent / "infinite.txt").symlink_to(device)
    code, _, err = run_cli("inspect", str(path))
    assert code == 3 and "outside the project folder" in err
    # allowed by the setting, the device is still no file to read
    code, _, err = run_cli("inspect", str(path), "--include-dir", "/dev")
    assert code == 3 and "not a regular file" in err


def test_a_fifo_is_refused_without_blocking(run_cli: Run, tmp_path: Path) -> None:
    path = _requirements(tmp_path, "-r pipe.txt")
    os.mkfifo(path.parent / "pipe.txt")
    result: list[tuple[int, str, str]] = []
    # If the open blocked, this thread would never finish: the join bounds the test.
    worker = threading.Thread(target=lambda: result.append(run_cli("inspect", str(path))))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "reading a FIFO blocked"
    code, _, err = result[0]
    assert code == 3 and "not a regular file" in err


def test_parse_errors_quote_a_bounded_excerpt(run_cli: Run, tmp_path: Path) -> None:
    path = _requirements(tmp_path, "-r nested.txt")
    (path.parent / "nested.txt").write_text("bad line " + "x" * 5000 + " \x01 !!\n")
    code, _, err = run_cli("inspect", str(path))
    assert code == 3
    assert len(err) < 600 and "\x01" not in err


def test_the_cap_is_on_bytes_read_not_the_size_claimed(tmp_path: Path) -> None:
    # /proc files claim size 0 and hold more
    data = read_capped(Path("/proc/self/status"), max_bytes=1 << 20, regular_only=True)
    assert len(data) > 0
    with pytest.raises(InputError, match="over the 16-byte input cap"):
        read_capped(Path("/proc/self/status"), max_bytes=16, regular_only=True)
    with pytest.raises(InputError, match="over the 1000-byte input cap"):
        read_capped(Path("/dev/zero"), max_bytes=1000, regular_only=False)


def test_a_policy_extending_a_proc_file_is_a_policy_error(run_cli: Run, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: p}\n"
        "extends: [/proc/self/environ]\nrules: []\n"
    )
    code, out, err = run_cli("policy", "validate", str(policy))
    assert code == 2, err
    assert SECRET not in out + err and len(err.splitlines()) == 1
