"""Turn the corpus into documents with stable ids and rich metadata.

The compendium is split along its `##` headings, then along the bold part labels every section
uses (**Purpose**, **Template**, **Exemplar**, ...), so a chunk is one part of one section. Panel
items and case studies become one document each.
"""

from __future__ import annotations

import hashlib
import re

from langchain_core.documents import Document
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from coach.corpus.chunking_settings import ChunkerSettings
from coach.corpus.loader import Corpus
from coach.corpus.schema import Panel


# Bold part labels in the compendium → the kind of part they start.
_PART_KINDS: list[tuple[str, str]] = [
    ("purpose", "purpose"),
    ("when to use", "when-to-use"),
    ("example resources", "resources"),
    ("mini exemplar", "exemplar"),
    ("exemplar", "exemplar"),
    ("pitfalls", "pitfalls"),
    ("common pitfalls", "pitfalls"),
    ("metrics", "metrics"),
    ("expansion", "expansion"),
    ("kpis", "metrics"),
    ("weekly rhythm", "template"),
    ("month", "template"),
    ("template", "template"),
    ("structured template", "template"),
    ("sections", "template"),
    ("matrix", "template"),
    ("levels", "template"),
    ("patterns", "template"),
]
COMPENDIUM_KINDS = ("purpose", "when-to-use", "template", "exemplar", "pitfalls", "metrics", "expansion", "resources", "overview")
PANEL_KINDS = ("overview", "question", "signal", "follow-up", "failure-mode")
KINDS = tuple(dict.fromkeys(COMPENDIUM_KINDS + PANEL_KINDS + ("case",)))

_LABEL = re.compile(r"^\*\*(?P<label>[^*]+)\*\*")
_SECTION = re.compile(r"^(?P<num>\d+)\.\s+(?P<title>.+)$")


def _kind_of(label: str) -> str:
    low = label.lower().strip()
    for prefix, kind in _PART_KINDS:
        if low.startswith(prefix):
            return kind
    return "overview"


def _split_parts(body: str) -> list[tuple[str, str]]:
    """Split a section body into (kind, text) parts at each bold label at the start of a line."""
    parts: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        m = _LABEL.match(line.strip())
        if m or not parts:
            parts.append((_kind_of(m.group("label")) if m else "overview", []))
        parts[-1][1].append(line)
    return [(kind, "\n".join(lines).strip()) for kind, lines in parts if "\n".join(lines).strip()]


def content_hash(text: str, metadata: dict) -> str:
    payload = text + "\x00" + repr(sorted(metadata.items()))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _doc(doc_id: str, text: str, **metadata: object) -> Document:
    meta = {k: v for k, v in metadata.items() if v is not None}
    meta["id"] = doc_id
    meta["hash"] = content_hash(text, meta)
    return Document(page_content=text, metadata=meta, id=doc_id)


def compendium_documents(text: str, settings: ChunkerSettings) -> list[Document]:
    headers = MarkdownHeaderTextSplitter([("#", "title"), ("##", "section")], strip_headers=True)
    sizer = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, separators=["\n- ", "\n", "; ", " "]
    )
    docs: list[Document] = []
    for block in headers.split_text(text):
        heading = block.metadata.get("section")
        if not heading:
            continue  # the title block only repeats what the sections say
        m = _SECTION.match(heading)
        number = int(m.group("num")) if m else 0
        title = m.group("title") if m else heading
        slug = f"s{number}" if number else re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        counts: dict[str, int] = {}
        for kind, part in _split_parts(block.page_content.replace("\n---", "").strip()):
            for piece in sizer.split_text(part):
                n = counts.get(kind, 0)
                counts[kind] = n + 1
                # Prefixing the section title gives every chunk the context its embedding needs.
                body = f"{heading}\n{piece.strip()}"
                docs.append(
                    _doc(
                        f"compendium:{slug}:{kind}:{n}",
                        body,
                        source="compendium",
                        section=number,
                        section_title=title,
                        kind=kind,
                    )
                )
    return docs


def panel_documents(panel: Panel) -> list[Document]:
    p = panel.slug
    base = {"source": "panel", "panel": p}
    docs = [
        _doc(
            f"panel:{p}:overview",
            f"{panel.name} interview panel. Goal: {panel.goal}\n"
            f"Senior: {panel.level_expectations.senior}\nStaff: {panel.level_expectations.staff}\n"
            f"Principal: {panel.level_expectations.principal}",
            kind="overview",
            item=p,
            **base,
        )
    ]
    for q in panel.sample_questions:
        docs.append(_doc(f"panel:{p}:question:{q.id}", q.text, kind="question", item=q.id, level=q.level, signals=",".join(q.signals), **base))
    for s in panel.signals:
        text = f"{panel.name} signal: {s.name}. Strong answers: {s.strong} They say things like: " + "; ".join(s.indicators) + f". Weak answers: {s.weak}"
        docs.append(_doc(f"panel:{p}:signal:{s.id}", text, kind="signal", item=s.id, signal=s.id, **base))
    for f in panel.follow_ups:
        docs.append(_doc(f"panel:{p}:follow-up:{f.id}", f.text, kind="follow-up", item=f.id, signal=f.signal, **base))
    for fm in panel.failure_modes:
        text = f"{panel.name} failure mode: {fm.name}. {fm.description} Cues: " + "; ".join(fm.cues)
        docs.append(_doc(f"panel:{p}:failure-mode:{fm.id}", text, kind="failure-mode", item=fm.id, **base))
    return docs


def corpus_documents(corpus: Corpus, settings: ChunkerSettings) -> list[Document]:
    docs = compendium_documents(corpus.compendium, settings)
    for panel in corpus.panels.values():
        docs.extend(panel_documents(panel))
    for case in corpus.cases:
        docs.append(
            _doc(
                f"case:{case.id}",
                f"Case study: {case.title}. {case.summary}",
                source="case",
                kind="case",
                item=case.id,
                panels=",".join(case.panels),
                **{f"case_for_{p}": True for p in case.panels},
            )
        )
    return docs
