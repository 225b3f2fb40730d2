"""What leaves the machine: redaction before every call to a remote backend, and a local audit log.

A backend is *remote* when its endpoint is not this machine (the embedded model, and servers on
127.0.0.1 / localhost / ::1, are local). Nothing is sent anywhere unless the user configured such a
backend. For a remote backend:

- with `COACH_REDACT=on`, every prompt is redacted before it is sent: e-mail addresses, phone
  numbers, URLs, and every name in the user's list (`COACH_REDACT_NAMES_FILE`, one name per line:
  employers, customers, colleagues), each replaced by a bracketed placeholder (`[email]`, `[name]`);
- every call writes one JSON line to `$COACH_DATA_DIR/audit.log`: when, where (backend, model,
  endpoint), which prompt (id and template hash), how many characters were sent, and how many of
  each kind were redacted. The log never holds the text itself.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

from coach.errors import StorageError, UserInputError, storage_error
from coach.llm.base import BackendWrapper, Generation, LLMBackend, Message, RenderedPrompt, Sampling

# Patterns, most specific first: a URL may contain an e-mail-like part, and a phone pattern would
# match the digits inside a URL.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    # Groups of digits separated by spaces, dots or dashes, optionally with a country code or an
    # area code in brackets; `_phone` keeps only those with 8-15 digits that are not a date or an IP.
    ("phone", re.compile(r"(?<![\w.+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w]|\.\d)")),
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _is_phone(match: str) -> bool:
    digits = sum(c.isdigit() for c in match)
    return 8 <= digits <= 15 and not _DATE.fullmatch(match) and not _IP.fullmatch(match)
MAX_NAMES = 5_000
AUDIT_FILE = "audit.log"
_LOCAL_HOSTS = {"localhost", "localhost.localdomain", ""}
_write_lock = threading.Lock()


def is_remote(endpoint: str) -> bool:
    """Whether calls to `endpoint` leave this machine. A path or an in-memory endpoint is local."""
    if "://" not in endpoint:
        return False
    host = (urlparse(endpoint).hostname or "").lower()
    if host in _LOCAL_HOSTS:
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name other than localhost


def load_names(path: Path | None) -> list[str]:
    """The user's list of names to redact: one per line, blank lines and '#' comments skipped."""
    if path is None:
        return []
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise UserInputError(f"The redaction names file {path} does not exist.",
                             "Create it (one name per line) or unset COACH_REDACT_NAMES_FILE.") from err
    except UnicodeDecodeError as err:
        raise UserInputError(f"The redaction names file {path} is not UTF-8 text (byte {err.start}).",
                             "Save it as UTF-8, one name per line.") from err
    names = [line.strip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(names) > MAX_NAMES:
        raise UserInputError(f"The redaction names file {path} has {len(names)} names; the limit is {MAX_NAMES}.",
                             "Keep the names that matter: employers, customers, colleagues.")
    return names


class Redactor:
    """Replaces personal details with placeholders and counts what it replaced."""

    def __init__(self, names: Sequence[str] = ()):
        # Longest first, so "Acme Payments" goes before "Acme"; whole words only, any case.
        ordered = sorted({n for n in names if n}, key=len, reverse=True)
        self._names = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)", re.IGNORECASE) if ordered else None

    def __call__(self, text: str, counts: Counter) -> str:
        for kind, pattern in PATTERNS:
            def swap(m: re.Match, kind: str = kind) -> str:
                if kind == "phone" and not _is_phone(m.group()):
                    return m.group()
                counts[kind] += 1
                return f"[{kind}]"

            text = pattern.sub(swap, text)
        if self._names is not None:
            text, n = self._names.subn("[name]", text)
            counts["name"] += n
        return text


class GuardedBackend(BackendWrapper):
    """A remote backend behind redaction (when on) and the audit log (always)."""

    def __init__(self, inner: LLMBackend, audit_path: Path, redactor: Redactor | None):
        super().__init__(inner)
        self.audit_path = audit_path
        self.redactor = redactor

    def _outgoing(self, prompt: RenderedPrompt) -> RenderedPrompt:
        counts: Counter = Counter()
        if self.redactor is not None:
            prompt = replace(prompt, text=self.redactor(prompt.text, counts),
                             messages=tuple(Message(m.role, self.redactor(m.content, counts)) for m in prompt.messages))
        self._audit(prompt, counts)
        return prompt

    def _audit(self, prompt: RenderedPrompt, counts: Counter) -> None:
        line = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "backend": self.name,
            "model": self.inner.model,
            "endpoint": self.endpoint,
            "prompt": prompt.prompt_id,
            "prompt_hash": prompt.prompt_hash,
            "chars": len(prompt.cache_text()),
            "redaction": "on" if self.redactor is not None else "off",
            "redacted": {k: v for k, v in sorted(counts.items()) if v},
        }
        try:
            self.audit_path.parent.mkdir(parents=True, exist_ok=True)
            with _write_lock, self.audit_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as err:  # no call leaves the machine without its line in the log
            raise storage_error("the audit log", self.audit_path, err) or StorageError(
                f"Cannot write the audit log {self.audit_path}: {err}.",
                "Check that COACH_DATA_DIR is writable; no call is sent to a remote backend without it.") from err

    def generate(self, prompt: RenderedPrompt, sampling: Sampling, repeat: int = 0) -> Generation:
        return self.inner.generate(self._outgoing(prompt), sampling, repeat=repeat)

    def generate_many(self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling], repeat: int = 0):
        return self.inner.generate_many([self._outgoing(p) for p in prompts], samplings, repeat=repeat)


def guard(backend: LLMBackend, data_dir: Path, redact: bool, names_file: Path | None) -> LLMBackend:
    """`backend` as it should be used: unchanged when local, guarded when its endpoint is remote."""
    if backend.in_process or not is_remote(backend.endpoint):
        return backend
    return GuardedBackend(backend, data_dir / AUDIT_FILE, Redactor(load_names(names_file)) if redact else None)
