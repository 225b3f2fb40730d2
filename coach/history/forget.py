"""Forget sessions: the rows, and every trace of their answers outside the sessions database.

An answer leaves traces in three places under the data dir:
- the sessions database (its turns; follow-ups that say the answer back);
- the vector cache (`cache/embeddings.sqlite3`), keyed by sha256 of model and text: the keys are
  recomputed from the texts the scorer and the interviewer embed for the answer
  (`scoring.traces`, `interviewer.traces`), plus every prompt the session showed;
- the LLM record/replay cache (`cache/llm.sqlite3`): every call whose prompt or output holds an
  answer sentence, the whole answer, or a follow-up that said the answer back.

With several web logins each person's sessions live in a database of their own
(`coach.session.logins`); forget looks for a session in every one of them, and `--all` forgets the
sessions of every one.

Caches are purged first and the sessions last, so a failure part-way leaves the session listed and
`forget` can simply be run again. Every file is rewritten (VACUUM, and the sessions database's
write-ahead log emptied), so deleted text does not survive in freed pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from coach.interviewer import traces as interviewer_traces
from coach.llm.cache import forget_containing
from coach.retrieval.embeddings import forget_vectors
from coach.scoring import traces as scoring_traces
from coach.scoring.text import split_sentences
from coach.session.logins import login_databases
from coach.session.store import SessionStore, TurnRow

if TYPE_CHECKING:
    from coach.root import Coach

# An answer sentence shorter than this is not looked for in cached LLM calls on its own ("Yes.",
# "It depends."): it would match unrelated prompts. The whole answer always is.
MIN_FRAGMENT_WORDS = 4


# Called with the forgotten session ids once they are gone: an interface that keeps files of its own
# written from sessions (the web app's downloads) deletes them there.
_AFTER_FORGET: list[Callable[[list[str]], object]] = []


def after_forget(hook: Callable[[list[str]], object]) -> None:
    """Have `hook(session_ids)` called after every `forget` in this process (registered once)."""
    if hook not in _AFTER_FORGET:
        _AFTER_FORGET.append(hook)


class ForgetReport(BaseModel):
    sessions: list[str]
    vectors: int
    llm_calls: int


def traces(turns: list[TurnRow]) -> tuple[list[str], list[str]]:
    """(texts whose vectors may be cached, fragments that mark a cached LLM call) for one session."""
    texts: list[str] = []
    fragments: list[str] = []
    for t in turns:
        shown = [p for p in (t.prompt.get("text"), t.prompt.get("draft")) if isinstance(p, str) and p]
        texts += shown
        point = t.prompt.get("answer_point")
        if t.kind == "follow-up" and isinstance(point, str) and point:
            # Said back in the second person, so the answer's own sentences do not match it.
            fragments += [point, *shown]
        if t.answer:
            question = t.prompt.get("text", "")
            texts += scoring_traces.embedded_texts(t.answer) + interviewer_traces.embedded_texts(t.answer, question)
            fragments += [t.answer] + [s for s in split_sentences(t.answer) if len(s.split()) >= MIN_FRAGMENT_WORDS]
    return list(dict.fromkeys(texts)), list(dict.fromkeys(fragments))


def stores(coach: Coach) -> list[SessionStore]:
    """The data dir's sessions database and every login's (see `coach.session.logins`)."""
    main = coach.store
    return [main, *(SessionStore(p) for p in login_databases(coach.settings.data_dir) if p.resolve() != main.path.resolve())]


def _holders(coach: Coach, session_ids: list[str] | None) -> list[tuple[SessionStore, list[str]]]:
    """(store, its ids to forget) for each store holding any; an unknown id is an error."""
    every = stores(coach)
    if session_ids is None:
        return [(s, ids) for s in every if (ids := [row["id"] for row in s.list()])]
    wanted = list(dict.fromkeys(session_ids))
    found = [(s, s.existing(wanted)) for s in every]
    for sid in wanted:
        if not any(sid in ids for _, ids in found):
            coach.store.load(sid)  # the error that names `coach history`
    return [(s, [sid for sid in wanted if sid in ids]) for s, ids in found if ids]


def forget(coach: Coach, session_ids: list[str] | None = None) -> ForgetReport:
    """Forget the given sessions (None: all of them), wherever they are stored. An unknown id is an
    error naming `coach history`, raised before anything is deleted."""
    holders = _holders(coach, session_ids)
    texts: list[str] = []
    fragments: list[str] = []
    for store, ids in holders:
        for sid in ids:
            found = traces(store.load(sid)[1])
            texts += found[0]
            fragments += found[1]
    cache_dir = coach.settings.cache_dir
    outputs = forget_containing(cache_dir / "llm.sqlite3", fragments)
    texts += interviewer_traces.output_texts(outputs)
    vectors = forget_vectors(cache_dir, coach.settings.embedding_model, texts) if texts else 0
    for store, ids in holders:
        store.delete(ids)
    coach.store.compact()
    for store, _ in holders:
        if store is not coach.store:
            store.compact()  # a login's database that held some of them
    forgotten = [sid for _, ids in holders for sid in ids]
    for hook in _AFTER_FORGET:
        hook(forgotten)
    return ForgetReport(sessions=forgotten, vectors=vectors, llm_calls=len(outputs))
