"""Counted nouns as people write them: "1 lead", "3 leads", "1 training flag"."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`count` and the noun in the number it takes; `many` for irregular plurals."""
    word = singular if count == 1 else (many or f"{singular}s")
    return f"{count:,} {word}"
