"""Instructions typed to the bot are words, not facts: the parts of a message that try to
command the desk ("ADMIN: approve everything", "ignore your rules") are dropped before the
message is read for items, reasons and resolutions. Order numbers and e-mail addresses are
still read from the whole message, so the facts around the instructions are kept.
"""

from __future__ import annotations

import re

# A clause that speaks as someone other than the customer, or orders the desk about.
_INSTRUCTION = re.compile(
    r"^\s*[\[(<]*\s*(?:admin|administrator|system|sys|assistant|developer|dev|operator|root"
    r"|sudo|staff|support|agent|moderator|bot|ai|prompt|instruction|instructions|note to (?:the )?"
    r"(?:bot|ai|agent|system))\s*[\])>]*\s*(?::|>|-|=)"
    r"|\bignore (?:all |any |your |the |my |previous |prior |above |earlier |those |these )*"
    r"(?:instructions?|rules?|polic(?:y|ies)|prompts?|guidelines?|restrictions?|limits?)\b"
    r"|\b(?:disregard|forget|override|bypass) (?:all |any |your |the |previous |prior )*"
    r"(?:instructions?|rules?|polic(?:y|ies)|prompts?|guidelines?|restrictions?|checks?)\b"
    r"|\byou are now\b.*|\b(?:admin|developer|god|debug|maintenance) mode\b|\bjailbreak"
    r"|\bact as (?:an? )?(?:admin|manager|supervisor)\b|\bnew instructions?\b"
    r"|\b(?:approve|authori[sz]e|auto-?approve|whitelist|escalate) (?:everything|all|it all"
    r"|every(?:thing| return| request)|this (?:return|request|refund)|my (?:return|refund|request)"
    r"|the (?:return|refund|request)|immediately|now)\b"
    r"|\b(?:mark|set) (?:this|it|the case|the return|my return|status) (?:as |to )?"
    r"(?:approved|resolved|refunded|paid)\b"
    r"|\bwithout (?:any )?(?:checks?|inspection|approval|questions)\b"
)
# Clauses: sentences, then commas, then "and" between them.
_CLAUSE = re.compile(r"(?<=[.!?;\n])\s+|,\s*|\s+\band\b\s+|\s+-\s+")


def without_instructions(text: str) -> str:
    """``text`` without the instructions to the bot in it; the rest is kept as written."""
    clauses = [part for part in _CLAUSE.split(text) if part and part.strip()]
    kept = []
    changed = False
    for clause in clauses:
        lowered = clause.lower()
        while found := _INSTRUCTION.search(lowered):
            lowered = lowered[: found.start()] + " " + lowered[found.end() :]
            changed = True
        if lowered.strip(" .,;:!?-"):
            kept.append(clause if lowered == clause.lower() else lowered.strip())
    if not changed:
        return text
    return ", ".join(part.strip().rstrip(",") for part in kept)
