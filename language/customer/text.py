"""Normalising customer text and correcting typos against the words the parsers know."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

REAL_WORDS_FILE = Path(__file__).with_name("real_words.txt")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Short forms people type; expanded before matching so "dont", "doesnt", "wont" read as words.
_CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "wont": "won't",
    "cant": "can't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "arent": "aren't",
    "im": "i'm",
    "ive": "i've",
    "thx": "thanks",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "r": "are",
    "n't": "not",
    "dosent": "doesn't",
    "dosnt": "doesn't",
    "doesent": "doesn't",
    "dosen't": "doesn't",
    "doesen't": "doesn't",
    "doent": "doesn't",
    "doenst": "doesn't",
    "did'nt": "didn't",
    "does'nt": "doesn't",
    "do'nt": "don't",
    "is'nt": "isn't",
    "wo'nt": "won't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
    "wouldnt": "wouldn't",
    "whats": "what's",
    "wheres": "where's",
    "whens": "when's",
    "hows": "how's",
    "thats": "that's",
    "id": "i'd",
    "ill": "i'll",
}


def fold(text: str) -> str:
    """Lower case, straight quotes, no accents, single spaces."""
    text = str(text)
    if not text.isascii():  # plain ASCII has no curly quotes and nothing to decompose
        text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


def words(text: str) -> list[str]:
    """The words of folded text, contractions expanded."""
    return list(_words(str(text)))


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    # One message is split into words by many readers (each vocabulary, the dialogue).
    return tuple(_CONTRACTIONS.get(w, w) for w in _WORD.findall(fold(text)))


@lru_cache(maxsize=64)
def _vocabulary(vocabulary: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(vocabulary), vocabulary


def correct(tokens: Iterable[str], vocabulary: tuple[str, ...]) -> list[str]:
    """Replace a misspelt token by the closest vocabulary word.

    Only tokens of four letters or more that are neither known nor ordinary English words
    ("ship" is not "chip", "take" is not "fake") are corrected: one edit
    (a letter wrong, missing, extra, or two swapped) for words up to six letters, two for
    longer ones, and only when a single vocabulary word is that close. "craked" becomes
    "cracked", "retrun" becomes "return", "replacment" becomes "replacement"; SKUs, numbers
    and short words stay as typed.
    """
    known, choices = _vocabulary(vocabulary)
    real = real_words()
    out = []
    for token in tokens:
        if token in known or len(token) < 4 or not token.isalpha() or token in real:
            out.append(token)
            continue
        limit = 1 if len(token) <= 6 else 2
        close = process.extract(token, choices, scorer=OSA.distance, score_cutoff=limit, limit=3)
        best = [c for c in close if abs(len(c[0]) - len(token)) <= limit]
        tied = [c[0] for c in best if best and c[1] == best[0][1]]
        # Tied words that are forms of one word ("broke", "broken") are as good as one.
        if tied and _shared_start(tied) >= min(4, len(tied[0])):
            out.append(tied[0])
        else:
            out.append(token)
    return out


@lru_cache(maxsize=1)
def real_words() -> frozenset[str]:
    """English words a vocabulary word is one or two edits from ("ship" and "chip", "well"
    and "fell"): typed, they are meant as themselves and are never corrected. The list is
    made by ``python -m language.customer.wordlist`` from a spelling dictionary."""
    return frozenset(REAL_WORDS_FILE.read_text(encoding="utf-8").split())


def _shared_start(candidates: list[str]) -> int:
    """How many leading letters all candidates share."""
    length = 0
    for letters in zip(*candidates, strict=False):
        if len(set(letters)) != 1:
            break
        length += 1
    return length


def corrected_text(text: str, vocabulary: tuple[str, ...]) -> str:
    """The folded text as words, typos of vocabulary words corrected, joined by spaces."""
    return " ".join(correct(words(text), vocabulary))


def has_phrase(text: str, phrase: str) -> bool:
    """Whole-word phrase match on space-joined words."""
    # The plain substring test first: most phrases are not in a message at all.
    return phrase in text and _phrase_pattern(phrase).search(text) is not None


def find_phrase(text: str, phrase: str) -> Iterator[re.Match[str]]:
    """Every whole-word occurrence of the phrase in space-joined words."""
    if phrase not in text:
        return iter(())
    return _phrase_pattern(phrase).finditer(text)


@cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Compiled once per phrase: the vocabulary has more phrases than ``re`` keeps compiled
    # (512), so leaving it to ``re.search`` compiled them again on every message.
    return re.compile(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])")


# Small words that join a phrase but say nothing of it: never a target of typo correction
# (else "werk" could be "were" as well as "work", and would stay uncorrected).
FUNCTION_WORDS = frozenset(
    {
        "about",
        "after",
        "also",
        "been",
        "before",
        "does",
        "done",
        "each",
        "even",
        "from",
        "have",
        "here",
        "into",
        "just",
        "make",
        "many",
        "more",
        "most",
        "much",
        "must",
        "only",
        "over",
        "same",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
    }
)

NEGATORS = frozenset({"not", "no", "never", "isn't", "wasn't", "aren't", "weren't", "nothing"})


def negated_at(tokens: list[str], index: int, window: int = 3) -> bool:
    """Is the word at ``index`` preceded (within ``window`` words) by a negation?"""
    start = max(0, index - window)
    return any(
        token in NEGATORS
        and not (token == "no" and position + 1 < len(tokens) and tokens[position + 1].isdigit())
        for position, token in enumerate(tokens[:index])
        if position >= start
    )  # "item no. 3, it flickers": "no" before a number is a number
