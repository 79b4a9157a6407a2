"""Flower's configuration file (`--conf=flowerconfig.py`): Flower never runs without a password.

Flower reads FLOWER_BASIC_AUTH=user:password from the environment itself (it is its
`--basic-auth` option); this file, which Flower executes at start, refuses to go on when it is
missing or weak, so a Flower started without credentials exits instead of serving task arguments
and worker controls to anyone who can reach its port. The password is never on a command line.
`make run` generates one (var/secrets/FLOWER_PASSWORD) and prints it.
"""

import os

MIN_PASSWORD_LENGTH = 16


def _credentials() -> str:
    value = os.environ.get("FLOWER_BASIC_AUTH", "")
    user, _, password = value.partition(":")
    if not user or len(password) < MIN_PASSWORD_LENGTH or "," in value:
        raise SystemExit(
            "flower: set FLOWER_BASIC_AUTH=user:password (one pair, no comma, "
            f"a password of at least {MIN_PASSWORD_LENGTH} characters)"
        )
    return value


basic_auth = [_credentials()]
