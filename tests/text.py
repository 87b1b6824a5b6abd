"""Hypothesis strategies for text from the whole Unicode range, lone surrogates included.

`st.text()` never draws a surrogate (category Cs), and even `st.characters(exclude_categories=())`
draws one about once in a thousand strings: JSON's `"\\ud800"` puts one in a Python `str`, so
these strategies draw them often on purpose.
"""

from __future__ import annotations

from hypothesis import strategies as st

ANY_CHARACTER = st.characters(exclude_categories=()) | st.characters(categories=["Cs"]).map(str)
"""Any code point, U+0000 to U+10FFFF, about half of them lone surrogates (`.map` keeps
Hypothesis from merging the two ranges into one where surrogates are rare again)."""


def any_text(*, min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    """Strings of `ANY_CHARACTER`."""
    return st.text(ANY_CHARACTER, min_size=min_size, max_size=max_size)


def is_encodable(text: str) -> bool:
    """True if `text` encodes as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
