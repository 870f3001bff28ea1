"""What a course code may be: one Unicode form (NFC), no invisible, control or direction characters,
no `..`, and not a lookalike of a code that exists (`DEMO-CS1O5` beside `DEMO-CS105`)."""

from __future__ import annotations

import re
import unicodedata

# Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned characters, and
# line or paragraph separators: none shows in a list of courses, so two codes could look the same.
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Characters people (and attackers) swap for one another in codes; each maps to one representative.
CONFUSABLE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "8": "b"})
SEPARATORS = re.compile(r"[\W_]+")


def normalise(code: str) -> str:
    """The code in Unicode NFC without surrounding spaces (one spelling per code)."""
    return unicodedata.normalize("NFC", code).strip()


def problem(code: str) -> str | None:
    """Why `code` cannot name a course, or None."""
    hidden = sorted({f"U+{ord(c):04X}" for c in code if unicodedata.category(c) in HIDDEN_CATEGORIES})
    if hidden:
        return f"course code has invisible or control characters: {', '.join(hidden)}"
    if ".." in code:
        return "course code contains '..'"
    return None


def skeleton(code: str) -> str:
    """What the code looks like: compatibility forms folded, case, separators and confusable
    characters ignored; two codes with one skeleton are lookalikes."""
    folded = unicodedata.normalize("NFKC", code).casefold()
    return SEPARATORS.sub("", folded).translate(CONFUSABLE)
