"""Starting the web app safely: loopback by default, a login on any other address, no share links.

    python app.py [--host H] [--port N] [--auth user:password]

Flags override COACH_HOST, COACH_PORT and COACH_AUTH. The app refuses to listen beyond this machine
without a login, because it holds people's career stories.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys

from coach.errors import UserInputError


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or a wildcard such as 0.0.0.0 is reachable from elsewhere


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """'user:password', or several separated by commas ('alice:pw1,bob:pw2'), as (user, password)
    pairs; None when not given. A password may hold ':' but not ','."""
    if value is None or not value.strip():
        return None
    logins = []
    for entry in value.split(","):
        user, sep, password = entry.strip().partition(":")
        if not sep or not user.strip() or not password:
            raise UserInputError("The web login must look like user:password (both parts non-empty), several separated by commas.",
                                 "Pass --auth user:password or set COACH_AUTH=user:password (or alice:pw1,bob:pw2).")
        logins.append((user.strip(), password))
    users = [u for u, _ in logins]
    if len(set(users)) != len(users):
        raise UserInputError(f"The web logins name a user twice: {', '.join(sorted({u for u in users if users.count(u) > 1}))}.",
                             "Give each person one user:password entry.")
    return logins


def check_exposure(host: str, auth: list[tuple[str, str]] | None) -> None:
    """Refuse to serve beyond loopback without a login."""
    if not is_loopback(host) and auth is None:
        raise UserInputError(
            f"Refusing to listen on {host} without a login: the app would be reachable from other machines.",
            "Add --auth user:password (or COACH_AUTH=user:password), or listen on 127.0.0.1.",
        )


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="The interview coach in the browser.")
    parser.add_argument("--host", help="address to listen on (default: COACH_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: COACH_PORT or 7860)")
    parser.add_argument("--auth", metavar="USER:PASSWORD[,USER:PASSWORD...]",
                        help="login required on any address but loopback (or COACH_AUTH); several logins keep separate histories")
    return parser.parse_args(sys.argv[1:] if argv is None else argv)
