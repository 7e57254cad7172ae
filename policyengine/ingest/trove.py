"""PyPI trove licence classifiers (``License :: ...``) read as SPDX license ids.

cyclonedx-py writes a licence it found only as a package's ``Classifier:`` as the
classifier text (``{"license": {"name": "License :: OSI Approved :: BSD License"}}``)
whenever its own table does not map it. This module maps a classifier to an SPDX
id only where the mapping is exact, and otherwise leaves it unmapped, never guessed.

Why a table of our own: no maintained library publishes the mapping. The
``trove-classifiers`` package lists classifiers without SPDX ids; cyclonedx-py's
table (``cyclonedx_py._internal.utils.license_trove_classifier``) is private API
and maps some classifiers wrongly (EPL 2.0 to ``EPL-1.0``, MulanPSL v2 to
``MulanPSL-1.0``) or to ids PEP 639 calls ambiguous (``GPLv3`` to ``GPL-3.0-only``).
tests/ingest/test_trove.py checks this table against both.

Sources, for every entry of ``_EXACT``:

* PEP 639, "Appendix: Mapping License Classifiers to SPDX Identifiers"
  (https://peps.python.org/pep-0639/appendix-mapping-classifiers/): the classifiers
  it lists as ambiguous (``Apache Software License``, ``BSD License``, ``GNU General
  Public License v3 (GPLv3)`` - ``-only`` or ``-or-later``? - ...) are not mapped;
  ``Public Domain`` and the ``Free ...``/``Other/Proprietary`` ones are not mapped
  either (PEP 639 allows treating them as ambiguous, and a gate must).
* The SPDX License List (https://spdx.org/licenses/): a classifier is mapped when
  its licence name is the full name of exactly one SPDX id, or its parenthesised
  abbreviation is that id, or the SPDX list has a single version of the licence.
  Classifiers that name a licence with several versions and no version
  (``Zope Public License``, ``Eiffel Forum License``, ``Netscape Public License``)
  or a licence the list lacks (``Repoze``, ``GUST Font``, ``Jabber``) stay unmapped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policyengine.model import trove_license_ref

CLASSIFIER_PREFIX = "License ::"
"""Every licence classifier starts so (``License :: OSI Approved`` has nothing after it)."""

# Comments: "name" - the classifier's licence name is the SPDX full name of the id;
# "abbr" - its parenthesised abbreviation is the id; "only" - the SPDX list has one
# version of the licence. Classifiers marked (deprecated) are no longer offered by
# PyPI but still appear in older packages' metadata.
_EXACT: dict[str, str] = {
    "License :: Aladdin Free Public License (AFPL)": "Aladdin",  # name
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",  # name
    "License :: CeCILL-B Free Software License Agreement (CECILL-B)": "CECILL-B",  # name, abbr
    "License :: CeCILL-C Free Software License Agreement (CECILL-C)": "CECILL-C",  # name, abbr
    "License :: Nokia Open Source License (NOKOS)": "Nokia",  # name
    "License :: OSI Approved :: Attribution Assurance License": "AAL",  # name
    "License :: OSI Approved :: Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",  # abbr
    "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",  # name, abbr
    "License :: OSI Approved :: CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)": (
        "CECILL-2.1"  # name, abbr
    ),
    "License :: OSI Approved :: CMU License (MIT-CMU)": "MIT-CMU",  # abbr
    "License :: OSI Approved :: Common Development and Distribution License 1.0 (CDDL-1.0)": (
        "CDDL-1.0"  # name, abbr
    ),
    "License :: OSI Approved :: Common Public License": "CPL-1.0",  # only
    "License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",  # name, abbr
    "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",  # name, abbr
    "License :: OSI Approved :: Educational Community License, Version 2.0 (ECL-2.0)": (
        "ECL-2.0"  # abbr
    ),
    "License :: OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)": "EUPL-1.0",  # name
    "License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",  # name
    "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",  # name
    # The "or later" classifiers are exact (PEP 639's note); the bare v2/v3 ones are not.
    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": (
        "GPL-2.0-or-later"
    ),
    "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": (
        "GPL-3.0-or-later"
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later"
    ),
    "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "License :: OSI Approved :: IBM Public License": "IPL-1.0",  # only
    "License :: OSI Approved :: Intel Open Source License": "Intel",  # name (deprecated)
    "License :: OSI Approved :: ISC License (ISCL)": "ISC",  # name
    "License :: OSI Approved :: MIT License": "MIT",  # name
    "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",  # abbr
    "License :: OSI Approved :: MirOS License (MirOS)": "MirOS",  # abbr
    "License :: OSI Approved :: Motosoto License": "Motosoto",  # name
    "License :: OSI Approved :: Mozilla Public License 1.0 (MPL)": "MPL-1.0",  # name
    "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",  # name
    # SPDX's "Mozilla Public License 2.0"; the "no copyleft exception" variant is a
    # distinct name that the classifier does not use, and PEP 639 does not list it.
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",  # name
    "License :: OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)": (
        "MulanPSL-2.0"  # abbr
    ),
    "License :: OSI Approved :: NASA Open Source Agreement v1.3 (NASA-1.3)": "NASA-1.3",  # abbr
    "License :: OSI Approved :: Nethack General Public License": "NGPL",  # name
    "License :: OSI Approved :: Nokia Open Source License": "Nokia",  # name
    "License :: OSI Approved :: Open Group Test Suite License": "OGTSL",  # name
    "License :: OSI Approved :: Open Software License 3.0 (OSL-3.0)": "OSL-3.0",  # name, abbr
    "License :: OSI Approved :: PostgreSQL License": "PostgreSQL",  # name
    "License :: OSI Approved :: Python License (CNRI Python License)": "CNRI-Python",  # name
    # SPDX "Python Software Foundation License 2.0", the only PSF license version;
    # "Python-2.0" is the whole CNRI/BeOpen/PSF stack, which the classifier does not name.
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",  # name, only
    "License :: OSI Approved :: Qt Public License (QPL)": "QPL-1.0",  # name, only
    "License :: OSI Approved :: Ricoh Source Code Public License": "RSCPL",  # name
    "License :: OSI Approved :: SIL Open Font License 1.1 (OFL-1.1)": "OFL-1.1",  # name, abbr
    "License :: OSI Approved :: Sleepycat License": "Sleepycat",  # name
    "License :: OSI Approved :: Sun Industry Standards Source License (SISSL)": "SISSL",  # abbr
    "License :: OSI Approved :: Sun Public License": "SPL-1.0",  # only
    "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",  # name, abbr
    "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",  # only
    "License :: OSI Approved :: University of Illinois/NCSA Open Source License": "NCSA",  # name
    "License :: OSI Approved :: Vovida Software License 1.0": "VSL-1.0",  # name
    # The OSI-approved W3C licence is SPDX "W3C" (2002-12-31), not the 1998/2015 texts.
    "License :: OSI Approved :: W3C License": "W3C",
    "License :: OSI Approved :: X.Net License": "Xnet",  # name (deprecated)
    "License :: OSI Approved :: Zero-Clause BSD (0BSD)": "0BSD",  # abbr
    # OSI's "zlib/libpng License" is SPDX "Zlib"; zlib-acknowledgement is another text.
    "License :: OSI Approved :: zlib/libpng License": "Zlib",
}


# For each classifier that names a licence family but no single version, the SPDX ids
# of that family (by prefix). Beside an SPDX id of its family the classifier only
# restates it (cyclonedx-py writes ``{"id": "Apache-2.0"}`` from the License field and
# the classifier ``Apache Software License`` it cannot map beside it); beside any other
# id it names a licence of its own, which stays unknown. Classifiers missing here
# (``Public Domain``, ``Other/Proprietary License``, the ``Free ...`` ones) name no
# family and are never taken as restating anything.
_FAMILY: dict[str, tuple[str, ...]] = {
    "License :: Eiffel Forum License (EFL)": ("EFL-",),
    "License :: Netscape Public License (NPL)": ("NPL-",),
    "License :: OSI Approved :: Academic Free License (AFL)": ("AFL-",),
    "License :: OSI Approved :: Apache Software License": ("Apache-",),
    "License :: OSI Approved :: Apple Public Source License": ("APSL-",),
    "License :: OSI Approved :: Artistic License": ("Artistic-",),
    "License :: OSI Approved :: BSD License": ("BSD-", "0BSD"),
    "License :: OSI Approved :: Eiffel Forum License": ("EFL-",),
    "License :: OSI Approved :: GNU Affero General Public License v3": ("AGPL-3.0",),
    "License :: OSI Approved :: GNU Free Documentation License (FDL)": ("GFDL-",),
    "License :: OSI Approved :: GNU General Public License (GPL)": ("GPL-",),
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": ("GPL-2.0",),
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": ("GPL-3.0",),
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": ("LGPL-2.",),
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later",
        "LGPL-2.1-or-later",
    ),
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": ("LGPL-3.0",),
    "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)": ("LGPL-",),
    "License :: OSI Approved :: Zope Public License": ("ZPL-",),
}


def restates(classifier: str, spdx_ids: Iterable[str]) -> bool:
    """Whether ``classifier`` only restates what ``spdx_ids`` (the SPDX entries' ids) say.

    It does when it maps exactly to one of them, when it is ambiguous within a family
    one of them belongs to (``_FAMILY``), or when it names no licence at all (``License
    :: OSI Approved``) and there are ids. Otherwise it names a licence of its own.
    """
    ids = list(spdx_ids)
    if not ids:
        return False
    key = " ".join(classifier.split())
    if key in _CATEGORIES:
        return True
    exact = _EXACT.get(key)
    if exact is not None:
        return exact in ids
    prefixes = _FAMILY.get(key)
    return prefixes is not None and any(i.startswith(prefixes) for i in ids)


# Classifiers that name a category, not a licence: beside an SPDX id they add nothing.
_CATEGORIES = frozenset({"License ::", "License :: OSI Approved", "License :: DFSG approved"})


def is_classifier(text: str) -> bool:
    """Whether a licence name is a trove licence classifier (``License :: ...``)."""
    return text.strip().startswith(CLASSIFIER_PREFIX)


def spdx_id_of(classifier: str) -> str | None:
    """The SPDX id a classifier names exactly, or ``None`` (ambiguous, generic or unknown)."""
    return _EXACT.get(" ".join(classifier.split()))


@dataclass(frozen=True, slots=True)
class ClassifierLicenses:
    """What a component's licence classifiers say: SPDX ids, and those that name none.

    ``keys`` are license-expression keys in input order, deduplicated: the SPDX id
    of each exactly mapped classifier and :func:`trove_license_ref` of each other
    one; ``unmapped`` are the other ones as written.
    """

    keys: tuple[str, ...]
    unmapped: tuple[str, ...]


def read_classifiers(classifiers: Iterable[str]) -> ClassifierLicenses:
    """Map a component's licence classifiers to license-expression keys.

    A parent of another classifier given (``License :: OSI Approved`` beside
    ``License :: OSI Approved :: MIT License``) adds nothing and is dropped, as PEP
    639 allows.
    """
    given = list(dict.fromkeys(" ".join(c.split()) for c in classifiers))
    keys: dict[str, None] = {}
    unmapped: dict[str, None] = {}
    for classifier in given:
        if any(other.startswith(classifier + " ::") for other in given):
            continue
        spdx = _EXACT.get(classifier)
        if spdx is None:
            unmapped[classifier] = None
            keys[trove_license_ref(classifier)] = None
        else:
            keys[spdx] = None
    return ClassifierLicenses(tuple(keys), tuple(unmapped))
