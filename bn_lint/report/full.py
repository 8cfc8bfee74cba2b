"""The default human format: the finding, its source line and a caret under the span."""
from __future__ import annotations

from typing import TextIO

from ..finding import Finding, Severity


def render(findings: list[Finding], stream: TextIO, context) -> None:
    if not findings:
        return  # nothing to print: rich is not even imported
    from rich.console import Console
    from rich.markup import escape

    color = getattr(context, "color", "auto")
    console = Console(file=stream, highlight=False, soft_wrap=True,
                      force_terminal=True if color == "always" else None, no_color=color == "never" or None)
    for f in findings:
        colour = "red" if f.severity is Severity.ERROR else "yellow"
        fixable = " [cyan]\\[*][/cyan]" if context.applicable(f) else ""
        console.print(
            f"[bold]{escape(f.path)}[/bold]:{escape(f.location[len(f.path) + 1:])}: [bold {colour}]{f.code}[/]{fixable} "
            f"{escape(f.message)} [dim]({f.name})[/dim]"
        )
        text = context.text_of(f)
        if text is not None:
            text = text.expandtabs(1).rstrip("\r\n")
            gutter = f"{f.line:>4} | "
            console.print(f"[dim]{gutter}[/dim]{escape(text)}")
            start = max(f.column - 1, 0)
            end = f.end_column - 1 if f.end_line == f.line else len(text)
            width = max(1, min(end, len(text)) - start)
            console.print(" " * len(gutter) + " " * start + f"[bold {colour}]" + "^" * width + "[/]")
        if f.fix:
            unsafe = "" if f.fix.safe else " (unsafe fix: --unsafe-fixes)"
            console.print(f"  [cyan]help:[/cyan] {escape(f.fix.description)}{unsafe}")
        console.print()
