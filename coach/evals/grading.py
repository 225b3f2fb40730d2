"""Blind grading of what the interviewer says: "would a Staff interviewer ask this as written?"

    python -m coach.evals.grading draw      # write the sample (texts only, shuffled) and its key
    python -m coach.evals.grading draw --with-rewrites   # also what the gated rewrite would show
    python -m coach.evals.grading report    # askable rates per source, from the committed grades
    python -m coach.evals.grading draw-anchored   # the anchored follow-ups' own sample (grading/anchored)

The sample is fixed: 5 questions per panel (seeds 1-5, a level per seed) and 2 follow-ups per
panel on fixture answers, shuffled together with 10 of the corpus's own sample questions, so the
grader cannot tell which is which. `sample.yaml` holds only ids and texts; `key.yaml` says where
each came from; `grades.yaml` holds the grader's yes/no and one-line reason per id. A grade counts
only while the graded text is still what the writer produces: when the writer, item models or
prompts change, `draw` again and regrade the texts it reports as ungraded.

`--with-rewrites` draws the same questions and follow-ups again with COACH_REWRITE=on and adds
every rewrite that passed the gate (and so would be shown) as an item of its own, so the gated
rewrite can be compared with the draft alone on the same slots.

This sample is regraded whenever its texts change, and fixes follow its "no"s, so it ends up a
regression set; fresh random draws graded once each (coach.evals.spot) measure the item banks.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import yaml

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.evals.base import load_fixture
from coach.evals.followups import load_followup_fixtures
from coach.root import Coach
from coach.seeding import derive

QUESTION_SEEDS = (1, 2, 3, 4, 5)
FOLLOWUPS_PER_PANEL = 2
CORPUS_QUESTIONS = 10
SHUFFLE_SEED = 2026


def draw(coach: Coach, rewriter: Coach | None = None) -> list[dict]:
    """Every text of the sample with where it came from, in a fixed shuffled order. With
    `rewriter`, the rewrites it would show are added too, each naming the slot it rewrites."""
    items = _composed(coach)
    if rewriter is not None:
        for slot, again in zip(list(items), _composed(rewriter)):
            if again["shown"] == "rewrite":
                items.append(again | {"source": again["source"].replace("composed", "gated-rewrite"), "slot": _slot(slot)})
    pool = [(slug, q) for slug in PANEL_SLUGS for q in coach.panel(slug).sample_questions]
    for slug, q in random.Random(SHUFFLE_SEED).sample(pool, CORPUS_QUESTIONS):
        items.append({"source": "corpus-question", "panel": slug, "question": q.id, "text": q.text})
    random.Random(SHUFFLE_SEED).shuffle(items)
    for i, item in enumerate(items, 1):
        item["id"] = f"g{i:02d}"
    return items


def draw_anchored(coach: Coach) -> list[dict]:
    """Every distinct anchored follow-up to the follow-up and scoring fixtures' answers, on any of
    the weakest three signals (so that more frames and things are read than a session would
    reach), with 8 follow-ups asked alone and 6 corpus questions as controls, shuffled."""
    import coach.interviewer._followup_choice as choice

    anchored, alone, seen = [], [], set()
    wider, choice.ANCHOR_SIGNALS = choice.ANCHOR_SIGNALS, 3
    try:
        for slug in PANEL_SLUGS:
            panel = coach.panel(slug)
            questions = {q.id: q.text for q in panel.sample_questions}
            answers = [(c.id, c.question, c.answer) for c in load_followup_fixtures(
                coach.settings.evals_dir / "fixtures", coach.corpus, (slug,))[slug].cases]
            scoring = load_fixture(coach.settings.evals_dir / "fixtures" / "scoring" / f"{slug}.yaml")["answers"]
            answers += [(a["id"], a["question"], a["text"]) for a in scoring if a.get("question") in questions]
            for case, qid, answer in answers:
                fu = coach.follow_up(panel, questions[qid], answer, seed=derive(0, case))
                item = {"case": case, "panel": slug, "text": fu.text, "frame": fu.provenance.source}
                if fu.composed_as == "anchored" and fu.text not in seen:
                    seen.add(fu.text)
                    anchored.append(item | {"said_back": bool(fu.answer_point), "source": "anchored"})
                elif fu.composed_as == "alone":
                    alone.append(item | {"source": "alone"})
    finally:
        choice.ANCHOR_SIGNALS = wider
    r = random.Random(7)
    items = anchored + r.sample(alone, min(8, len(alone)))
    pool = [(slug, q) for slug in PANEL_SLUGS for q in coach.panel(slug).sample_questions]
    items += [{"panel": slug, "text": q.text, "source": "corpus-question", "question": q.id} for slug, q in r.sample(pool, 6)]
    r.shuffle(items)
    for i, item in enumerate(items, 1):
        item["id"] = f"a{i:02d}"
    return items


def _slot(item: dict) -> str:
    return f"{item['panel']}:{item.get('seed', item.get('case'))}"


def _composed(coach: Coach) -> list[dict]:
    """The composed questions and follow-ups of the sample, in a fixed order."""
    items: list[dict] = []
    for slug in PANEL_SLUGS:
        panel = coach.panel(slug)
        for seed in QUESTION_SEEDS:
            level = LEVELS[seed % len(LEVELS)]
            q = coach.ask(panel, level, seed=seed)
            items.append({"source": "composed-question", "panel": slug, "seed": seed, "level": level, "text": q.text,
                          "shown": q.composition})
    fixtures = load_followup_fixtures(coach.settings.evals_dir / "fixtures", coach.corpus)
    for slug, fx in fixtures.items():
        panel = coach.panel(slug)
        questions = {q.id: q.text for q in panel.sample_questions}
        for case in fx.cases[:FOLLOWUPS_PER_PANEL]:
            fu = coach.follow_up(panel, questions[case.question], case.answer, seed=derive(0, case.id))
            items.append({"source": "composed-follow-up", "panel": slug, "case": case.id, "text": fu.text,
                          "shown": fu.composition})
    return items


def write(items: list[dict], folder: Path) -> list[str]:
    """Write sample.yaml (ids and texts only) and key.yaml; the ids whose text has no grade yet."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = [{"id": i["id"], "text": i["text"]} for i in items]
    header = "# Blind grading sample: would a Staff interviewer ask this as written? Grade each id in grades.yaml.\n"
    (folder / "sample.yaml").write_text(header + yaml.safe_dump({"items": sample}, sort_keys=False, allow_unicode=True, width=120))
    key = [{k: v for k, v in i.items() if k != "text"} | {"text": i["text"]} for i in items]
    (folder / "key.yaml").write_text("# Where each sample text came from (do not show this to the grader).\n"
                                     + yaml.safe_dump({"items": key}, sort_keys=False, allow_unicode=True, width=120))
    graded = load_grades(folder)
    return [i["id"] for i in items if graded.get(i["id"], {}).get("text") != i["text"]]


