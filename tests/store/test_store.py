"""The inventory itself, on SQLite and on a throwaway PostgreSQL (tests/pg.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from policyengine.model import UsageError
from policyengine.store import (
    IndexedComponent,
    NewVerdict,
    current_revision,
    default_url,
    head_revision,
    make_engine,
    migrate,
    open_store,
    resolve_url,
)
from policyengine.store.schema import metadata

MOMENT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def _verdict(outcome: str = "pass", *, seq_note: str = "", generation: int = 1) -> NewVerdict:
    return NewVerdict(
        judged_at=MOMENT,
        evaluated_at=MOMENT,
        reason="check",
        outcome=outcome,
        summary=json.dumps({"failed": int(outcome == "fail")}),
        policy_name="p",
        policy_digest="sha256:p",
        evidence_digest="sha256:e",
        advisory_generation=generation,
        policy=b'{"policy": 1}',
        evidence=b'{"evidence": 1}' + seq_note.encode(),
        verdict=f'{{"outcome": "{outcome}"}}\n'.encode(),
    )


LITELLM = IndexedComponent("pypi", "litellm", "1.82.7", "pkg:pypi/litellm@1.82.7", "", "sha256:r")
REQUESTS = IndexedComponent("pypi", "requests", "2.32.3", "pkg:pypi/requests@2.32.3", "", None)


def test_open_creates_the_newest_schema(store_url: str) -> None:
    store = open_store(store_url)
    try:
        assert current_revision(store.engine) == head_revision()
        assert store.releases() == []
        # Opening again is a no-op: the migrations already ran.
        open_store(store_url).close()
    finally:
        store.close()


def test_migrations_build_exactly_the_tables_the_code_uses(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        store.close()


def test_a_release_is_kept_and_read_back(store_url: str) -> None:
    with open_store(store_url) as store:
        inputs = [("sbom.json", b'{"bomFormat": "CycloneDX"}')]
        row = store.record("svc", "1.0", inputs, [LITELLM, REQUESTS], _verdict("pass"))
        assert row.seq == 1 and row.outcome == "pass" and row.reason == "check"
        (release,) = store.releases()
        assert (release.name, release.version, release.components) == ("svc", "1.0", 2)
        assert release.first == release.latest == row
        assert store.inputs(release.id) == inputs
        assert store.blob(row.verdict_blob) == b'{"outcome": "pass"}\n'
        assert store.blob(row.policy_blob) == b'{"policy": 1}'
        assert row.summary == {"failed": 0}
        assert row.judged_at == MOMENT


def test_history_is_appended_never_rewritten(store_url: str) -> None:
    with open_store(store_url) as store:
        inputs = [("sbom.json", b"{}")]
        first = store.record("svc", "1.0", inputs, [LITELLM], _verdict("pass"))
        second = store.record("svc", "1.0", inputs, [LITELLM], _verdict("warn", seq_note="2"))
        third = store.append(first.release_id, [LITELLM], _verdict("fail", seq_note="3"))
        history = store.history(first.release_id)
        assert [v.seq for v in history] == [1, 2, 3]
        assert history == [first, second, third]
        (release,) = store.releases()
        assert release.first.outcome == "pass" and release.latest.outcome == "fail"
        assert release.verdicts == 3


def test_a_release_keeps_its_inputs(store_url: str) -> None:
    with open_store(store_url) as store:
        store.record("svc", "1.0", [("a.json", b"{}")], [LITELLM], _verdict())
        with pytest.raises(UsageError, match="already stored with other inputs"):
            store.record("svc", "1.0", [("a.json", b"{ }")], [LITELLM], _verdict())
        assert len(store.history(store.releases()[0].id)) == 1


def test_the_index_answers_by_package_and_version(store_url: str) -> None:
    with open_store(store_url) as store:
        other = IndexedComponent("pypi", "litellm", "1.82.6", None, "", None)
        store.record("a", "1", [("a", b"1")], [LITELLM, REQUESTS], _verdict())
        store.record("b", "1", [("b", b"2")], [other, REQUESTS], _verdict())
        versions = {v for _, v, _ in store.versions_of("pypi", "litellm")}
        assert versions == {"1.82.6", "1.82.7"}
        ids = [cid for cid, v, _ in store.versions_of("pypi", "requests")]
        holders = {m.release_id for m in store.members(ids)}
        assert holders == set(store.release_ids())
        (bad,) = [cid for cid, v, _ in store.versions_of("pypi", "litellm") if v == "1.82.7"]
        (member,) = store.members([bad])
        assert (member.name, member.version, member.advisories, member.registry) == (
            "litellm",
            "1.82.7",
            "",
            "sha256:r",
        )
        assert store.versions_of("npm", "litellm") == []


def test_recent_releases_are_a_page_newest_first_by_exact_prefix(store_url: str) -> None:
    from dataclasses import replace
    from datetime import timedelta

    names = ["team-a-web", "team-a-api", "Team-A-old", "team-b-web", "team_a-x"]
    with open_store(store_url) as store:
        for day, name in enumerate(names):
            verdict = replace(_verdict("pass"), judged_at=MOMENT + timedelta(days=day))
            store.record(name, "1.0", [("s.json", name.encode())], [LITELLM], verdict)
        rows, total = store.recent_releases()
        assert total == 5 and [r.name for r in rows] == names[::-1]
        # Case and LIKE's wildcards are taken literally: "team-a-" is not "Team-A-" or "team_a".
        rows, total = store.recent_releases("team-a-")
        assert total == 2 and [r.name for r in rows] == ["team-a-api", "team-a-web"]
        rows, total = store.recent_releases("team", limit=2, offset=2)
        assert total == 4 and [r.name for r in rows] == ["team-a-api", "team-a-web"]
        assert rows[0].latest.outcome == "pass" and rows[0].components == 1
        assert store.recent_releases("nobody") == ([], 0)
        assert store.recent_releases(limit=2, offset=10) == ([], 5)


def test_holders_page_through_the_releases_oldest_first(store_url: str) -> None:
    with open_store(store_url) as store:
        other = IndexedComponent("pypi", "litellm", "1.82.6", None, "", None)
        for n in range(7):
            held = [LITELLM if n % 2 else other, REQUESTS]
            store.record(f"svc{n}", "1", [(f"s{n}", str(n).encode())], held, _verdict())
        ids = [cid for cid, _, _ in store.versions_of("pypi", "litellm")]
        every = store.holders(ids)
        assert [h.release for h in every] == [f"svc{n}" for n in range(7)]
        pages = [store.holders(ids, limit=3, offset=start) for start in (0, 3, 6, 9)]
        assert [len(page) for page in pages] == [3, 3, 1, 0]
        assert [h for page in pages for h in page] == every
        assert list(store.stream_holders(ids)) == every
        totals = {(t.component_version, t.releases) for t in store.holder_totals(ids)}
        assert totals == {("1.82.6", 4), ("1.82.7", 3)}
        assert store.holders([]) == [] and store.holder_totals([]) == []


def test_the_release_row_says_what_its_first_and_latest_verdicts_said(store_url: str) -> None:
    with open_store(store_url) as store:
        first = store.record("a", "1", [("a", b"1")], [LITELLM], _verdict("pass"))
        store.append(first.release_id, [LITELLM], _verdict("warn", seq_note="2"))
        ids = [cid for cid, _, _ in store.versions_of("pypi", "litellm")]
        (holder,) = store.holders(ids)
        assert (holder.first_outcome, holder.outcome) == ("pass", "warn")
        store.append(first.release_id, [LITELLM], _verdict("fail", seq_note="3"))
        (holder,) = store.holders(ids)
        assert (holder.first_outcome, holder.outcome) == ("pass", "fail")
        (release,) = store.releases()
        assert (holder.first_judged_at, holder.judged_at) == (
            release.first.judged_at,
            release.latest.judged_at,
        )


def test_generations_are_those_of_the_latest_verdicts(store_url: str) -> None:
    with open_store(store_url) as store:
        row = store.record("a", "1", [("a", b"1")], [LITELLM], _verdict(generation=1))
        store.append(row.release_id, [LITELLM], _verdict(generation=4, seq_note="x"))
        store.record("b", "1", [("b", b"1")], [REQUESTS], _verdict(generation=2))
        assert sorted(store.generations().values()) == [2, 4]


def test_settings_round_trip(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.setting("watched") is None
        store.set_setting("watched", "3")
        store.set_setting("watched", "4")
        assert store.setting("watched") == "4"


@pytest.mark.parametrize("revision", ["0001", "0002", "0003"])
def test_a_store_at_an_older_revision_opens_at_head(store_url: str, revision: str) -> None:
    """A store written by an earlier version is opened by this one, data kept."""
    engine = make_engine(store_url)
    migrate(engine, revision)
    assert current_revision(engine) == revision
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO blobs (digest, kind, size, data) VALUES ('d', 'sbom', 1, :data)"),
            {"data": b"x\x9c\x03\x00\x00\x00\x00\x01"},  # zlib of b""
        )
        conn.execute(
            sa.text("INSERT INTO releases (name, version, created_at) VALUES ('old', '1', :t)"),
            {"t": moment},
        )
        conn.execute(
            sa.text(
                "INSERT INTO release_inputs (release_id, position, source, blob) "
                "VALUES (1, 0, 'sbom.json', 'd')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO components (ecosystem, name, version) VALUES ('pypi', 'x', '1')")
        )
        conn.execute(
            sa.text("INSERT INTO release_components (release_id, component_id) VALUES (1, 1)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO verdicts (release_id, seq, judged_at, evaluated_at, reason, "
                "outcome, summary, policy_name, policy_digest, evidence_digest, policy_blob, "
                "evidence_blob, verdict_blob) VALUES (1, 1, :t, :t, 'check', 'pass', '{}', "
                "'p', 'sha256:p', NULL, 'd', 'd', 'd')"
            ),
            {"t": moment},
        )
    engine.dispose()
    with open_store(store_url) as store:
        assert current_revision(store.engine) == head_revision() != revision
        (release,) = store.releases()
        assert (release.name, release.latest.outcome, release.latest.advisory_generation) == (
            "old",
            "pass",
            0,
        )
        # No fingerprints yet: re-judging will treat them as changed.
        (member,) = store.members(release_ids=[release.id])
        assert member.advisories is None and member.registry is None
        assert store.inputs(release.id) == [("sbom.json", b"")]
        # Revision 0003 backfilled the pointer to the latest verdict.
        (holder,) = store.holders([member.component_id])
        assert (holder.release, holder.first_outcome, holder.outcome) == ("old", "pass", "pass")
        store.append(release.id, [IndexedComponent("pypi", "x", "1")], _verdict("fail"))
        (holder,) = store.holders([member.component_id])
        assert (holder.first_outcome, holder.outcome) == ("pass", "fail")


def test_unusable_urls_are_usage_errors(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(UsageError, match="not a database URL"):
        open_store("not a url")
    with pytest.raises(UsageError, match="only SQLite and PostgreSQL"):
        open_store("mysql://localhost/x")
    with pytest.raises(UsageError, match="cannot use the store"):
        open_store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_the_password_never_reaches_the_message() -> None:
    with pytest.raises(UsageError) as caught:
        open_store("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in caught.value.one_line()


def test_which_store(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_url().startswith("sqlite:///") and default_url().endswith("inventory.sqlite3")
    assert resolve_url(None, {}) == default_url()
    assert resolve_url(None, {"POLICYENGINE_STORE": "sqlite:///x"}) == "sqlite:///x"
    assert resolve_url("sqlite:///y", {"POLICYENGINE_STORE": "sqlite:///x"}) == "sqlite:///y"
    assert resolve_url("postgresql://u@h/db", {}) == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db", {}) == "postgresql+psycopg://u@h/db"
