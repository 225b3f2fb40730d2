"""What leaves the machine: only a configured remote backend gets anything, redacted when asked, and
every call to it leaves an audit line that says what was sent without holding the text."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from coach.config import Settings
from coach.errors import UserInputError
from coach.llm import create_backend
from coach.llm.base import Message, RenderedPrompt, Sampling
from coach.llm.privacy import AUDIT_FILE, GuardedBackend, Redactor, guard, is_remote, load_names
from coach.testing import FakeBackend

ANSWER = ("At Acme Payments I led the migration with Dana Whitfield; mail me at dana.w@acme-pay.com or call "
          "+44 20 7946 0958, runbook at https://wiki.acme-pay.com/runbooks/ledger?id=7. We cut p99 from 800 ms "
          "to 200 ms at 20k writes per second on 2024-03-15, across 40 gateway instances (10.0.0.12).")


@pytest.mark.parametrize(("endpoint", "remote"), [
    ("http://127.0.0.1:8000/v1", False), ("http://localhost:11434", False), ("http://[::1]:8080/v1", False),
    ("http://127.0.0.2:9000", False), ("https://api.openai.com/v1", True), ("http://10.1.2.3:8000/v1", True),
    ("http://gpu-box.lan:8000", True), ("in-memory", False), ("in-process llama.cpp (model.gguf)", False),
])
def test_only_endpoints_off_this_machine_are_remote(endpoint, remote):
    assert is_remote(endpoint) is remote


def test_redaction_takes_contacts_links_and_listed_names_and_keeps_the_engineering():
    counts = Counter()
    out = Redactor(["Acme Payments", "Acme", "Dana Whitfield"])(ANSWER, counts)
    for secret in ("Acme", "Dana", "dana.w@", "7946", "wiki.acme-pay.com"):
        assert secret not in out, (secret, out)
    for kept in ("p99 from 800 ms", "20k writes per second", "2024-03-15", "40 gateway instances", "10.0.0.12"):
        assert kept in out, (kept, out)
    assert counts == {"url": 1, "email": 1, "phone": 1, "name": 2}
    assert out.startswith("At [name] I led the migration with [name]; mail me at [email] or call [phone]")


def test_names_match_whole_words_in_any_case_longest_first():
    counts = Counter()
    out = Redactor(["Acme", "Acme Payments", "Bo"])("acme payments and ACME, not Acmeville; Bo, not Bob.", counts)
    assert out == "[name] and [name], not Acmeville; [name], not Bob." and counts["name"] == 3


def test_the_names_file_is_read_with_clear_errors(tmp_path):
    f = tmp_path / "names.txt"
    f.write_text("# employers\nAcme Payments\n\n  Dana Whitfield  \n", encoding="utf-8")
    assert load_names(f) == ["Acme Payments", "Dana Whitfield"] and load_names(None) == []
    with pytest.raises(UserInputError, match="does not exist"):
        load_names(tmp_path / "missing.txt")
    f.write_bytes(b"Acme \xff\xfe")
    with pytest.raises(UserInputError, match="not UTF-8"):
        load_names(f)


def _prompt(text: str, style: str = "chat") -> RenderedPrompt:
    if style == "chat":
        return RenderedPrompt("judge", "abc123", "chat", messages=(Message("system", "Score it."), Message("user", text)))
    return RenderedPrompt("judge", "abc123", "completion", text=text)


def test_a_remote_call_is_redacted_and_audited_without_the_text(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Acme Payments\nDana Whitfield\n", encoding="utf-8")
    fake = FakeBackend(["fine", "fine"], style="chat", endpoint="https://llm.example.com/v1")
    backend = guard(fake, tmp_path, redact=True, names_file=names)
    assert isinstance(backend, GuardedBackend)
    backend.generate(_prompt(ANSWER), Sampling(seed=1))
    backend.generate_many([_prompt("call +1 415 555 0100", "chat")], [Sampling(seed=2)])
    sent = [c.prompt.messages[1].content for c in fake.calls]
    assert "dana.w@acme-pay.com" not in sent[0] and "[email]" in sent[0] and sent[1] == "call [phone]"
    lines = [json.loads(line) for line in (tmp_path / AUDIT_FILE).read_text().splitlines()]
    assert [line["redacted"] for line in lines] == [{"email": 1, "name": 2, "phone": 1, "url": 1}, {"phone": 1}]
    first = lines[0]
    assert first["endpoint"] == "https://llm.example.com/v1" and first["prompt"] == "judge" and first["redaction"] == "on"
    assert first["chars"] == len(_prompt(sent[0]).cache_text()) and first["model"] == "fake-model" and first["at"]
    log = (tmp_path / AUDIT_FILE).read_text()
    assert "Acme" not in log and "Dana" not in log and "acme-pay" not in log  # the log never holds the text


def test_without_redaction_a_remote_call_is_still_audited_and_sent_as_is(tmp_path):
    fake = FakeBackend(["fine"], endpoint="http://10.0.0.5:8000/v1")
    guard(fake, tmp_path, redact=False, names_file=None).generate(_prompt(ANSWER, "completion"), Sampling(seed=1))
    assert fake.calls[0].prompt.text == ANSWER
    (line,) = [json.loads(x) for x in (tmp_path / AUDIT_FILE).read_text().splitlines()]
    assert line["redaction"] == "off" and line["redacted"] == {} and line["chars"] == len(ANSWER)


def test_local_backends_are_not_wrapped_and_write_no_audit_log(tmp_path):
    fake = FakeBackend(["fine"], endpoint="http://127.0.0.1:8000/v1")
    assert guard(fake, tmp_path, redact=True, names_file=None) is fake
    local = create_backend(Settings(data_dir=tmp_path, backend="openai", openai_base_url="http://127.0.0.1:1/v1", redact="on"))
    remote = create_backend(Settings(data_dir=tmp_path, backend="openai", openai_base_url="https://llm.example.com/v1"))
    embedded = create_backend(Settings(data_dir=tmp_path, backend="embedded", model_path=tmp_path / "absent.gguf"))
    assert not isinstance(local, GuardedBackend) and not isinstance(embedded, GuardedBackend)  # the model is not even looked for
    assert isinstance(remote, GuardedBackend) and remote.redactor is None and remote.name == "openai"
    assert not (tmp_path / AUDIT_FILE).exists()
