"""Item review: the composed questions a person has read and accepted before a candidate sees them.

    python -m coach.evals.review draw behavioral --out build/review/behavioral   # texts to review
    python -m coach.evals.review merge behavioral build/review/behavioral        # fold the grades in
    python -m coach.evals.review recheck behavioral --out build/review/again     # accepted texts, for one more reviewer
    python -m coach.evals.review report                                         # the reviewed pools

Generated exam items go through item review before they enter the operational pool; composed
interview questions do too. Spot rounds showed why: every fix removed a round's faults and the
next random draw found new ones, a long tail over thousands of combinations. So the writer draws
first from the questions three blind reviewers all accepted (`corpus/reviews/<panel>.yaml`, read by
`coach.corpus.reviews`), and composes unreviewed ones only once those are used up.

`draw` picks unreviewed texts spread over every signal and level, item by item, preferring
combinations whose elements no reviewed text has shown yet, and writes them in the blind-grading
layout (`sample.yaml` with ids and texts only, `key.yaml`). Reviewers grade apart into
`grades-a.yaml`, `grades-b.yaml`, ...; `merge` records a text as askable only when all said yes,
keeping every grade, the batch it came from and the reasons for every "no". `recheck` gives the
accepted texts fewer than N reviewers read to one more reviewer, whose grades `merge` adds. A text
whose item or elements change renders differently and so drops out of the pool by itself until it
is reviewed again.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import defaultdict
from pathlib import Path

import yaml

from coach.corpus.items import ItemBank
from coach.corpus.reviews import REVIEWS_DIR, Review, load_reviews, normalise
from coach.corpus.schema import PANEL_SLUGS
from coach.evals.base import load_fixture
from coach.evals.grading import write
from coach.evals.spot import rounds, spot_dir
from coach.interviewer._checks import surface_problem
from coach.interviewer.compose import Composed, all_composed
from coach.root import Coach

# Texts to review per panel and level. Staff is the default level, and 20 seeds' first questions are
# drawn there: with N accepted texts, 20 draws share one about 190/N times, so staff needs hundreds.
TARGET = {"senior": 70, "staff": 300, "principal": 70}
MIN_REVIEWERS = 2  # to record a verdict at all
# To enter the pool. Spot round 22 found faults in about 1 of 14 texts two reviewers had accepted;
# a third reviewer, told the kinds of fault the first two had missed, refused 3-12 % more, and
# rounds 23-26 then found 6 in 280.
ACCEPT_REVIEWERS = 3
# What the reviewed pools must keep (tests/test_reviews.py): every signal and level some accepted
# texts, and staff, where sessions start by default, enough that 20 seeds rarely meet twice.
MIN_PER_CELL = 3
MIN_STAFF = 150


def composed_texts(bank: ItemBank) -> dict[str, list[Composed]]:
    """Every distinct text the bank composes (surface checks passed), with each way it is composed."""
    out: dict[str, list[Composed]] = defaultdict(list)
    for q in all_composed(bank):
        if not surface_problem(q.text):
            out[normalise(q.text)].append(q)
    return out


def select(bank: ItemBank, reviewed: dict[str, Review], target: dict[str, int] = TARGET, seed: int = 0) -> list[Composed]:
    """Unreviewed texts to review so each signal and level reaches its share of its level's
    `target` reviewed ones: round-robin over the cell's items, each time the combination showing the most elements
    no reviewed or chosen text has shown."""
    texts = composed_texts(bank)
    cells: dict[tuple[str, str], list[Composed]] = defaultdict(list)
    for qs in texts.values():
        for q in qs:
            cells[(q.signal, q.level)].append(q)
    signals = defaultdict(int)
    for _, level in cells:
        signals[level] += 1
    seen = {p for t in reviewed for q in texts.get(t, []) for p in q.elements.values()}
    chosen: dict[str, Composed] = {}
    r = random.Random(f"review-{bank.panel}-{seed}")
    for cell in sorted(cells):
        done = {normalise(q.text) for q in cells[cell]} & (set(reviewed) | set(chosen))
        by_item: dict[str, list[Composed]] = defaultdict(list)
        for q in cells[cell]:
            t = normalise(q.text)
            if t not in reviewed and t not in chosen:
                by_item[q.item_id].append(q)
        order = sorted(by_item)
        r.shuffle(order)
        for pool in by_item.values():
            r.shuffle(pool)
        share = math.ceil(target[cell[1]] / signals[cell[1]])
        while len(done) < share and any(by_item.values()):
            for item in order:
                pool = [q for q in by_item[item] if normalise(q.text) not in chosen]
                by_item[item] = pool
                if not pool or len(done) >= share:
                    continue
                best = max(pool, key=lambda q: sum(p not in seen for p in q.elements.values()))
                chosen[normalise(best.text)] = best
                done.add(normalise(best.text))
                seen.update(best.elements.values())
    return list(chosen.values())


def draw(bank: ItemBank, reviewed: dict[str, Review], folder: Path, target: dict[str, int] = TARGET) -> int:
    picked = select(bank, reviewed, target)
    items = [{"source": "composed-question", "panel": bank.panel, "signal": q.signal, "level": q.level,
              "key": q.key, "text": q.text} for q in picked]
    random.Random(f"review-order-{bank.panel}").shuffle(items)
    for i, item in enumerate(items, 1):
        item["id"] = f"r{i:03d}"
    write(items, folder)
    return len(items)


def recheck(bank: ItemBank, ledger: Path, folder: Path, reviewers: int) -> int:
    """Accepted texts the writer still composes that fewer than `reviewers` reviewers read, as a
    batch for one more reviewer: each reviewer misses faults another catches."""
    live = composed_texts(bank)
    items = [{"source": "composed-question", "panel": bank.panel, "key": live[t][0].key, "text": e["text"]}
             for t, e in _entries(ledger).items() if e["askable"] == "yes" and t in live and len(e["grades"]) < reviewers]
    random.Random(f"recheck-{bank.panel}-{reviewers}").shuffle(items)
    for i, item in enumerate(items, 1):
        item["id"] = f"r{i:03d}"
    write(items, folder)
    return len(items)


def merge(panel: str, folder: Path, ledger: Path, source: str) -> tuple[int, int]:
    """Fold a reviewed batch (key.yaml and one grades-X.yaml per reviewer) into the panel's ledger.

    The batch's grades are added to what earlier batches said of the same text, so one more
    reviewer can read texts already accepted; merging a batch again replaces its own grades."""
    key = {i["id"]: i for i in load_fixture(folder / "key.yaml")["items"]}
    grades = [{x["id"]: x for x in load_fixture(path)["grades"]} for path in sorted(folder.glob("grades-*.yaml"))]
    missing = [i for i in key if not grades or any(i not in g for g in grades)]
    if missing:
        raise SystemExit(f"{len(missing)} texts lack a grade from every reviewer of {folder} (first: {missing[0]}); grade them first.")
    verdicts = [(key[i]["text"], [str(g[i]["askable"]) for g in grades], [g[i].get("reason", "") for g in grades], source) for i in key]
    earlier = _entries(ledger)
    short = [t for t, said, _, _ in verdicts if len(said) + len(_others(earlier.get(normalise(t)), source)[0]) < MIN_REVIEWERS]
    if short:
        raise SystemExit(f"{len(short)} texts would have fewer than {MIN_REVIEWERS} reviewers' grades (first: {short[0]!r}); "
                         "have a second reviewer grade the batch into grades-b.yaml.")
    return record(ledger, panel, verdicts)


def _entries(ledger: Path) -> dict[str, dict]:
    data = yaml.safe_load(ledger.read_text(encoding="utf-8")) if ledger.exists() else None
    out = {}
    for e in (data or {}).get("texts", []):
        said, by, reasons = _others(e, source="")
        out[normalise(e["text"])] = {"text": e["text"], "askable": e["askable"], "grades": said, "by": by} | (
            {"reasons": reasons} if "no" in said else {})
    return out


def _others(entry: dict | None, source: str) -> tuple[list[str], list[str], list[str]]:
    """An entry's grades, who gave them and their reasons, without those of `source`."""
    if entry is None:
        return [], [], []
    said = [str(g) for g in entry["grades"]]
    by = entry.get("by") or [entry.get("source", "")] * len(said)
    reasons = entry.get("reasons") or []
    if len(reasons) != len(said):  # reasons given for the "no"s only
        left = iter(reasons)
        reasons = ["" if g == "yes" else next(left, "") for g in said]
    kept = [n for n, b in enumerate(by) if not source or b != source]
    return [said[n] for n in kept], [by[n] for n in kept], [reasons[n] for n in kept]


