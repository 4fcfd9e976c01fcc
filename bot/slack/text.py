"""Text the bot posts to Slack, made inert.

Slack reads ``<...>`` in a message as markup: ``<!channel>``, ``<!here>`` and ``<!everyone>``
notify a whole channel, ``<@U123>`` a person, ``<https://evil.example|your bank>`` shows a
link under a false name. Customers and suppliers write notes, questions and answers the bot
repeats to Slack, so every such text goes through :func:`escape` (``&``, ``<``, ``>`` as
Slack's ``&amp;``, ``&lt;``, ``&gt;``, shown as typed, never read as markup) in the Block Kit
fields and in the fallback ``text`` alike. ``@channel`` typed as a word is broken with an
invisible word joiner, so no client or ``link_names`` setting turns it into a mention.
A customer's note is quoted line by line (:func:`quote`), so nothing in it reads as the
bot's own words.
"""

from __future__ import annotations

import re

_WORD_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Any text for a Slack message (mrkdwn or fallback), with no markup left in it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _WORD_MENTION.sub("@" + WORD_JOINER, text)


def quote(text: str) -> str:
    """A multi-line text as a mrkdwn quote: every line prefixed with ``>``."""
    return "\n".join(">" + escape(line) for line in (text.splitlines() or [""]))
