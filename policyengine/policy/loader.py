"""Load policy files: YAML with positions -> validated documents -> one composed Policy.

Every problem is a :class:`PolicyError` naming ``file:line:column``, the key at
fault and what is allowed there. The check registry is passed in (``checks``)
because this layer may not import ``policyengine.checks``: the CLI and the
public API hand it ``checks.registry.CHECKS``.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from policyengine.model import InputError, PolicyError, Position
from policyengine.model.policy import (
    Policy,
    PolicyDocument,
    PolicyWaiver,
    Rule,
    Settings,
)
from policyengine.policy.selectors import purl_key
from policyengine.policy.waivers import range_problem
from policyengine.policy.yamlsafe import MAX_BYTES as MAX_YAML_BYTES
from policyengine.policy.yamlsafe import Located, load_yaml
from policyengine.safeio import OverCap, display_name, read_capped

MAX_POLICY_BYTES = MAX_YAML_BYTES
"""Largest policy file read (the shipped ones are a few kilobytes)."""
MAX_EXTENDS_DEPTH = 16
"""Deepest chain of ``extends`` followed."""


class CheckSpec(Protocol):
    """What the loader needs to know of a check (``checks.base.Check`` classes fit)."""

    @property
    def id(self) -> str:
        """Stable identifier."""

    @property
    def slug(self) -> str:
        """Name used in policies."""

    @property
    def params_model(self) -> type[BaseModel]:
        """The pydantic model of the rule's ``params``."""


def shipped_policies() -> dict[str, Path]:
    """The shipped policies by name (file name without ``.yaml``).

    They are package data (``policyengine/data/policies``) so that they work
    after ``pip install``; in a source checkout ``policies/`` at the repository
    root is searched too, the package copy winning.
    """
    found: dict[str, Path] = {}
    package = resources.files("policyengine").joinpath("data", "policies")
    checkout = Path(__file__).resolve().parents[2] / "policies"
    for folder in (checkout, Path(str(package))):
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.name.endswith(".yaml"):
                    found[entry.name[: -len(".yaml")]] = entry
    return found


def load_policy(paths: str | Path | Sequence[str | Path], *, checks: Sequence[CheckSpec]) -> Policy:
    """Load and compose one or more policies (files or shipped names), later ones overriding."""
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise PolicyError("no policy given", hint="pass --policy FILE")
    loader = _Loader(checks)
    composed: _Composed | None = None
    names: list[str] = []
    description: str | None = None
    for given in paths:
        # Each later policy is laid over the composition so far, as if it extended it.
        composed = loader.compose(_resolve_top(str(given)), (), composed)
        names.append(composed.name)
        description = description or composed.description
    assert composed is not None
    return composed.finish("+".join(names), description)


def validate_file(path: str | Path, *, checks: Sequence[CheckSpec]) -> Policy:
    """Load one policy file with everything it extends; raise PolicyError on any problem."""
    return load_policy(path, checks=checks)


def _resolve_top(given: str) -> Path:
    path = Path(given)
    if path.exists() or given.endswith((".yaml", ".yml")) or "/" in given:
        return path
    shipped = shipped_policies()
    if given in shipped:
        return shipped[given]
    return path


@dataclass
class _Entry:
    """A rule of the composition so far: the fields set, and where they were set."""

    fields: dict[str, Any]
    source: str


@dataclass
class _WaiverEntry:
    waiver: PolicyWaiver
    located: Located
    path: tuple[str | int, ...]


