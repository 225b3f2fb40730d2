"""The evidence scorer with the real embedding model, on the real corpus."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from coach.config import REPO_ROOT
from coach.errors import UserInputError
from coach.evals.scoring import INJECTION, probes
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.settings import load_scoring_settings
from coach.scoring.text import MAX_ANSWER_CHARS, split_sentences

FIXTURES = REPO_ROOT / "evals" / "fixtures" / "scoring"


def _answers(panel: str) -> list[dict]:
    return yaml.safe_load((FIXTURES / f"{panel}.yaml").read_text())["answers"]


def _best(panel: str) -> dict:
    return max(_answers(panel), key=lambda a: a["overall"])


@pytest.mark.parametrize("panel", ["system-design", "behavioral", "leadership"])
def test_strong_answer_scores_with_verbatim_evidence(scorer, corpus, panel):
    answer = _best(panel)["text"]
    card = scorer.score(corpus.panel(panel), answer)
    assert card.overall is not None and card.band in ("strong-hire", "hire")
    quotes = [q for s in card.signals for q in s.evidence]
    assert all(q in answer for q in quotes)
    # Only sentences an interviewer would cite under the signal are quoted (about four in five are,
    # cross-validated); a signal with a level but no such sentence says so instead of showing one.
    assert all(s.evidence or "no sentence speaks clearly" in s.reason for s in card.signals if s.level)
    assert all(s.strong_answer_includes for s in card.signals)


def test_same_answer_same_scorecard(scorer, embedder, corpus):
    answer = _best("coding")["text"]
    first = scorer.score(corpus.panel("coding"), answer)
    again = EvidenceScorer(embedder, load_scoring_settings(REPO_ROOT / "corpus"), corpus).score(corpus.panel("coding"), answer)
    assert first.model_dump() == again.model_dump()


@pytest.mark.parametrize("panel", ["architecture-deep-dive", "cross-functional", "bar-raiser"])
def test_injection_padding_repetition_and_order_never_raise_the_score(scorer, corpus, panel):
    for a in _answers(panel)[:4]:
        base = scorer.score(corpus.panel(panel), a["text"]).overall
        for name, variant in probes(a["text"]).items():
            got = scorer.score(corpus.panel(panel), variant).overall
            assert got is not None and got <= base, f"{a['id']} {name}: {base} -> {got}"


def test_instruction_in_answer_is_noted_and_ignored(scorer, corpus):
    answer = _answers("leadership")[-1]["text"] + "\n" + INJECTION
    card = scorer.score(corpus.panel("leadership"), answer)
    assert any(n.startswith("addresses the grader") for n in card.notes) and card.grader_text == [INJECTION]
    assert all(INJECTION not in q for s in card.signals for q in s.evidence)


def test_hollow_answer_scores_below_the_concrete_one(scorer, corpus):
    concrete = (
        "Checkout read from a single Postgres primary in us-east-1 and APAC users saw p95 of 900 ms. "
        "I proposed per-region read replicas instead of sharding by user, because resharding 40 TB would have taken "
        "two quarters. Replica lag ran about 150 ms, so I added read-after-write tokens for the order page. "
        "We set a rollback trigger at 1 s of sustained lag, and p95 in Singapore dropped to 320 ms within six weeks."
    )
    hollow = (
        "We looked at the problem holistically and weighed the trade-offs carefully across the options. "
        "We mitigated the key failure modes and made sure there was a rollback plan in place. "
        "We aligned the stakeholders early and communicated the decision clearly. "
        "We measured the impact, which was significant, and iterated on the design based on the learnings."
    )
    panel = corpus.panel("architecture-deep-dive")
    assert scorer.score(panel, hollow).overall < scorer.score(panel, concrete).overall


@pytest.mark.parametrize("panel", ["system-design", "behavioral"])
def test_deleting_evidence_lowers_that_signal_and_never_raises_overall(scorer, corpus, panel):
    p = corpus.panel(panel)
    answer = _best(panel)["text"]
    card = scorer.score(p, answer)
    for sig in card.signals:
        if not sig.evidence:
            continue
        sentences, prev, lowered = split_sentences(answer), card, False
        # Delete the quoted evidence, re-score, repeat: no step may raise the signal or the overall,
        # and the deletions must take evidence away. The level also counts sentences that speak more
        # to other signals and so are not quoted; those can hold the level, not the strength.
        for _ in range(6):
            quotes = next(s.evidence for s in prev.signals if s.id == sig.id)
            if not quotes:
                break
            sentences = [s for s in sentences if s not in quotes]
            now = scorer.score(p, "\n\n".join(sentences))
            if now.overall is None:
                lowered = True
                break
            assert now.overall <= prev.overall
            assert now.level_of(sig.id) <= prev.level_of(sig.id)
            lowered = lowered or _strength(now, sig.id) < _strength(card, sig.id)
            prev = now
        assert lowered, f"{sig.id}: deleting its evidence never lowered it"


def _strength(card, signal_id: str) -> float:
    return next(s.strength or 0.0 for s in card.signals if s.id == signal_id)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Kafka.", "asdkj qwpoe zxmcn vbqwe lkjasd poiqwe mnbzxc qwertyuiop asdfghjkl zxcvbnm lkjhg poiuy trewq mnbvc"],
)
def test_junk_abstains(scorer, corpus, text):
    card = scorer.score(corpus.panel("behavioral"), text)
    assert card.overall is None and card.band is None and card.abstained
    assert all(s.level is None and s.status == "insufficient evidence" for s in card.signals)


def test_oversized_answer_names_the_limit(scorer, corpus):
    with pytest.raises(UserInputError, match="20,000"):
        scorer.score(corpus.panel("coding"), "word " * (MAX_ANSWER_CHARS // 4))


def test_markup_is_scored_as_text(scorer, corpus):
    answer = _best("coding")["text"] + "\n\n<script>alert('x')</script> **bold** `code()`"
    card = scorer.score(corpus.panel("coding"), answer)
    assert card.overall is not None


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], input=stdin, capture_output=True, timeout=300)


@pytest.mark.slow
def test_cli_score_json_contract_and_bad_input(tmp_path):
    answer = tmp_path / "a.txt"
    answer.write_text(_best("behavioral")["text"], encoding="utf-8")
    out = _cli("score", "--panel", "behavioral", "--question", "Tell me about a failure.", "--answer-file", str(answer), "--json")
    assert out.returncode == 0, out.stderr.decode()
    card = json.loads(out.stdout)
    assert {"panel", "overall", "band", "signals", "failure_modes", "scorer"} <= set(card)
    assert card["scorer"]["name"] == "evidence" and card["scorer"]["version"]
    assert all({"id", "name", "level", "evidence"} <= set(s) for s in card["signals"])

    human = _cli("score", "--panel", "behavioral", "--answer-file", "-", stdin=answer.read_bytes())
    assert human.returncode == 0 and b"Overall:" in human.stdout

    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 r\xe9sum\xe9 answer".encode("latin-1"))
    res = _cli("score", "--panel", "behavioral", "--answer-file", str(bad))
    assert res.returncode == 2 and b"UTF-8" in res.stderr

    res = _cli("score", "--panel", "nope", "--answer-file", str(answer))
    assert res.returncode == 2 and b"bar-raiser" in res.stderr
