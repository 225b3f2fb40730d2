"""Where each login's sessions database lives when the web app serves several people
(`COACH_AUTH=alice:pw,bob:pw`): `$COACH_DATA_DIR/users/<name>-<hash>/sessions.sqlite3`. The web
app opens them (`coach.web.common`); `coach forget` searches them too."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

USERS = "users"


def login_dir(data_dir: Path, login: str) -> Path:
    """Where one login's sessions database lives: a readable name plus a hash, so no two logins
    (and no name with path characters in it) can meet."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", login)[:40] or "_"
    return Path(data_dir) / USERS / f"{safe}-{hashlib.sha256(login.encode()).hexdigest()[:10]}"


def login_databases(data_dir: Path) -> list[Path]:
    """Every login's sessions database under `data_dir`, in a stable order."""
    return sorted((Path(data_dir) / USERS).glob("*/sessions.sqlite3"))
