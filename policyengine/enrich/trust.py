"""Which TLS certificates enrichment trusts: one SSL context per run, built the way pip does.

The base is the operating system's trust store, as pip has used it since 24.2: the
Windows certificate store and the macOS keychain through :mod:`truststore`, and on
Linux and the BSDs OpenSSL's default CA file and directory (for example
``/etc/ssl/certs/ca-certificates.crt`` and ``/etc/ssl/certs``), falling back to the
distributions' usual bundle paths as truststore does. A company CA that IT installed
into the system store is therefore trusted with no setting at all.

On top of it, each of these adds its CAs, none removes any:

- ``SSL_CERT_FILE`` (a PEM file) and ``SSL_CERT_DIR`` (an OpenSSL hashed folder), when
  set. On Linux OpenSSL itself reads them *instead of* its default file and folder
  respectively, as for every OpenSSL program; the other default stays.
- ``--ca-bundle FILE`` (``POLICYENGINE_CA_BUNDLE``). It adds rather than replaces
  (pip's ``--cert`` replaces): the file a company user has usually holds the company
  CA alone, and hosts reached without the re-signing proxy (``NO_PROXY``, a mirror
  with a public certificate) must still verify.

A file that cannot be read or holds no PEM certificate is a usage error before any
request, never a silent fall back to another store.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
from collections.abc import Mapping
from pathlib import Path

import truststore

from policyengine.enrich.settings import ENV_CA_BUNDLE
from policyengine.model import UsageError

CA_BUNDLE_OPTION = "--ca-bundle"
ENV_CERT_FILE = "SSL_CERT_FILE"
ENV_CERT_DIR = "SSL_CERT_DIR"

TLS_HINT = (
    "if your network re-signs TLS with a company CA, pass --ca-bundle FILE "
    f"(or set {ENV_CA_BUNDLE} or {ENV_CERT_FILE}) naming a PEM file that holds it"
)
"""What to do about a certificate whose issuer is not trusted: said with every such failure."""


# Where Linux distributions keep their CA bundle, for a Python whose OpenSSL was built
# to look elsewhere (pyenv, manylinux builds): truststore's list, in its order.
_CA_FILE_CANDIDATES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34-43, OpenWRT, RHEL 9-10, BSD
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # Fedora <= 34, RHEL <= 9, CentOS <= 9
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/ca-bundle.pem",  # SUSE
)


def tls_context(ca_bundle: Path | None, env: Mapping[str, str]) -> ssl.SSLContext:
    """The client context: the system store plus ``SSL_CERT_FILE``/``SSL_CERT_DIR`` and the bundle.

    Raises :class:`UsageError` naming the setting when one of them cannot be used.
    """
    context = system_context()
    cert_file = env.get(ENV_CERT_FILE)
    if cert_file:
        _load_file(context, Path(cert_file), f"{ENV_CERT_FILE}={cert_file}")
    cert_dir = env.get(ENV_CERT_DIR)
    if cert_dir:
        # Several folders may be given, as for OpenSSL (os.pathsep-separated).
        for folder in cert_dir.split(os.pathsep):
            if not folder:
                continue
            if not Path(folder).is_dir():
                raise UsageError(
                    f"{ENV_CERT_DIR}={cert_dir}: {folder} is not a folder",
                    hint="name a folder of hashed CA certificates, or unset it",
                )
            context.load_verify_locations(capath=folder)
    if ca_bundle is not None:
        _load_file(context, ca_bundle, f"{CA_BUNDLE_OPTION} {ca_bundle}")
    return context


def system_context() -> ssl.SSLContext:
    """A verifying client context on the operating system's trust store.

    On Windows and macOS that is :mod:`truststore`, which asks the system's own
    verifier. Elsewhere truststore verifies with OpenSSL against its default paths,
    but re-reads them at every handshake (measured: 28 ms of CPU per handshake, with
    a lock held on the event loop, against 1.2 ms): the same paths are loaded here once.
    """
    if sys.platform in ("win32", "darwin"):
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.create_default_context()  # OpenSSL's default file and folder
    defaults = ssl.get_default_verify_paths()
    if not defaults.cafile and not _holds_certificates(defaults.capath):
        for candidate in _CA_FILE_CANDIDATES:
            if os.path.isfile(candidate):
                context.load_verify_locations(cafile=candidate)
                break
    return context


def _holds_certificates(folder: str | None) -> bool:
    """Whether ``folder`` is an OpenSSL hashed folder with at least one certificate."""
    if not folder or not os.path.isdir(folder):
        return False
    return any(re.fullmatch(r"[0-9a-fA-F]{8}\.\d+", name) for name in os.listdir(folder))


def _load_file(context: ssl.SSLContext, path: Path, setting: str) -> None:
    hint = "name a PEM file of CA certificates"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{setting}: cannot read it: {exc.strerror}", hint=hint) from None
    # load_verify_locations would say "no certificate or crl found" for a file in DER or
    # another format; the first line says what the file is instead.
    if b"-----BEGIN CERTIFICATE-----" not in data and b"-----BEGIN TRUSTED CERTIFICATE" not in data:
        raise UsageError(f"{setting}: not a PEM file of certificates", hint=hint)
    try:
        context.load_verify_locations(cafile=path)
    except OSError as exc:  # ssl.SSLError is one
        # "[X509] PEM lib (_ssl.c:4154)": the source position says nothing to a user.
        reason = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc.strerror or exc))
        raise UsageError(f"{setting}: malformed PEM certificate ({reason})", hint=hint) from None
