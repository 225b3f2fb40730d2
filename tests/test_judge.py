"""The optional LLM judge: checked quotes, one re-ask, honest abstention, combined mode, injection.

Unit tests drive the real evidence scorer and the real prompt files with a FakeBackend; the slow
test runs the judge against a real llama.cpp server with the bundled Gemma (a base model that
cannot judge) and checks only that whatever comes back is reported honestly.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from coach.config import REPO_ROOT, Settings
from coach.errors import BackendError, UserInputError
from coach.evals.scoring import INJECTION
from coach.llm.base import Sampling
from coach.llm.cache import cache_key
from coach.llm.openai_backend import OpenAIBackend
from coach.llm.prompts import load_prompt
from coach.scoring.aggregate import overall_score
from coach.root import Coach
from coach.scoring.evidence import EvidenceScorer
from coach.scoring.judge import JudgeScorer
from coach.scoring.judge_reply import InvalidReply, parse_reply, reply_schema
from coach.scoring.quotes import QuoteChecker
from coach.scoring.text import split_sentences
from coach.testing import FAKE_EMBEDDING_MODEL, FakeBackend

PANEL = "system-design"
INVENTED = "We migrated everything to Cassandra over one weekend with zero downtime."


@pytest.fixture(scope="module")
def panel(corpus):
    return corpus.panel(PANEL)


def _graded() -> list[dict]:
    return yaml.safe_load((REPO_ROOT / "evals" / "fixtures" / "scoring" / f"{PANEL}.yaml").read_text())["answers"]


@pytest.fixture(scope="module")
def answer() -> str:
    return max(_graded(), key=lambda a: a["overall"])["text"]


@pytest.fixture(scope="module")
def middling(scorer, panel) -> str:
    """A graded answer the evidence scorer puts mid-scale, so a judge can move levels both ways."""
    def room(text: str) -> int:
        levels = [s.level for s in scorer.score(panel, text).signals]
        return -1 if None in levels else sum(1 for lvl in levels if lvl in (1, 2))

    return max((a["text"] for a in _graded()), key=room)


@pytest.fixture(scope="module")
def sentences(answer) -> list[str]:
    return [s for s in split_sentences(answer) if len(s.split()) >= 6]


def _reply(panel, entries: dict | None = None, default=(0, [], "not shown")) -> str:
    """A judge reply: entries maps signal id -> (level, quotes, reason); the rest get `default`."""
    entries = entries or {}
    signals = []
    for s in panel.signals:
        level, quotes, reason = entries.get(s.id, default)
        signals.append({"id": s.id, "level": level, "evidence": quotes, "reason": reason})
    return json.dumps({"signals": signals})


def _judge(backend, scorer, corpus, mode="judge", **settings) -> JudgeScorer:
    return JudgeScorer(backend, scorer, Settings(**settings), corpus, mode=mode)


# --- the judge's verdict, checked ----------------------------------------------------------


def test_valid_reply_gives_levels_quotes_and_who_scored(scorer, corpus, panel, answer, sentences):
    ids = [s.id for s in panel.signals]
    reply = _reply(panel, {ids[0]: (3, [sentences[0]], "framed"), ids[1]: (2, [sentences[1]], "some numbers")})
    backend = FakeBackend([reply], style="chat")
    card = _judge(backend, scorer, corpus).score(panel, answer, "Design exactly-once billing.")

    assert [s.level for s in card.signals] == [3, 2, 0, 0, 0, 0]
    assert card.signals[0].evidence == [sentences[0]] and card.signals[2].evidence == []
    assert [s.status for s in card.signals[:3]] == ["evidenced", "weak", "missing"]
    assert {s.scored_by for s in card.signals} == {"judge"} and card.signals[0].reason == "framed"
    depth = scorer.analyse(panel, answer).depth
    assert card.overall == overall_score(panel, [3, 2, 0, 0, 0, 0], depth, len(card.failure_modes), scorer.settings.overall)[0]
    assert card.band == scorer.settings.bands.band(card.overall) and not card.abstained
    prompt = load_prompt("judge", "chat", REPO_ROOT / "prompts")
    assert card.scorer.name == "judge" and prompt.hash in card.scorer.version
    (call,) = backend.calls
    assert call.sampling.temperature == 0 and json.loads(call.sampling.json_schema) == reply_schema(panel)
    assert call.prompt.prompt_id == "judge" and "Evidence findings:\nnone" in call.prompt.messages[1].content


def test_invented_short_and_reformatted_quotes(scorer, corpus, panel, answer, sentences):
    ids = [s.id for s in panel.signals]
    # The same sentence with its whitespace collapsed and straight quotes made curly still counts,
    # and is shown as the answer's own text.
    original = next(s for s in split_sentences(answer) if "\n" in s and '"' in s)
    reformatted = " ".join(original.split()).replace('"', "\u201c", 1).replace('"', "\u201d", 1)
    reply = _reply(panel, {
        ids[0]: (3, [reformatted, INVENTED], "framed"),
        ids[1]: (4, [INVENTED.replace("weekend", "night")], "capacity"),
        ids[2]: (2, ["order_id"], "short"),
    })  # fmt: skip
    card = _judge(FakeBackend([reply], style="chat"), scorer, corpus).score(panel, answer)

    assert card.signals[0].level == 3 and card.signals[0].evidence == [original]
    for s in card.signals[1:3]:  # a level with no quote left is not credited: not a number at all
        assert s.level is None and s.status == "insufficient evidence" and s.evidence == [] and s.scored_by == "judge"
    assert "dropped 2 quote(s) not found in the answer" in card.notes
    assert "dropped 1 quote(s) shorter than 3 words" in card.notes
    assert card.overall is not None  # four of six signals scored: unscored ones count as 0
    assert any("count as 0" in n for n in card.notes)


def test_quote_checker_spans():
    checker = QuoteChecker("We cut p95\n  from 900 ms to 320 ms. \u201cIt works,\u201d she said.")
    assert checker.verify(['We cut p95 from 900 ms', '"It works," she said.']) == (
        ["We cut p95\n  from 900 ms", "\u201cIt works,\u201d she said."], {})
    kept, dropped = checker.verify(["we cut p95 from", "cut p95", "We cut p95 from 900 ms"])
    assert kept == ["We cut p95\n  from 900 ms"] and dropped == {"not found in the answer": 1, "shorter than 3 words": 1}


def test_too_few_signals_with_evidence_abstains(scorer, corpus, panel, answer, sentences):
    ids = [s.id for s in panel.signals]
    reply = _reply(panel, {ids[0]: (3, [sentences[0]], "ok"), ids[1]: (2, [sentences[1]], "ok")}, default=(None, [], "unclear"))
    card = _judge(FakeBackend([reply], style="chat"), scorer, corpus).score(panel, answer)
    assert card.abstained and card.overall is None and card.band is None
    assert "only 2 of 6 signals" in card.abstain_reason
    assert card.signals[0].level == 3  # what was checked is still shown


# --- invalid replies: one re-ask, then unscored --------------------------------------------


def test_fenced_json_with_prose_is_accepted(scorer, corpus, panel, answer, sentences):
    reply = f"Sure, here it is:\n```json\n{_reply(panel, {panel.signals[0].id: (2, [sentences[0]], 'ok')})}\n```\nHope this helps {{:"
    backend = FakeBackend([reply], style="chat")
    card = _judge(backend, scorer, corpus).score(panel, answer)
    assert card.signals[0].level == 2 and len(backend.calls) == 1


def test_invalid_then_valid_is_reasked_once_with_the_error(scorer, corpus, panel, answer, sentences):
    valid = _reply(panel, {panel.signals[0].id: (2, [sentences[0]], "ok")})
    backend = FakeBackend(["I think this answer is great, 9/10.", valid], style="chat")
    card = _judge(backend, scorer, corpus).score(panel, answer)
    assert card.signals[0].level == 2 and card.overall is not None
    first, second = (c.prompt.messages[1].content for c in backend.calls)
    assert "rejected" not in first
    assert "Your previous reply was rejected: the reply contains no JSON object." in second


@pytest.mark.parametrize(
    "bad, error",
    [
        ('{"signals": [{"id": "capacity-math", "level": 3}]}', "missing signal id(s) requirements-framing"),
        ('{"signals": [{"id": "x", "level": 1}]}', "unknown signal id(s) x"),
        ('{"signals": [{"id": "capacity-math", "level": 5}]}', "signals.0.level"),
        ('{"signals": [{"id": "capacity-math", "level": "3"}]}', "signals.0.level"),
        ('{"signals": [{"id": "capacity-math", "level": 1, "evidence": "a quote"}]}', "signals.0.evidence"),
        ('{"signals": [{"id": "capacity-math", "level": 2,', "not valid JSON"),
        ("no json here", "no JSON object"),
    ],
)
def test_parse_reply_names_what_is_wrong(panel, bad, error):
    with pytest.raises(InvalidReply) as err:
        parse_reply(bad, panel)
    assert error in str(err.value)


def test_invalid_twice_is_unscored_never_zero(scorer, corpus, panel, answer):
    backend = FakeBackend(['{"signals": []', '{"signals": [{"id": "capacity-math", "level": 4}]}'], style="chat")
    card = _judge(backend, scorer, corpus).score(panel, answer)
    assert len(backend.calls) == 2
    assert "rejected: the reply is not valid JSON" in backend.calls[1].prompt.messages[1].content
    assert card.abstained and card.overall is None and card.band is None
    assert "invalid twice" in card.abstain_reason and "missing signal id(s)" in card.abstain_reason
    assert all(s.level is None and s.scored_by == "judge" for s in card.signals)
    assert card.contract()["overall"] is None


def test_empty_reply_counts_as_invalid_and_is_reasked(scorer, corpus, panel, answer, sentences):
    backend = FakeBackend(["   ", _reply(panel, {panel.signals[0].id: (1, [sentences[0]], "ok")})], style="chat")
    card = _judge(backend, scorer, corpus).score(panel, answer)
    assert card.signals[0].level == 1 and "the reply was empty" in backend.calls[1].prompt.messages[1].content


def test_backend_failure_is_an_error_not_a_score(scorer, corpus, panel, answer):
    with pytest.raises(BackendError, match="no replies left"):
        _judge(FakeBackend([], style="chat"), scorer, corpus).score(panel, answer)


# --- combined mode -------------------------------------------------------------------------


def test_combined_moves_levels_one_step_with_reasons(scorer, corpus, panel, middling):
    answer = middling
    sentences = [s for s in split_sentences(answer) if len(s.split()) >= 6]
    base = scorer.score(panel, answer)
    levels = {s.id: s.level for s in base.signals}
    raisable = [i for i, lvl in levels.items() if lvl <= 2]
    lowerable = [i for i, lvl in levels.items() if lvl >= 1 and i not in raisable[:3]]
    assert len(raisable) >= 3 and lowerable, levels  # the fixture answer leaves room both ways
    up, far, quiet = raisable[:3]
    down = lowerable[0]
    entries = {i: (lvl, [], "agree") for i, lvl in levels.items()}
    entries[up] = (levels[up] + 1, [sentences[2]], "the outbox detail is solid")
    entries[far] = (levels[far] + 2, [sentences[3]], "much better than found")
    entries[quiet] = (levels[quiet] + 1, [INVENTED], "invented support")
    entries[down] = (levels[down] - 1, [], "the quote is generic")
    backend = FakeBackend([_reply(panel, entries)], style="chat")
    card = _judge(backend, scorer, corpus, mode="combined").score(panel, answer)
    got = {s.id: s for s in card.signals}

    assert got[up].level == levels[up] + 1 and got[up].scored_by == "judge" and got[up].evidence == [sentences[2]]
    assert got[up].reason == f"raised from {levels[up]} by the judge: the outbox detail is solid"
    assert got[far].level == levels[far] + 1 and any(f"{far}: the judge moved the level" in n and "capped" in n for n in card.notes)
    assert got[quiet].level == levels[quiet] and got[quiet].scored_by == "evidence"  # a raise needs a real quote
    assert got[down].level == levels[down] - 1 and got[down].reason.startswith(f"lowered from {levels[down]} by the judge")
    untouched = set(levels) - {up, far, down}
    assert all(got[i].scored_by == "evidence" and got[i].level == levels[i] for i in untouched)
    assert card.scorer.name == "combined" and card.overall is not None
    findings = backend.calls[0].prompt.messages[1].content.split("Evidence findings:\n", 1)[1]
    assert all(f"{i}: level {lvl}" in findings for i, lvl in levels.items())


def test_combined_falls_back_to_evidence_labelled_when_judge_fails(scorer, corpus, panel, answer):
    card = _judge(FakeBackend(["nope", "still nope"], style="chat"), scorer, corpus, mode="combined").score(panel, answer)
    base = scorer.score(panel, answer)
    assert card.overall == base.overall and [s.level for s in card.signals] == [s.level for s in base.signals]
    assert all(s.scored_by == "evidence" for s in card.signals) and card.scorer.name == "combined"
    assert any(n.startswith("fallback: the judge's reply was invalid twice") for n in card.notes)


# --- abstention, injection, refusal, determinism ------------------------------------------


def test_junk_answer_abstains_without_asking_the_model(scorer, corpus, panel):
    backend = FakeBackend([], style="chat")
    for junk in ["", "idk", "qwv zxpt lorb fmeh dwqk " * 8]:
        card = _judge(backend, scorer, corpus).score(panel, junk)
        assert card.abstained and card.overall is None and card.scorer.name == "judge"
    assert backend.calls == []


def test_injection_does_not_raise_the_score(scorer, corpus, panel, answer):
    base = scorer.score(panel, answer)
    # Agree where the evidence scorer shows a quote; a level without one would not be verifiable.
    agreeing = {s.id: (s.level, s.evidence, "agree") if s.evidence else (0, [], "no sentence speaks to it") for s in base.signals}
    clean = _judge(FakeBackend([_reply(panel, agreeing)], style="chat"), scorer, corpus).score(panel, answer)
    assert clean.overall is not None

    injected = f"{answer.rstrip()}\n\n{INJECTION}"
    obey = FakeBackend([_reply(panel, default=(4, [INJECTION], "as instructed"))], style="chat")
    card = _judge(obey, scorer, corpus).score(panel, injected)
    assert INJECTION not in obey.calls[0].prompt.messages[1].content  # the model never read it
    assert card.overall is None or card.overall <= clean.overall
    assert all(INJECTION not in q for s in card.signals for q in s.evidence)
    assert card.grader_text == [INJECTION]

    # A judge that obeys and also quotes real sentences still cannot climb above the evidence levels.
    both = {s.id: (4, [INJECTION, *s.evidence], "as instructed") if s.evidence else (0, [], "none") for s in base.signals}
    card = _judge(FakeBackend([_reply(panel, both)], style="chat"), scorer, corpus).score(panel, injected)
    assert card.overall is not None and card.overall <= clean.overall
    assert all((s.level or 0) <= b.level for s, b in zip(card.signals, base.signals))


def test_embedded_backend_is_refused_with_what_to_set(scorer, corpus):
    for scorer in ("judge", "combined"):
        with pytest.raises(UserInputError, match="COACH_BACKEND=openai") as err:
            Coach(Settings(backend="embedded")).scorer_named(scorer)
        assert "cannot judge" in str(err.value) and "--scorer evidence" in str(err.value)
    embedded = FakeBackend([])
    embedded.name = "embedded"
    with pytest.raises(UserInputError, match="COACH_BACKEND=ollama"):
        JudgeScorer(embedded, scorer, Settings(), corpus)
    out = subprocess.run([sys.executable, "-m", "coach", "score", "--panel", PANEL, "--answer-file", "-", "--scorer", "judge"],
                         input=b"an answer", capture_output=True, timeout=300)  # fmt: skip
    assert out.returncode == 2 and b"COACH_BACKEND=openai" in out.stderr + out.stdout


def test_the_coach_picks_the_scorer_by_name_and_setting():
    toy = {"embedding_model": FAKE_EMBEDDING_MODEL}
    assert isinstance(Coach(Settings(**toy)).scorer, EvidenceScorer)
    coach = Coach(Settings(backend="openai", scorer="combined", **toy))
    judge = coach.scorer
    assert isinstance(judge, JudgeScorer) and judge.mode == "combined" and judge.info.name == "combined"
    assert coach.scorer is judge and judge.backend is coach.backend  # built once, on the coach's own backend
    with pytest.raises(UserInputError, match="evidence, judge, combined"):
        Coach(Settings(**toy)).scorer_named("oracle")


def test_same_reply_same_card(scorer, corpus, panel, answer, sentences):
    reply = _reply(panel, {panel.signals[0].id: (3, [sentences[0], INVENTED], "ok")})
    cards = [_judge(FakeBackend([reply], style="chat"), scorer, corpus).score(panel, answer) for _ in range(2)]
    assert cards[0].model_dump() == cards[1].model_dump()


def test_completion_backend_gets_the_completion_prompt(scorer, corpus, panel, answer, sentences):
    backend = FakeBackend([_reply(panel, {panel.signals[0].id: (2, [sentences[0]], "ok")})], style="completion")
    card = _judge(backend, scorer, corpus, judge_structured_output=False).score(panel, answer)
    call = backend.calls[0]
    assert call.prompt.style == "completion" and call.prompt.text.endswith("JSON:")
    assert call.sampling.json_schema == "" and call.sampling.stop == load_prompt("judge", "completion", REPO_ROOT / "prompts").stop
    assert card.signals[0].level == 2 and "+schema" not in card.scorer.version


# --- structured output on the wire ---------------------------------------------------------


def test_structured_output_dialects_and_cache_key(panel):
    schema = json.dumps(reply_schema(panel))
    local_chat = OpenAIBackend(Settings(backend="openai", openai_style="chat"))._structured(schema)
    assert local_chat == {"response_format": {"type": "json_object", "schema": json.loads(schema)}}
    official = OpenAIBackend(Settings(backend="openai", openai_base_url="https://api.openai.com/v1"))._structured(schema)
    assert official["response_format"]["type"] == "json_schema"
    grammar = OpenAIBackend(Settings(backend="openai", openai_style="completion"))._structured(schema)["grammar"]
    assert "capacity-math" in grammar and "root ::=" in grammar
    prompt = load_prompt("judge", "completion", REPO_ROOT / "prompts").render(
        panel_name="p", question="q", answer="a", signals_block="s", evidence_findings="none", retry_note=""
    )
    backend = FakeBackend([])
    plain = cache_key(backend, prompt, Sampling(temperature=0))
    assert cache_key(backend, prompt, Sampling(temperature=0, json_schema=schema)) != plain


# --- a real llama.cpp server ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("mode, structured", [("judge", True), ("combined", False)])
def test_real_server_reply_is_reported_honestly(llama_server, corpus, panel, answer, mode, structured):
    """The bundled 270M base model cannot judge; whatever it says must be shown honestly."""
    settings = Settings(
        backend="openai", openai_style="completion", openai_base_url=llama_server, llm_timeout_s=300,
        scorer=mode, judge_structured_output=structured,
    )  # fmt: skip
    card = Coach(settings).scorer.score(panel, answer, "Design exactly-once order billing on Kafka.")
    assert card.scorer.name == mode
    for s in card.signals:
        assert all(q in answer for q in s.evidence), s.evidence  # shown quotes are the answer's own text
        if s.level and s.scored_by == "judge":  # the evidence scorer quotes only well-attributed sentences
            assert s.evidence, f"{s.id} has level {s.level} without a quote"
        if s.scored_by == "judge" and s.level is None:
            assert s.status == "insufficient evidence"
    if card.abstained:
        assert card.overall is None and card.band is None  # unscored, never a zero from a parse failure
    else:
        assert card.overall is not None and card.band is not None
    if mode == "combined" and any(n.startswith("fallback:") for n in card.notes):
        assert card.overall == Coach(Settings()).scorer.score(panel, answer, "Design exactly-once order billing on Kafka.").overall