def record(ledger: Path, panel: str, verdicts: list[tuple[str, list[str], list[str], str]]) -> tuple[int, int]:
    """Add (text, grades, reasons, source) verdicts to the ledger file, keeping what other sources
    said of each text and replacing what `source` said before; returns (recorded, accepted)."""
    entries = _entries(ledger)
    accepted = 0
    for text, said, reasons, source in verdicts:
        old_said, old_by, old_reasons = _others(entries.get(normalise(text)), source)
        said, by, reasons = old_said + said, old_by + [source] * len(said), old_reasons + reasons
        ok = all(g == "yes" for g in said)
        entry = {"text": " ".join(text.split()), "askable": "yes" if ok else "no", "grades": said, "by": by}
        if not ok:
            entry["reasons"] = ["" if g == "yes" else r for g, r in zip(said, reasons)]
        entries[normalise(text)] = entry
        accepted += ok
    header = ("# Composed questions of this panel that blind reviewers read (coach.evals.review), each with every\n"
              "# reviewer's grade, which batch gave it, and the reasons for each 'no'. The writer draws first from\n"
              "# those all accepted; a text that no longer renders word for word is unused.\n")
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_text(header + yaml.safe_dump({"panel": panel, "texts": list(entries.values())}, sort_keys=False,
                                              allow_unicode=True, width=120, default_flow_style=None))
    return len(verdicts), accepted


