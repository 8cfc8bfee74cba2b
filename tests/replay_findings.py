"""Stand-in for ``bn-lint`` under a scorer that checks one case at a time: ``python replay_findings.py FINDINGS
check --format json --no-cache PATH`` prints the findings one bn-lint run over every case gave for ``PATH`` (from
the JSON file ``FINDINGS``), so a corpus is checked once instead of once per case, and scored by the scorer itself."""
from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    store, path = argv[1], os.path.realpath(argv[-1])
    with open(store, encoding="utf-8") as handle:
        found = json.load(handle)
    print(json.dumps([f for f in found if os.path.realpath(f["path"]) == path]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
