"""Rebuild ``real_words.txt``: the English words that typo correction must leave alone.

``python -m language.customer.wordlist [DICTIONARY]`` reads a spelling dictionary (one word a
line; default ``/usr/share/dict/words``) and keeps every word that ``correct`` would otherwise
turn into a word of one of the understanding's vocabularies ("ship" into "chip", "take" into
"fake"), except plain inflections of that word ("refunds" may still become "refund"). Run it
after adding words to a vocabulary; a unit test checks the shipped list is current when a
dictionary is installed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from language.customer import text

DEFAULT_DICTIONARY = Path("/usr/share/dict/words")
# Words never written to the list (it ships with the code); leaving one out only means it may
# be corrected like a typo.
_LEFT_OUT = ("fuck", "shit", "cunt", "nigg", "fagg", "wank", "piss", "porn", "dick", "cock")


def vocabularies() -> list[tuple[str, ...]]:
    from language.customer import intents, reasons, resolutions

    return [reasons.VOCABULARY, resolutions.VOCABULARY, intents.VOCABULARY]


def needed(dictionary: Iterable[str]) -> set[str]:
    """The dictionary words that correction changes into something other than their own form."""
    candidates = sorted(
        {
            word
            for word in (line.strip() for line in dictionary)
            if len(word) >= 4 and word.isalpha() and word.islower() and word.isascii()
        }
    )
    text.real_words.cache_clear()
    saved = text.REAL_WORDS_FILE
    text.REAL_WORDS_FILE = Path("/dev/null")
    try:
        found = set()
        for vocabulary in vocabularies():
            for word, fixed in zip(candidates, text.correct(candidates, vocabulary), strict=True):
                if fixed != word and not (word.startswith(fixed) or fixed.startswith(word)):
                    found.add(word)
    finally:
        text.REAL_WORDS_FILE = saved
        text.real_words.cache_clear()
    return {word for word in found if not any(part in word for part in _LEFT_OUT)}


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else DEFAULT_DICTIONARY
    words = needed(source.read_text(encoding="utf-8", errors="ignore").splitlines())
    text.REAL_WORDS_FILE.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{len(words)} words written to {text.REAL_WORDS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