def from_spot_rounds(coach: Coach, panel: str) -> list[tuple[str, list[str], list[str], str]]:
    """Spot-round questions graded by two graders apart: already a review of those texts."""
    out = []
    for folder in rounds(spot_dir(coach)):
        key = {i["id"]: i for i in load_fixture(folder / "key.yaml")["items"]}
        for g in load_fixture(folder / "grades.yaml")["grades"]:
            item = key.get(g["id"])
            if item and item["source"] == "composed-question" and item["panel"] == panel and "grader_b" in g and g["text"] == item["text"]:
                said = [str(g["grader_a"]), str(g["grader_b"])]
                reasons = [g.get("reason", ""), g.get("reason_other", "")] if said[0] == "no" else [g.get("reason_other", ""), g.get("reason", "")]
                out.append((item["text"], said, reasons, f"spot {folder.name}"))
    return out


def report(coach: Coach) -> None:
    reviews = load_reviews(coach.corpus.root / REVIEWS_DIR)
    for slug in PANEL_SLUGS:
        bank = coach.corpus.items[slug]
        texts = composed_texts(bank)
        ledger = reviews.get(slug, {})
        live = {t: v for t, v in ledger.items() if t in texts}
        ok = [t for t, v in live.items() if v.askable]
        cells = defaultdict(int)
        for t in ok:
            for q in texts[t]:
                cells[(q.signal, q.level)] += 1
        thin = sorted((n, f"{s}/{lvl}") for (s, lvl), n in cells.items())[:3]
        empty = sorted({f"{q.signal}/{q.level}" for qs in texts.values() for q in qs} - {f"{s}/{lvl}" for s, lvl in cells})
        print(f"{slug:24} composed {len(texts):5}  reviewed {len(live):4}  accepted {len(ok):4} "
              f"({len(ok) / max(1, len(live)):.2f})  stale {len(ledger) - len(live):3}  thinnest {thin}"
              + (f"  no accepted text: {empty}" if empty else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("draw", "recheck", "merge", "import-spot", "report"))
    parser.add_argument("panel", nargs="?", choices=PANEL_SLUGS)
    parser.add_argument("folder", nargs="?", type=Path, help="merge: the reviewed batch")
    parser.add_argument("--out", type=Path, help="draw: where to write the batch")
    for level in TARGET:
        parser.add_argument(f"--{level}", type=int, default=TARGET[level], help=f"draw: reviewed texts wanted at {level} level")
    parser.add_argument("--source", default="review", help="merge: what to record as the source of the grades")
    parser.add_argument("--reviewers", type=int, default=3, help="recheck: accepted texts read by fewer reviewers than this")
    args = parser.parse_args()
    coach = Coach.from_env()
    if args.action == "report":
        report(coach)
        return
    if args.panel is None:
        parser.error("name the panel")
    ledger = coach.corpus.root / REVIEWS_DIR / f"{args.panel}.yaml"
    reviewed = load_reviews(coach.corpus.root / REVIEWS_DIR).get(args.panel, {})
    if args.action == "draw":
        folder = args.out or Path("build") / "review" / args.panel
        n = draw(coach.corpus.items[args.panel], reviewed, folder, {level: getattr(args, level) for level in TARGET})
        print(f"wrote {n} texts to {folder}/sample.yaml")
    elif args.action == "recheck":
        folder = args.out or Path("build") / "review" / f"{args.panel}-recheck"
        n = recheck(coach.corpus.items[args.panel], ledger, folder, args.reviewers)
        print(f"wrote {n} accepted texts read by fewer than {args.reviewers} reviewers to {folder}/sample.yaml")
    elif args.action == "merge":
        added, accepted = merge(args.panel, args.folder, ledger, args.source)
        print(f"{ledger}: {added} texts recorded, {accepted} accepted by every reviewer")
    else:
        added, accepted = record(ledger, args.panel, from_spot_rounds(coach, args.panel))
        print(f"{ledger}: {added} spot-round texts added, {accepted} accepted by both graders")


if __name__ == "__main__":
    main()