@dataclass
class _Composed:
    name: str = ""
    description: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    rules: dict[str, _Entry] = field(default_factory=dict)
    waivers: list[_WaiverEntry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    known_ids: set[str] = field(default_factory=set)

    def absorb(self, other: _Composed) -> None:
        """Take ``other`` (an extended policy) in; its rules override same-id rules so far."""
        self.settings.update(other.settings)
        self.rules.update(other.rules)
        self.waivers.extend(other.waivers)
        self.files.extend(f for f in other.files if f not in self.files)
        self.known_ids |= other.known_ids

    def finish(self, name: str, description: str | None) -> Policy:
        settings = Settings(**self.settings)
        rules = tuple(
            Rule(**{**entry.fields, "source": entry.source}) for entry in self.rules.values()
        )
        waivers = []
        for item in self.waivers:
            waiver = item.waiver
            if waiver.rule not in self.known_ids:
                raise PolicyError(
                    f"the waiver names rule {waiver.rule!r}, which no composed policy defines",
                    position=item.located.position((*item.path, "rule")),
                    hint=f"rules: {', '.join(sorted(self.known_ids)) or 'none'}",
                )
            if settings.waivers_require_expiry and waiver.expires is None:
                raise PolicyError(
                    "the waiver has no `expires` date",
                    position=item.located.position(item.path),
                    hint="add `expires: YYYY-MM-DD`, or set "
                    "`settings.waivers_require_expiry: false`",
                )
            waivers.append(waiver)
        policy = Policy(
            name=name,
            description=description,
            settings=settings,
            rules=rules,
            waivers=tuple(waivers),
            files=tuple(self.files),
        )
        return policy.model_copy(update={"digest": policy_digest(policy)})


def policy_digest(policy: Policy) -> str:
    """``sha256:`` over the canonical JSON of what the policy decides (not where it lives)."""
    document = {
        "name": policy.name,
        "settings": policy.settings.model_dump(mode="json"),
        "rules": [r.model_dump(mode="json", exclude=_undecided(r)) for r in policy.rules],
        "waivers": [w.model_dump(mode="json", exclude={"source"}) for w in policy.waivers],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _undecided(rule: Rule) -> set[str]:
    # Where a rule is defined does not change what it decides; an absent per-rule override
    # is left out so that the digests of policies without one stay what they were.
    return {"source"} | ({"on_missing_evidence"} if rule.on_missing_evidence is None else set())


class _Loader:
    def __init__(self, checks: Sequence[CheckSpec]) -> None:
        self.by_name: dict[str, CheckSpec] = {}
        for check in checks:
            self.by_name[check.slug] = check
            self.by_name.setdefault(check.id, check)
        self.slugs = sorted(check.slug for check in checks)

    def compose(
        self,
        path: Path,
        stack: tuple[Path, ...],
        base: _Composed | None = None,
        origin: Position | None = None,
    ) -> _Composed:
        resolved = path.resolve()
        if resolved in stack:
            chain = " -> ".join(str(p) for p in (*stack, resolved))
            raise PolicyError(
                f"policies extend each other in a cycle: {chain}",
                position=origin,
                hint="remove one of the `extends` entries",
            )
        if len(stack) >= MAX_EXTENDS_DEPTH:
            raise PolicyError(
                f"`extends` goes more than {MAX_EXTENDS_DEPTH} levels deep", position=origin
            )
        located = read_located(path)
        document = parse_document(located)
        composed = _Composed(name=document.metadata.name, description=document.metadata.description)
        if base is not None:
            composed.absorb(base)
        for index, target in enumerate(document.extends):
            base_path = self._resolve_extends(target, path, located, index)
            where = located.position(("extends", index))
            composed.absorb(self.compose(base_path, (*stack, resolved), origin=where))
        composed.files.insert(0, str(path))
        if document.settings is not None:
            composed.settings.update(
                {k: getattr(document.settings, k) for k in document.settings.model_fields_set}
            )
        self._apply_rules(composed, document, located)
        for index, waiver in enumerate(document.waivers):
            composed.waivers.append(self._waiver(waiver, located, ("waivers", index)))
        return composed

    def _resolve_extends(self, target: str, here: Path, located: Located, index: int) -> Path:
        position = located.position(("extends", index))
        if target.endswith((".yaml", ".yml")) or "/" in target or "\\" in target:
            path = here.parent / target
            if not path.is_file():
                raise PolicyError(
                    f"extended policy file {target!r} not found (looked at {path})",
                    position=position,
                    hint="paths are relative to the file that extends them",
                )
            return path
        shipped = shipped_policies()
        if target not in shipped:
            raise PolicyError(
                f"no shipped policy named {target!r}",
                position=position,
                hint=f"shipped policies: {', '.join(sorted(shipped)) or 'none'}; "
                "or give a file path ending in .yaml",
            )
        return shipped[target]

    def _apply_rules(self, composed: _Composed, document: PolicyDocument, located: Located) -> None:
        seen: set[str] = set()
        for index, entry in enumerate(document.rules):
            where = ("rules", index)
            if entry.id in seen:
                raise PolicyError(
                    f"rule id {entry.id!r} appears twice in this file",
                    position=located.position((*where, "id")),
                    hint="rule ids are unique; to change an inherited rule, list it once",
                )
            seen.add(entry.id)
            composed.known_ids.add(entry.id)
            source = _source(located.position(where))
            inherited = composed.rules.get(entry.id)
            if entry.disabled:
                if inherited is None:
                    raise PolicyError(
                        f"rule {entry.id!r} is disabled but no extended policy defines it",
                        position=located.position((*where, "disabled")),
                        hint="check the id against the extended policies",
                    )
                del composed.rules[entry.id]
                continue
            given = entry.model_dump(exclude_unset=True, exclude={"disabled"})
            if entry.check is not None:
                fields = given
            elif inherited is not None:
                fields = {**inherited.fields, **given}
            else:
                raise PolicyError(
                    f"rule {entry.id!r} has no `check`",
                    position=located.position(where),
                    hint=f"name one of: {', '.join(self.slugs)}",
                )
            fields["check"] = self._check_slug(fields["check"], located, (*where, "check"))
            fields["params"] = self._params(fields, located, where, entry.params is not None)
            try:  # a key given empty (`severity:`) is null, which the rule itself refuses
                Rule(**{**fields, "source": source})
            except ValidationError as exc:
                raise validation_error(exc, located, where, Rule, f"rule {entry.id!r}") from None
            composed.rules[entry.id] = _Entry(fields, source)

    def _check_slug(self, name: str, located: Located, path: tuple[str | int, ...]) -> str:
        check = self.by_name.get(name)
        if check is None:
            raise PolicyError(
                f"unknown check {name!r}",
                position=located.position(path),
                hint=f"known checks: {', '.join(self.slugs)} (see `policyengine checks`)",
            )
        return check.slug

    def _params(
        self, fields: dict[str, Any], located: Located, where: tuple[str | int, ...], own: bool
    ) -> dict[str, Any]:
        check = self.by_name[fields["check"]]
        raw = fields.get("params") or {}
        try:
            check.params_model.model_validate(raw)
        except ValidationError as exc:
            base = (*where, "params") if own else where
            what = f"{check.slug} params"
            raise validation_error(exc, located, base, check.params_model, what) from None
        return dict(raw)

    def _waiver(self, waiver: Any, located: Located, path: tuple[str | int, ...]) -> _WaiverEntry:
        key = purl_key(waiver.component)
        if key is None or not waiver.component.startswith("pkg:"):
            raise PolicyError(
                f"waiver component {waiver.component!r} is not a package URL",
                position=located.position((*path, "component")),
                hint="write a purl such as pkg:pypi/litellm or pkg:npm/%40acme/tool@1.2.3",
            )
        if waiver.versions is not None:
            problem = range_problem(key[0], waiver.versions)
            if problem:
                raise PolicyError(problem, position=located.position((*path, "versions")))
        source = _source(located.position(path))
        return _WaiverEntry(PolicyWaiver(**waiver.model_dump(), source=source), located, path)


def _source(position: Position) -> str:
    return f"{position.file}:{position.line}" if position.line else position.file


def read_located(path: Path) -> Located:
    """Read a policy file as YAML with positions; PolicyError when unreadable."""
    try:
        raw = read_capped(path, max_bytes=MAX_POLICY_BYTES, regular_only=True)
        text = raw.decode("utf-8")
    except OverCap:
        raise PolicyError(
            f"the policy file is over {MAX_POLICY_BYTES} bytes",
            position=Position(str(path)),
            hint="split it",
        ) from None
    except InputError as exc:
        raise PolicyError(exc.message, position=exc.position, hint=exc.hint) from None
    except FileNotFoundError:
        shipped = ", ".join(sorted(shipped_policies())) or "none"
        raise PolicyError(
            "no such policy file",
            position=Position(str(path)),
            hint=f"check the path, or name a shipped policy: {shipped}",
        ) from None
    except UnicodeDecodeError:
        raise PolicyError("the policy file is not UTF-8", position=Position(str(path))) from None
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file: {exc.strerror}", position=Position(str(path))
        ) from None
    return load_yaml(text, display_name(path))


def parse_document(located: Located) -> PolicyDocument:
    """Validate one file's YAML against the document model, with positioned errors."""
    if not isinstance(located.data, dict):
        raise PolicyError(
            "a policy file is a mapping with apiVersion, kind, metadata and rules",
            position=located.position(()),
        )
    try:
        return PolicyDocument.model_validate(located.data)
    except ValidationError as exc:
        raise validation_error(exc, located, (), PolicyDocument, "the policy") from None


def validation_error(
    exc: ValidationError,
    located: Located,
    base: tuple[str | int, ...],
    model: type[BaseModel],
    what: str,
) -> PolicyError:
    """Turn pydantic's first error into a PolicyError at the YAML position of the bad key."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    loc = tuple(error["loc"])
    path = (*base, *loc)
    kind = error["type"]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return PolicyError(
            f"unknown key {loc[-1]!r} in {_where(base, loc[:-1], what)}{more}",
            position=located.position(path, key=True),
            hint=f"allowed keys: {', '.join(allowed)}" if allowed else None,
        )
    if kind == "missing":
        return PolicyError(
            f"missing required key {loc[-1]!r} in {_where(base, loc[:-1], what)}{more}",
            position=located.position(path[:-1]),
            hint=f"allowed keys: {', '.join(_allowed_keys(model, loc[:-1]))}",
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.replace("a valid tuple", "a list").replace("a valid dictionary", "a mapping")
    value = error.get("input")
    got = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return PolicyError(
        f"{_dotted(path) or what}: {message}{got}{more}",
        position=_inside_scalar(located, path, message),
    )


def _inside_scalar(located: Located, path: tuple[str | int, ...], message: str) -> Position:
    """Point into a one-line scalar at the column an expression error names (``at 1:C``)."""
    position = located.position(path)
    match = re.search(r"CEL error at 1:(\d+)", message)
    style = located.styles.get(path, "|")
    if match is None or style in {"|", ">"} or position.column is None:
        return position
    offset = int(match.group(1)) - 1 + (1 if style in {"'", '"'} else 0)
    return replace(position, column=position.column + offset)


def _where(base: tuple[str | int, ...], loc: tuple[Any, ...], what: str) -> str:
    dotted = _dotted((*base, *loc))
    return dotted if dotted else what


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            args = typing.get_args(annotation)
            annotation = args[0] if args else None
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part)
            annotation = info.annotation if info else None
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
