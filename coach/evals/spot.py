"""Spot checks: composed questions and follow-ups at random seeds, graded blind round by round.

    python -m coach.evals.spot draw 16      # a fresh random draw: grading/spot/round-16/{sample,key}.yaml
    python -m coach.evals.spot report       # askable per round, as drawn, and how many texts are still produced

The fixed sample (coach.evals.grading) is regraded whenever its texts change, and its item models
were fixed round after round, so in the end it measures the fixes rather than the item banks. A spot
round is a draw nobody has tuned for: its seeds, levels and fixture answers follow from the round
number, so a round is reproducible, and each new round reads parts of the banks no earlier round
read. Grade a round once, blind, before fixing anything it finds; the next round measures the fixes.
Its grades stay as they were given ("as drawn"); `report` also says how many of those texts the
writer still produces, since fixes change some of them.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from coach.corpus.schema import LEVELS, PANEL_SLUGS
from coach.evals.base import load_fixture
from coach.evals.followups import load_followup_fixtures
from coach.evals.grading import load_grades, write
from coach.root import Coach

QUESTIONS_PER_PANEL = 8
FOLLOWUPS_PER_PANEL = 2
SOURCES = ("composed-question", "composed-follow-up")


def spot_dir(coach: Coach) -> Path:
    return coach.settings.evals_dir / "fixtures" / "grading" / "spot"


def draw(coach: Coach, round_no: int, questions: int = QUESTIONS_PER_PANEL, followups: int = FOLLOWUPS_PER_PANEL) -> list[dict]:
    """The round's texts with where each came from, shuffled: per panel, `questions` first questions
    at random seeds and levels, and `followups` follow-ups to random follow-up fixture answers."""
    r = random.Random(f"spot-round-{round_no}")
    fixtures = load_followup_fixtures(coach.settings.evals_dir / "fixtures", coach.corpus)
    items: list[dict] = []
    for slug in PANEL_SLUGS:
        panel = coach.panel(slug)
        for _ in range(questions):
            seed, level = r.randrange(1, 1_000_000), r.choice(LEVELS)
            items.append(_question(coach, slug, seed, level))
        asked = {q.id: q.text for q in panel.sample_questions}
        for case in r.sample(fixtures[slug].cases, followups):
            seed, level = r.randrange(1, 1_000_000), r.choice(LEVELS)
            fu = coach.follow_up(panel, asked[case.question], case.answer, level=level, seed=seed)
            items.append({"source": "composed-follow-up", "panel": slug, "case": case.id, "seed": seed, "level": level,
                          "frame": fu.provenance.source, "composed_as": fu.composed_as, "text": fu.text})
    r.shuffle(items)
    for i, item in enumerate(items, 1):
        item["id"] = f"s{i:02d}"
    return items


def _question(coach: Coach, slug: str, seed: int, level: str) -> dict:
    q = coach.ask(slug, level, seed=seed)
    return {"source": "composed-question", "panel": slug, "seed": seed, "level": level, "item": q.provenance.item,
            "reviewed": q.provenance.reviewed, "text": q.text}


def rounds(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("round-*") if re.fullmatch(r"round-\d+", p.name) and (p / "key.yaml").exists()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def summarise(folder: Path) -> dict[str, float]:
    """Askable as graded (the round's texts as drawn), per source and in all, with the count graded."""
    key = load_fixture(folder / "key.yaml")["items"]
    grades = load_grades(folder)
    out: dict[str, float] = {}
    graded_all: list[dict] = []
    for source in SOURCES:
        graded = [grades[i["id"]] for i in key if i["source"] == source and grades.get(i["id"], {}).get("text") == i["text"]]
        graded_all += graded
        if graded:
            out[f"{source}_askable"] = round(sum(g["askable"] == "yes" for g in graded) / len(graded), 4)
    if graded_all:
        out["askable"] = round(sum(g["askable"] == "yes" for g in graded_all) / len(graded_all), 4)
        # Graded by two graders apart, a text is askable only when both said yes; each one's rate too.
        for grader in sorted({k for g in graded_all for k in g if k.startswith("grader_")}):
            out[f"askable_{grader}"] = round(sum(g.get(grader) == "yes" for g in graded_all) / len(graded_all), 4)
    out["graded"] = float(len(graded_all))
    out["drawn"] = float(len(key))
    return out


def still_produced(coach: Coach, folder: Path) -> tuple[int, int]:
    """How many of a round's texts the writer produces again, word for word, at the same seed."""
    key = load_fixture(folder / "key.yaml")["items"]
    same = 0
    for item in key:
        if item["source"] == "composed-question":
            same += _question(coach, item["panel"], item["seed"], item["level"])["text"] == item["text"]
    return same, sum(i["source"] == "composed-question" for i in key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("draw", "report"))
    parser.add_argument("round", nargs="?", type=int, help="the round number to draw")
    parser.add_argument("--questions", type=int, default=QUESTIONS_PER_PANEL, help="first questions per panel")
    parser.add_argument("--followups", type=int, default=FOLLOWUPS_PER_PANEL, help="follow-ups per panel")
    parser.add_argument("--out", type=Path, help="write the round here instead of grading/spot/round-N")
    args = parser.parse_args()
    coach = Coach.from_env()
    if args.action == "draw":
        if args.round is None:
            parser.error("say which round to draw: python -m coach.evals.spot draw 16")
        folder = args.out or spot_dir(coach) / f"round-{args.round}"
        if (folder / "grades.yaml").exists() and args.out is None:
            parser.error(f"round {args.round} is already graded; draw a new round number instead")
        write(draw(coach, args.round, args.questions, args.followups), folder)
        print(f"wrote {folder / 'sample.yaml'} and key.yaml; grade it blind into grades.yaml")
        return
    for folder in rounds(spot_dir(coach)):
        rates = summarise(folder)
        same, total = still_produced(coach, folder)
        shown = "  ".join(f"{k} {v:g}" for k, v in rates.items())
        print(f"{folder.name:10} {shown}  questions still produced {same}/{total}")


if __name__ == "__main__":
    main()
