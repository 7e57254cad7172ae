"""Webhook delivery against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import pytest

from policyengine.model import UsageError
from policyengine.watch.notify import DELIVERY_HEADER, Notifier, sign
from tests.watch.conftest import SECRET, Hook, verify


def test_a_change_is_posted_signed(hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    notifier = Notifier(url, SECRET, backoff=0.0)
    notifier.send("svc@1", {"release": "svc", "outcome": "fail"})
    assert notifier.close() == []
    assert notifier.delivered == 1
    ((headers, body),) = receiver.received
    assert json.loads(body) == {"release": "svc", "outcome": "fail"}
    assert verify(headers, body)
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("hook", [[503, 500]], indirect=True)
def test_server_errors_are_retried_with_the_same_delivery_id(hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    notifier = Notifier(url, SECRET, backoff=0.0)
    notifier.send("svc@1", {"n": 1})
    assert notifier.close() == []
    assert len(receiver.received) == 3
    deliveries = {headers[DELIVERY_HEADER] for headers, _ in receiver.received}
    assert len(deliveries) == 1
    assert all(verify(h, b) for h, b in receiver.received)


@pytest.mark.parametrize("hook", [[500, 500, 500, 500]], indirect=True)
def test_a_delivery_that_keeps_failing_is_reported_not_raised(hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    notifier = Notifier(url, SECRET, attempts=4, backoff=0.0)
    notifier.send("svc@1", {"n": 1})
    (failure,) = notifier.close()
    assert failure.release == "svc@1"
    assert failure.error == "HTTP 500 after 4 attempts"
    assert len(receiver.received) == 4


@pytest.mark.parametrize("hook", [[400]], indirect=True)
def test_a_refused_body_is_not_sent_again(hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    notifier = Notifier(url, SECRET, backoff=0.0)
    notifier.send("svc@1", {"n": 1})
    (failure,) = notifier.close()
    assert failure.error == "HTTP 400 after 1 attempt"
    assert len(receiver.received) == 1


def test_an_unreachable_hook_is_reported() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    notifier = Notifier(f"http://127.0.0.1:{port}/", SECRET, attempts=2, backoff=0.0)
    notifier.send("svc@1", {"n": 1})
    (failure,) = notifier.close()
    assert failure.error.startswith("ConnectError") and failure.error.endswith("2 attempts")


def test_sending_does_not_wait_for_the_receiver(hook: tuple[Hook, str]) -> None:
    receiver, url = hook
    gate = threading.Event()
    original = receiver.lock

    class Slow:
        def __enter__(self) -> None:
            gate.wait(10)
            original.acquire()

        def __exit__(self, *exc: object) -> None:
            original.release()

    receiver.lock = Slow()  # type: ignore[assignment]
    notifier = Notifier(url, SECRET, backoff=0.0)
    for n in range(3):
        notifier.send(f"svc@{n}", {"n": n})  # returns while the receiver is blocked
    assert receiver.received == []
    gate.set()
    assert notifier.close() == []
    assert len(receiver.received) == 3


def test_a_secret_is_required() -> None:
    with pytest.raises(UsageError, match="POLICYENGINE_WEBHOOK_SECRET"):
        Notifier.from_env("http://127.0.0.1:1/", {})
    with pytest.raises(UsageError, match="not an http"):
        Notifier.from_env("ftp://x/", {"POLICYENGINE_WEBHOOK_SECRET": "x"})


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"a": 1}'
    assert sign("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
