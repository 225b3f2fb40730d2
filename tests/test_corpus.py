from __future__ import annotations

import re

import pytest

from coach.corpus.chunking import compendium_documents, corpus_documents
from coach.corpus.chunking_settings import ChunkerSettings
from coach.config import REPO_ROOT
from coach.corpus.loader import load_corpus
from coach.errors import CorpusError, UserInputError
from coach.corpus.schema import PANEL_SLUGS


def test_all_seven_panels_load_with_the_required_depth(corpus):
    assert set(corpus.panels) == set(PANEL_SLUGS)
    for panel in corpus.panels.values():
        assert len(panel.sample_questions) >= 10
        assert 5 <= len(panel.signals) <= 7
        assert all(len(s.indicators) >= 5 for s in panel.signals)
        assert {f.signal for f in panel.follow_ups} == {s.id for s in panel.signals}
        assert all(len(fm.cues) >= 2 for fm in panel.failure_modes)


def test_compendium_is_whole(corpus):
    text = corpus.compendium
    for n in range(1, 21):
        assert f"\n## {n}. " in text
    assert "## Integrated 4-Month Cadence" in text and "## Usage Guide" in text


def test_cases_cover_the_case_study_index(corpus):
    titles = " ".join(c.title.lower() for c in corpus.cases)
    assert len(corpus.cases) >= 9
    assert "cloud bill" in titles and "trusted dependency" in titles


def test_unknown_panel_lists_the_valid_ones(corpus):
    with pytest.raises(UserInputError) as err:
        corpus.panel("systems")
    assert "system-design" in str(err.value) and "bar-raiser" in str(err.value)


def test_malformed_panel_names_file_and_field(corpus_copy):
    path = corpus_copy / "panels" / "coding.yaml"
    path.write_text(path.read_text().replace("indicators:", "indicator_phrases:", 1))
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_copy)
    msg = str(err.value)
    assert "coding.yaml" in msg and "indicators" in msg


def test_unreadable_corpus_file_is_named(corpus_copy):
    (corpus_copy / "panels" / "leadership.yaml").write_bytes(b"\xff\xfe not utf-8 \x80")
    with pytest.raises(CorpusError, match="leadership.yaml"):
        load_corpus(corpus_copy)


def test_missing_corpus_file_is_named(corpus_copy):
    (corpus_copy / "compendium.md").unlink()
    with pytest.raises(CorpusError, match="compendium.md"):
        load_corpus(corpus_copy)


def test_chunks_follow_headings_and_carry_section_and_kind(corpus):
    docs = compendium_documents(corpus.compendium, ChunkerSettings())
    sections = {d.metadata["section"] for d in docs}
    assert sections >= set(range(1, 21))
    slo_kinds = {d.metadata["kind"] for d in docs if d.metadata["section"] == 3}
    assert {"purpose", "when-to-use", "template", "exemplar", "pitfalls", "metrics", "expansion", "resources"} <= slo_kinds
    assert all(d.metadata["section_title"] for d in docs if d.metadata["section"])
    assert all(len(d.page_content) <= 900 + 80 for d in docs)


def test_chunk_ids_are_stable_and_unique(corpus):
    a = corpus_documents(corpus, ChunkerSettings())
    b = corpus_documents(load_corpus(REPO_ROOT / "corpus"), ChunkerSettings())
    assert [d.id for d in a] == [d.id for d in b]
    assert len({d.id for d in a}) == len(a)
    kinds = {d.metadata["kind"] for d in a if d.metadata["source"] == "panel"}
    assert kinds == {"overview", "question", "signal", "follow-up", "failure-mode"}


def test_a_key_given_twice_is_refused_with_its_line(corpus_copy):
    # YAML keeps the last of two keys silently: an element with two `excludes:` lines lost the first.
    path = corpus_copy / "items" / "architecture-deep-dive.yaml"
    text = path.read_text()
    line = re.search(r"^ +excludes: .*\n", text, re.MULTILINE).group(0)
    path.write_text(text.replace(line, line + line, 1))
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_copy)
    assert "architecture-deep-dive.yaml" in str(err.value) and "twice" in str(err.value) and "line" in str(err.value)
    assert "Merge the two entries" in err.value.hint
