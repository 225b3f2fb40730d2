"""`coach stories ...`: the story bank (add, list, show, edit, rm, matrix, suggest)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from coach.cli._app import _echo_json, app, make_coach
from coach.errors import UserInputError
from coach.stories.files import StoryDraft, check_draft, fmt_for, parse

stories_app = typer.Typer(no_args_is_help=True, help="Your prepared stories, scored on the behavioral, leadership, "
                          "cross-functional and bar-raiser signals.")
app.add_typer(stories_app, name="stories")

FileArg = typer.Argument(..., metavar="FILE|-", help="A story file (Markdown/text: title on the first line; or YAML "
                         "with title, text, tags), or - for standard input.")
IdArg = typer.Argument(..., metavar="ID", help="A story id, as `coach stories list` shows them.")
TagOpt = typer.Option(None, "--tag", "-t", help="A tag to add (repeatable).")


def read_story(source: str, tags: list[str] | None = None) -> StoryDraft:
    """The story in a file (or standard input), with `tags` added."""

    if source == "-":
        draft = parse(sys.stdin.buffer.read(), "Standard input", "auto")
    else:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError as err:
            raise UserInputError(f"Story file {path} does not exist.", "Pass a path to a story file, or - to read standard input.") from err
        except OSError as err:
            raise UserInputError(f"Story file {path} cannot be read: {err}.", "Check the path and its permissions.") from err
        draft = parse(raw, f"Story file {path}", fmt_for(path.name))
    return check_draft(draft.title, draft.text, [*draft.tags, *tags], "The story") if tags else draft


@stories_app.command("add")
def add_cmd(source: str = FileArg, tag: Optional[list[str]] = TagOpt,
            as_json: bool = typer.Option(False, "--json", help="Print the saved story as JSON.")) -> None:
    """Add a story and score it on the four story panels."""
    from coach.render.stories import story_text
    from coach.stories.bank import add

    story = add(make_coach(), read_story(source, tag))
    if as_json:
        _echo_json(story.export()["story"])
    else:
        typer.echo(f"added story {story.id}\n")
        typer.echo(story_text(story), nl=False)


@stories_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="One JSON object per story, in a list.")) -> None:
    """List your stories, oldest first: id, title, tags, and the overall score per panel."""
    from coach.render.stories import list_text
    from coach.stories.bank import stories

    items = stories(make_coach()).all()
    if as_json:
        _echo_json([{"id": s.id, "title": s.title, "tags": s.tags, "created_at": s.created_at, "updated_at": s.updated_at,
                     "overall": {p: c.overall for p, c in s.scorecards.items()}} for s in items])
    else:
        typer.echo(list_text(items), nl=False)


@stories_app.command("show")
def show_cmd(story_id: str = IdArg,
             as_json: bool = typer.Option(False, "--json", help="The story as its JSON download, with every scorecard."),
             as_md: bool = typer.Option(False, "--md", help="The story as its Markdown download.")) -> None:
    """Print a story with its level and quotes on every signal of the story panels."""
    from coach.render.stories import story_markdown, story_text
    from coach.stories.bank import stories

    if as_json and as_md:
        raise UserInputError("--json and --md are two different outputs.", "Pick one of them (or neither, for text).")
    story = stories(make_coach()).get(story_id)
    if as_json:
        _echo_json(story.export())
    else:
        typer.echo(story_markdown(story) if as_md else story_text(story), nl=False)


@stories_app.command("edit")
def edit_cmd(story_id: str = IdArg, source: str = FileArg, tag: Optional[list[str]] = TagOpt) -> None:
    """Replace a story's title, text and tags from a file, and rescore it."""
    from coach.render.stories import story_text
    from coach.stories.bank import edit

    story = edit(make_coach(), story_id, read_story(source, tag))
    typer.echo(f"updated and rescored story {story.id}\n")
    typer.echo(story_text(story), nl=False)


@stories_app.command("rm")
def rm_cmd(story_id: Optional[str] = typer.Argument(None, metavar="[ID]", help="The story to remove."),
           every: bool = typer.Option(False, "--all", help="Remove every story.")) -> None:
    """Remove a story (or all) with every trace of it: its row, cached vectors and cached LLM calls."""
    from coach.stories.bank import remove

    if (story_id is None) == (not every):
        raise UserInputError("Name one story, or pass --all.", "See your stories with `coach stories list`.")
    report = remove(make_coach(), None if every else [story_id])
    typer.echo(f"removed {len(report.stories)} story(ies)" + (f": {', '.join(report.stories)}" if report.stories else "")
               + f"; deleted {report.vectors} cached vector(s) and {report.llm_calls} cached LLM call(s).")


@stories_app.command("matrix")
def matrix_cmd(as_json: bool = typer.Option(False, "--json", help="The matrix, gaps, overlaps and rules as JSON.")) -> None:
    """The story x signal matrix: each story's level on each signal, the gaps and the overlaps."""
    from coach.render.stories import matrix_text
    from coach.stories.matrix import matrix

    m = matrix(make_coach())
    if as_json:
        _echo_json(m.model_dump(mode="json"))
    else:
        typer.echo(matrix_text(m), nl=False)


@stories_app.command("suggest")
def suggest_cmd(panel: str = typer.Option(..., "--panel", "-p", help="behavioral, leadership, cross-functional or bar-raiser."),
                question: str = typer.Option(..., "--question", "-q", help="The interview question."),
                k: int = typer.Option(3, "-k", min=1, max=25, help="How many stories to rank."),
                as_json: bool = typer.Option(False, "--json", help="Print the ranking as JSON.")) -> None:
    """Which of your stories fits a question best (or that none fits well)."""
    from coach.render.stories import suggestions_text
    from coach.stories.suggest import suggest

    s = suggest(make_coach(), panel, question, k=k)
    if as_json:
        _echo_json(s.model_dump(mode="json"))
    else:
        typer.echo(suggestions_text(s), nl=False)
