"""`python -m service instance-secret`: keep a secret and a VAPID key in the instance folder
(what scripts/demo.sh runs).

With SECRET_KEY unset, the server and every `flask --app wsgi …` command read it there (service.config).
"""

from __future__ import annotations

import sys

from flask import Flask

from service.config import instance_vapid_key, make_instance_secret


def main(argv: list[str]) -> int:
    if argv != ["instance-secret"]:
        print("usage: python -m service instance-secret", file=sys.stderr)
        return 2
    # The folder create_app reads: Flask's instance path of the service package.
    instance_path = Flask("service", instance_relative_config=True).instance_path
    make_instance_secret(instance_path)
    instance_vapid_key(instance_path, create=True)  # the web-push key pair (VAPID), when none is kept yet
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
