"""Story files: the two formats, and bad input named by file, line or field, with the reason."""

from __future__ import annotations

import pytest

from coach.errors import UserInputError
from coach.scoring.text import MAX_ANSWER_CHARS
from coach.stories.files import MAX_TITLE_CHARS, check_draft, fmt_for, parse

SRC = "Story file s.md"


def refused(raw: bytes, fmt: str = "auto", source: str = SRC) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        parse(raw, source, fmt)
    assert source in info.value.message
    return info.value


def test_markdown_heading_or_plain_first_line_is_the_title():
    md = parse(b"\n# Moving billing off the monolith\n\nI led it.\nIt worked.\n", SRC, "markdown")
    assert (md.title, md.text, md.tags) == ("Moving billing off the monolith", "I led it.\nIt worked.", [])
    plain = parse("\ufeffOutage I caused\nI skipped the canary.".encode(), SRC, "markdown")
    assert (plain.title, plain.text) == ("Outage I caused", "I skipped the canary.")


def test_yaml_story_with_tags_as_a_list_or_a_string():
    doc = b"title: Growing two leads\ntags: [Mentoring, delegation, mentoring]\ntext: |\n  I paired on design docs.\n"
    story = parse(doc, "Story file s.yaml", "yaml")
    assert (story.title, story.text, story.tags) == ("Growing two leads", "I paired on design docs.", ["mentoring", "delegation"])
    assert parse(b"title: T\ntags: a, b\ntext: x y\n", SRC, "yaml").tags == ["a", "b"]


def test_standard_input_is_yaml_only_when_it_is_a_mapping_with_text():
    assert parse(b"title: T\ntext: The story.\n", "Standard input").text == "The story."
    as_md = parse(b"Title: why we rewrote search\nWe had 3 outages.\n", "Standard input")
    assert (as_md.title, as_md.text) == ("Title: why we rewrote search", "We had 3 outages.")
    assert fmt_for("a.YML") == "yaml" and fmt_for("a.md") == fmt_for("a.txt") == "markdown"


def test_invalid_utf8_names_the_file_and_the_line():
    err = refused("# Title\nfirst line\ncaf\u00e9".encode("latin-1"))
    assert "not valid UTF-8" in err.message and "line 3" in err.message and "iconv" in err.hint


@pytest.mark.parametrize("raw", [b"", b"  \n\n\t\n"])
def test_empty_file_is_named(raw):
    assert "is empty" in refused(raw).message


def test_a_title_with_no_story_and_an_overlong_first_line_are_explained():
    assert "no text" in refused(b"# Just a title\n\n").message
    long_line = ("word " * 60).encode()
    err = refused(long_line + b"\nmore", "markdown")
    assert "line 1" in err.message and f"limit is {MAX_TITLE_CHARS}" in err.message and "first line" in err.hint


def test_a_story_over_the_answer_limit_is_refused_with_the_limit():
    err = refused(b"# Long\n" + b"x" * (MAX_ANSWER_CHARS + 1), "markdown")
    assert f"{MAX_ANSWER_CHARS:,}" in err.message and "answer limit" in err.message
    assert parse(b"# Fits\n" + b"x" * MAX_ANSWER_CHARS, SRC, "markdown").text  # the limit itself is allowed


@pytest.mark.parametrize("doc, says", [
    (b"title: T\ntext: x\nlesson: y\n", "unknown field 'lesson'"),
    (b"title: T\n", "field 'text' is missing"),
    (b"text: x\n", "field 'title' is missing"),
    (b"title: T\ntext: [a, b]\n", "field 'text' must be text"),
    (b"title: T\ntext: x\ntags: {a: 1}\n", "field 'tags' must be a list"),
    (b"- just\n- a list\n", "not a list"),
    (b"title: T\ntext: x\n  bad: indent: here\n", "line 3"),
])
def test_malformed_yaml_names_the_field_or_line(doc, says):
    err = refused(doc, "yaml", "Story file s.yaml")
    assert says in err.message


def test_typed_fields_are_checked_like_a_file():
    assert check_draft("  A   title ", " text ", "x, , y").tags == ["x", "y"]
    with pytest.raises(UserInputError, match="no title"):
        check_draft("", "text")
