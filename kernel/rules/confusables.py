"""A visual skeleton for hosts: non-Latin lookalike letters folded to the Latin they mimic."""

from __future__ import annotations

import unicodedata

# The lookalikes that matter for domain spoofing (after UTS #39 confusables, trimmed to
# single letters that render like a lowercase Latin letter in common fonts).
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i",
    "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "п": "n", "о": "o", "р": "p",
    "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "ц": "u", "ѵ": "v", "ԝ": "w", "х": "x",
    "у": "y", "з": "3", "ь": "b", "ɑ": "a",
    # Greek
    "α": "a", "β": "b", "ϲ": "c", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w",
    # Latin extensions and others that pass IDNA
    "ı": "i", "ɡ": "g", "ɩ": "i", "ʀ": "r", "ꞁ": "l", "ℓ": "l", "ǀ": "l",
    "օ": "o", "ս": "u", "ց": "g", "զ": "q",  # Armenian
}
_TABLE = str.maketrans(_LOOKALIKES)


def skeleton(text: str) -> str:
    """Fold a (unicode) host to what it looks like: lowercase ASCII where a lookalike exists.

    ASCII text is returned unchanged, so only hosts that use non-ASCII letters can be
    folded onto an ASCII name.
    """
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).lower().translate(_TABLE)
    # Drop accents: "bänk" looks close enough to "bank" to count for a deny.
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