def load_grades(folder: Path) -> dict[str, dict]:
    path = folder / "grades.yaml"
    if not path.exists():
        return {}
    return {g["id"]: g for g in load_fixture(path).get("grades", [])}


def summarise(folder: Path) -> dict[str, float]:
    """Askable rate per source, over the sample texts that carry a grade for exactly that text."""
    key = {i["id"]: i for i in load_fixture(folder / "key.yaml")["items"]}
    grades = load_grades(folder)
    out: dict[str, float] = {}
    ungraded = 0
    for source in ("composed-question", "composed-follow-up", "gated-rewrite-question", "gated-rewrite-follow-up", "corpus-question"):
        ids = [i for i, item in key.items() if item["source"] == source]
        graded = [grades[i] for i in ids if i in grades and grades[i].get("text") == key[i]["text"]]
        ungraded += len(ids) - len(graded)
        if graded:
            out[f"{source}_askable"] = round(sum(g["askable"] == "yes" for g in graded) / len(graded), 4)
    composed = [grades[i] for i, item in key.items() if item["source"].startswith("composed") and i in grades
                and grades[i].get("text") == item["text"]]
    if composed:
        out["composed_askable"] = round(sum(g["askable"] == "yes" for g in composed) / len(composed), 4)
    rewrites = {item["slot"]: i for i, item in key.items() if item["source"].startswith("gated-rewrite")}
    if rewrites:
        # The gated rewrite's sample: each slot shows its rewrite when one passed, else the draft.
        shown = [rewrites.get(_slot(item), i) for i, item in key.items() if item["source"].startswith("composed")]
        graded = [grades[i] for i in shown if i in grades and grades[i].get("text") == key[i]["text"]]
        if graded:
            out["with_gated_rewrite_askable"] = round(sum(g["askable"] == "yes" for g in graded) / len(graded), 4)
    out["ungraded"] = float(ungraded)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("draw", "report", "draw-anchored"))
    parser.add_argument("--with-rewrites", action="store_true", help="add what the gated rewrite would show")
    args = parser.parse_args()
    coach = Coach.from_env()
    folder = coach.settings.evals_dir / "fixtures" / "grading"
    if args.action == "draw-anchored":
        stale = write(draw_anchored(coach), folder / "anchored")
        print(f"wrote {folder / 'anchored' / 'sample.yaml'}; ungraded: {', '.join(stale) or 'none'}")
    elif args.action == "draw":
        rewriter = Coach(coach.settings.model_copy(update={"rewrite": "on"})) if args.with_rewrites else None
        stale = write(draw(coach, rewriter), folder)
        print(f"wrote {folder / 'sample.yaml'}; ungraded: {', '.join(stale) or 'none'}")
    else:
        for name, value in summarise(folder).items():
            print(f"{name:28} {value:g}")


if __name__ == "__main__":
    main()
