from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.enrich.artifacts.builders import Registry, serve


@pytest.fixture
def registry() -> Iterator[Registry]:
    yield from serve()
