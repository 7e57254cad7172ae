"""SPDX 2.x tag-value, RDF/XML and XML through spdx-tools, mapped to :class:`RawDocument`.

spdx-tools is the reference parser for these serialisations; this module only
feeds it text (never a path), refuses XML with a DTD before any XML parser
sees it, condenses its list of messages into one line, and maps its typed
document. It also removes a cost: spdx-tools' tag-value grammar rebuilds the
whole SPDX license index for every license field (~50 ms each).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from policyengine.ingest.spdx_build import RawDocument, RawPackage
from policyengine.model import InputError, Location, Position

_LINE = re.compile(r"\bline:? (\d+)", re.IGNORECASE)
# beartype's "SetterError X: Method ...set_field() parameter f="None" violates type hint ..."
_SETTER = re.compile(
    r"\[?'?SetterError (\w+): Method .*? parameter (\w+)=(.*?) violates type hint.*?(?:'\]|$)",
    re.DOTALL,
)
_HINT = "fix the document or re-generate it with a current SPDX tool"
_TV_PACKAGE = re.compile(r"^\s*PackageName\s*:", re.MULTILINE)
_TV_SPDXID = re.compile(r"^\s*SPDXID\s*:\s*(\S+)")

_PATCHED = False


def refuse_unsafe_xml(data: bytes, source: str) -> None:
    """Refuse DTDs and entity declarations (entity bombs, external entities) and broken XML."""
    try:
        DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"the XML declares a DTD or entities ({type(exc).__name__}); SPDX needs neither",
            position=Position(source),
            hint="remove the <!DOCTYPE ...> / <!ENTITY ...> declarations; they are refused "
            "because they enable entity-expansion and external-entity attacks",
        ) from None
    except DefusedET.ParseError as exc:
        line, column = exc.position
        raise InputError(
            f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc}",
            position=Position(source, line=line, column=column + 1),
            hint="fix the XML syntax or re-generate the document",
        ) from None


def parse_with_spdx_tools(kind: str, text: str, source: str, *, strict: bool = False) -> Any:
    """Parse ``kind`` text (spdx-tagvalue, spdx-rdf, spdx-xml) into an spdx-tools Document.

    Unless ``strict``, an RDF document without a data license is read as CC0-1.0: SPDX 2
    allows no other value, the gate never reads it, spdx-tools' own tag-value and JSON
    parsers default it the same way (osv-scalibr's RDF test document omits it).
    ``strict`` (``--validate``) reports it.
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError

    _patch_tagvalue_licensing()
    try:
        if kind == "spdx-tagvalue":
            from spdx_tools.spdx.parser.tagvalue.parser import Parser

            yacc: Any = importlib.import_module("ply.yacc")  # untyped library
            factory: Any = Parser

            # No table files written into site-packages, no "Generating LALR tables" on stderr.
            parser = factory(write_tables=False, debug=False, errorlog=yacc.NullLogger())
            return parser.parse(text)
        if kind == "spdx-rdf":
            from rdflib import Graph
            from spdx_tools.spdx.parser.rdf.rdf_parser import translate_graph_to_document

            graph = Graph()
            graph.parse(data=text, format="xml")
            if not strict:
                _default_rdf_data_license(graph)
            return translate_graph_to_document(graph)
        return _parse_xml(text)
    except SPDXParsingError as exc:
        raise condensed_error(list(exc.messages), source) from None
    except InputError:
        raise
    except Exception as exc:
        # spdx-tools, ply and rdflib raise many exception types on malformed input
        # (KeyError, TypeError, ValueError, rdflib's ParserError ...): all mean "unreadable".
        raise InputError(
            f"spdx-tools could not parse the {kind.removeprefix('spdx-')} document: "
            f"{type(exc).__name__}: {exc}",
            position=Position(source),
            hint=_HINT,
        ) from None


def condensed_error(messages: list[str], source: str) -> InputError:
    """One line from spdx-tools' message list: the first problem, its line, and a count."""
    first = messages[0] if messages else "unknown parsing error"
    first = _SETTER.sub(_setter_text, first)
    first = " ".join(first.split())
    if len(first) > 300:
        first = first[:297] + "..."
    match = _LINE.search(first)
    more = f" (and {len(messages) - 1} more problems)" if len(messages) > 1 else ""
    return InputError(
        f"invalid SPDX document: {first}{more}",
        position=Position(source, line=int(match.group(1)) if match else None),
        hint=_HINT,
    )


def _setter_text(match: re.Match[str]) -> str:
    element, name, value = match.group(1), match.group(2), match.group(3).strip("\"'")
    if value == "None":
        return f"{element} has no {name}, which SPDX requires"
    return f"{element} field {name} has a value of the wrong type ({value[:60]!r})"


def raw_from_document(document: Any, kind: str, text: str, source: str) -> RawDocument:
    """Map an spdx-tools Document to :class:`RawDocument`."""
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.model.spdx_none import SpdxNone

    info = document.creation_info
    created = info.created.isoformat() if info.created else None
    if created and info.created.tzinfo is None:
        created += "Z"  # spdx-tools drops the "Z" of SPDX's UTC timestamps
    raw = RawDocument(
        spec_version=info.spdx_version,
        document_id=info.spdx_id,
        name=info.name,
        created=created,
        creators=[_actor(a) for a in info.creators],
    )
    lines = _tagvalue_lines(text) if kind == "spdx-tagvalue" else {}
    for pkg in document.packages:
        raw_pkg = RawPackage(
            spdx_id=pkg.spdx_id,
            name=pkg.name,
            version=pkg.version,
            license_declared=_expression(pkg.license_declared),
            license_concluded=_expression(pkg.license_concluded),
            supplier=_actor(pkg.supplier) if pkg.supplier is not None else None,
            originator=_actor(pkg.originator) if pkg.originator is not None else None,
            purpose=pkg.primary_package_purpose.name if pkg.primary_package_purpose else None,
            location=Location(source, line=lines.get(pkg.spdx_id)),
            checksums=[(c.algorithm.name, c.value) for c in pkg.checksums],
        )
        for ref in pkg.external_references:
            ref_type = str(ref.reference_type).rsplit("/", 1)[-1]
            if ref_type == "purl":
                raw_pkg.purls.append(ref.locator)
            else:
                raw_pkg.other_refs.append((ref_type, ref.locator))
        raw.packages.append(raw_pkg)
    for rel in document.relationships:
        related = rel.related_spdx_element_id
        if isinstance(related, SpdxNone | SpdxNoAssertion):
            continue
        raw.relationships.append((rel.spdx_element_id, rel.relationship_type.name, str(related)))
    return raw


def _actor(actor: Any) -> str:
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion

    if isinstance(actor, SpdxNoAssertion):
        return "NOASSERTION"
    return f"{actor.actor_type.name.title()}: {actor.name}"


def _expression(value: Any) -> str | None:
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.model.spdx_none import SpdxNone

    if value is None or isinstance(value, SpdxNone | SpdxNoAssertion):
        return None
    return str(value)


def _tagvalue_lines(text: str) -> dict[str, int]:
    """Map each package's SPDXID to the line of its ``PackageName:`` tag."""
    lines: dict[str, int] = {}
    pending: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if _TV_PACKAGE.match(line):
            pending = number
            continue
        match = _TV_SPDXID.match(line)
        if match and pending is not None:
            lines.setdefault(match.group(1), pending)
            pending = None
    return lines


def _default_rdf_data_license(graph: Any) -> None:
    from rdflib import RDF, URIRef
    from spdx_tools.spdx.rdfschema.namespace import SPDX_NAMESPACE

    for doc_node in graph.subjects(RDF.type, SPDX_NAMESPACE.SpdxDocument):
        if graph.value(doc_node, SPDX_NAMESPACE.dataLicense) is None:
            graph.add(
                (doc_node, SPDX_NAMESPACE.dataLicense, URIRef("http://spdx.org/licenses/CC0-1.0"))
            )


def _parse_xml(text: str) -> Any:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.parser.xml.xml_parser import _fix_list_like_fields

    xmltodict: Any = importlib.import_module("xmltodict")  # untyped library
    parsed = xmltodict.parse(text)
    document = _fix_list_like_fields(parsed).get("Document")
    if not document:
        raise SPDXParsingError(['did not find the XML top-level element "Document"'])
    parser: Any = JsonLikeDictParser
    return parser().parse(document)


def _patch_tagvalue_licensing() -> None:
    # The tag-value grammar calls license_expression.get_spdx_licensing() per license
    # field, rebuilding the license index each time; spdx-tools already holds one.
    global _PATCHED
    if _PATCHED:
        return
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.parser.tagvalue import parser as tagvalue_parser

    def shared_licensing() -> Any:
        return spdx_licensing

    setattr(tagvalue_parser, "get_spdx_licensing", shared_licensing)  # noqa: B010
    _PATCHED = True
