"""Every rule code (the rule pages in rules/ and `bn-lint rules` list them), for validating selections cheaply,
and the exit codes of every command."""
from __future__ import annotations

KNOWN_CODES = frozenset(
    {
        "BN101", "BN102", "BN103", "BN104", "BN105",
        "BN201", "BN202", "BN203", "BN204", "BN205", "BN206",
        "BN301", "BN302", "BN303", "BN304",
        "BN401", "BN402", "BN403",
        "BN900", "BN901",
    }
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130  # (130: interrupted, as shells say)
EXIT_TERMINATED = 143  # (128 + SIGTERM, as shells say)
