"""Item review: the ledger loads with clear errors, the writer draws accepted texts first and refused
ones never, a changed text loses its acceptance, and the review tool selects and merges batches."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from coach.corpus.loader import load_corpus
from coach.corpus.reviews import Review, load_reviews, normalise
from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.errors import CorpusError, UserInputError
from coach.evals import review
from coach.interviewer.compose import all_composed, compose
from coach.seeding import rng

PANEL, SIGNAL, LEVEL = "system-design", "capacity-math", "staff"


def _rng(seed: int):
    return rng(seed, PANEL, "reviews", LEVEL)


@pytest.fixture(scope="module")
def cell(corpus) -> list[str]:
    """Every distinct text of one signal and level, in a fixed order."""
    return sorted({q.text for q in all_composed(corpus.items[PANEL], level=LEVEL, signal=SIGNAL)})


def _ledger(accepted=(), refused=()) -> dict[str, Review]:
    return {normalise(t): Review(True, ("yes", "yes"), ("t", "t")) for t in accepted} | {
        normalise(t): Review(False, ("yes", "no"), ("t", "t")) for t in refused}


def test_every_panel_has_a_ledger_and_it_is_part_of_the_corpus_hash(corpus):
    assert set(corpus.reviews) == set(PANEL_SLUGS)
    assert all(f"reviews/{slug}.yaml" in corpus.file_hashes for slug in PANEL_SLUGS)


def test_accepted_texts_come_first_and_refused_ones_never(corpus, cell):
    bank = corpus.items[PANEL]
    accepted, unreviewed, refused = cell[0], cell[1], cell[2:]
    ledger = _ledger([accepted], refused)
    for seed in range(1, 11):
        q = compose(bank, SIGNAL, LEVEL, _rng(seed), reviewed=ledger)
        assert (q.text, q.reviewed) == (accepted, True)
    # Once the accepted text is used, an unreviewed one, marked as such; then nothing is left.
    q = compose(bank, SIGNAL, LEVEL, _rng(1), avoid={accepted}, reviewed=ledger)
    assert (q.text, q.reviewed) == (unreviewed, False)
    with pytest.raises(UserInputError, match="avoided"):
        compose(bank, SIGNAL, LEVEL, _rng(1), avoid={accepted, unreviewed}, reviewed=ledger)


def test_a_text_that_changed_keeps_no_acceptance(corpus, cell):
    bank = corpus.items[PANEL]
    ledger = _ledger([cell[0].replace("?", " today?")])
    assert not any(compose(bank, SIGNAL, LEVEL, _rng(s), reviewed=ledger).reviewed for s in range(1, 6))


def test_the_writer_asks_reviewed_questions_on_every_panel(corpus):
    for slug in PANEL_SLUGS:
        bank, ledger = corpus.items[slug], corpus.reviews[slug]
        signals = sorted({i.signal for i in bank.items})
        for level in LEVELS:
            for signal in signals:
                q = compose(bank, signal, level, rng(1, slug, level, signal), reviewed=ledger)
                assert q.reviewed and ledger[normalise(q.text)].askable, (slug, signal, level, q.text)


def test_every_signal_and_level_has_accepted_texts_the_writer_still_composes(corpus):
    for slug in PANEL_SLUGS:
        cells_of: dict[str, set[tuple[str, str]]] = {}
        for q in all_composed(corpus.items[slug]):  # one text may be composed at several levels
            cells_of.setdefault(normalise(q.text), set()).add((q.signal, q.level))
        accepted = [t for t, r in corpus.reviews[slug].items() if r.askable and t in cells_of]
        per_cell = Counter(cell for t in accepted for cell in cells_of[t])
        every = set().union(*cells_of.values())
        thin = {c: per_cell[c] for c in every if per_cell[c] < review.MIN_PER_CELL}
        assert not thin, (slug, thin)
        assert sum(level == "staff" for c in per_cell.elements() for level in [c[1]]) >= review.MIN_STAFF, slug
        few = [t for t in accepted if len(corpus.reviews[slug][t].grades) < review.ACCEPT_REVIEWERS]
        assert not few, f"{slug}: {len(few)} accepted texts need another reviewer (python -m coach.evals.review recheck)"


def test_ask_says_the_question_was_reviewed(coach):
    q = coach.ask("behavioral", "staff", seed=3)
    assert q.provenance.reviewed is True
    assert coach.corpus.reviews["behavioral"][normalise(q.text)].askable


@pytest.mark.parametrize(
    "name, text, needs",
    [
        ("hiring-manager.yaml", "panel: hiring-manager\ntexts: []\n", "Unknown review file"),
        ("coding.yaml", "panel: coding\ntexts: [\n", "cannot be read"),
        ("coding.yaml", "panel: behavioral\ntexts: []\n", "not a review ledger of panel 'coding'"),
        ("coding.yaml", "panel: coding\ntexts:\n- text: Why?\n  askable: maybe\n  grades: []\n", "entry 1 needs"),
    ],
)
def test_a_broken_ledger_is_named_with_how_to_fix_it(corpus_copy, name, text, needs):
    (corpus_copy / "reviews" / name).write_text(text)
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_copy).reviews[name.removesuffix(".yaml")]
    assert needs in str(err.value) and name in str(err.value)
    assert ("Name each after its panel" if "Unknown" in needs else "coach.evals.review") in err.value.hint


def test_the_corpus_loads_without_reviews(corpus_copy):
    for path in (corpus_copy / "reviews").glob("*.yaml"):
        path.unlink()
    corpus = load_corpus(corpus_copy)
    assert corpus.reviews == {} and not any(k.startswith("reviews/") for k in corpus.file_hashes)


def test_selection_spreads_over_every_signal_and_level_and_skips_reviewed_texts(corpus):
    bank = corpus.items["bar-raiser"]
    first = review.select(bank, {}, {"senior": 14, "staff": 28, "principal": 14})
    texts = [normalise(q.text) for q in first]
    assert len(texts) == len(set(texts))
    cells = {(q.signal, q.level) for q in all_composed(bank)}
    assert {(q.signal, q.level) for q in first} == cells
    for level, wanted in (("senior", 14), ("staff", 28)):
        at_level = {normalise(q.text) for q in all_composed(bank, level=level)}
        assert len(at_level & set(texts)) >= wanted, level
    # Elements spread: more distinct scenarios than a pick of the first combinations would show.
    assert len({p for q in first for p in q.elements.values()}) > len(first)
    again = review.select(bank, _ledger([q.text for q in first]), {"senior": 14, "staff": 28, "principal": 14})
    assert not {normalise(q.text) for q in again} & set(texts)


def _batch(folder, texts, **said):
    folder.mkdir(exist_ok=True)
    (folder / "key.yaml").write_text(yaml.safe_dump({"items": [{"id": f"r{i}", "text": t} for i, t in enumerate(texts)]}))
    for g, verdicts in said.items():
        grades = [{"id": f"r{i}", "askable": v, "reason": f"{g}{i}"} for i, v in enumerate(verdicts)]
        (folder / f"grades-{g}.yaml").write_text(yaml.safe_dump({"grades": grades}))


def test_merge_accepts_a_text_only_when_every_reviewer_said_yes(tmp_path, corpus):
    texts = [q.text for q in list(all_composed(corpus.items["coding"], level="staff"))[:3]]
    ledger = tmp_path / "reviews" / "coding.yaml"
    _batch(tmp_path / "one", texts, a=["yes", "yes", "no"], b=["yes", "no", "no"])
    assert review.merge("coding", tmp_path / "one", ledger, "batch 1") == (3, 1)
    loaded = load_reviews(ledger.parent)["coding"]
    assert [loaded[normalise(t)].askable for t in texts] == [True, False, False]
    assert loaded[normalise(texts[0])].by == ("batch 1", "batch 1")
    entries = yaml.safe_load(ledger.read_text())["texts"]
    assert entries[1]["reasons"] == ["", "b1"] and entries[2]["reasons"] == ["a2", "b2"] and "reasons" not in entries[0]
    # One more reviewer reads the accepted text: a "no" refuses it, and merging that batch again
    # replaces its own grade instead of adding a fourth.
    _batch(tmp_path / "again", texts[:1], c=["no"])
    assert review.merge("coding", tmp_path / "again", ledger, "recheck") == (1, 0)
    _batch(tmp_path / "again", texts[:1], c=["yes"])
    assert review.merge("coding", tmp_path / "again", ledger, "recheck") == (1, 1)
    loaded = load_reviews(ledger.parent)["coding"]
    assert len(loaded) == 3 and loaded[normalise(texts[0])].grades == ("yes", "yes", "yes")
    assert loaded[normalise(texts[0])].by == ("batch 1", "batch 1", "recheck")


def test_recheck_offers_accepted_texts_that_fewer_reviewers_read(tmp_path, corpus):
    bank = corpus.items["coding"]
    texts = [q.text for q in list(all_composed(bank, level="staff"))[:3]]
    ledger = tmp_path / "coding.yaml"
    _batch(tmp_path / "one", texts, a=["yes", "yes", "no"], b=["yes", "yes", "yes"], c=["yes", "yes", "yes"])
    review.merge("coding", tmp_path / "one", ledger, "batch 1")
    assert review.recheck(bank, ledger, tmp_path / "four", 4) == 2  # the refused text is not offered
    assert review.recheck(bank, ledger, tmp_path / "three", 3) == 0


def test_merge_refuses_a_text_with_too_few_reviewers(tmp_path):
    _batch(tmp_path, ["Why?"], a=["yes"])
    with pytest.raises(SystemExit, match="fewer than 2"):
        review.merge("coding", tmp_path, tmp_path / "ledger.yaml", "x")
    (tmp_path / "grades-b.yaml").write_text(yaml.safe_dump({"grades": []}))
    with pytest.raises(SystemExit, match="lack a grade"):
        review.merge("coding", tmp_path, tmp_path / "ledger.yaml", "x")


def test_the_transcript_says_the_question_was_reviewed(coach):
    from coach.render.transcript import render as transcript

    session = coach.start_session("behavioral", questions=1, followups=0, seed=11)
    assert "accepted by item review" in transcript(session)
