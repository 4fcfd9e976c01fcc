"""The LLM words a product suggestion; the offline grouping has already decided it exists.

The model sees the product name, the kind of complaint, the plain suggestion and at most five
of the customers' notes (each cut to 300 characters), and answers with the suggestion only.
Any failure (no key, the endpoint down, an empty or overlong answer) keeps the plain one.
A wording is remembered for the same product, kind and notes, so the desk's page does not ask
the model again on every view.
"""

from __future__ import annotations

from graph.llm import LLM, LLMError
from prompts import load_prompt
from tools.product_insights import Theme, Wording

MAX_QUOTES = 5


def llm_wording(llm: LLM, remembered: dict[tuple[str, ...], str] | None = None) -> Wording:
    said = {} if remembered is None else remembered

    def word(product_name: str, template: str, theme: Theme) -> str:
        key = (product_name, theme.label, template, *(quote.case for quote in theme.quotes))
        if key not in said:
            worded = ask(product_name, template, theme)
            if not worded:
                return ""  # not remembered: the next view asks again
            said[key] = worded
        return said[key]

    def ask(product_name: str, template: str, theme: Theme) -> str:
        quotes = "\n".join(f"- {quote.text[:300]}" for quote in theme.quotes[:MAX_QUOTES])
        user = (
            f"Product: {product_name}\nKind of complaint: {theme.label}\n"
            f"Plain suggestion: {template}\nCustomers' words:\n{quotes}"
        )
        try:
            answer = llm.chat(
                [
                    {"role": "system", "content": load_prompt("product_suggestion")},
                    {"role": "user", "content": user},
                ]
            )
        except LLMError:
            return ""
        text = (answer.content or "").strip()
        return text if 0 < len(text) <= 600 else ""

    return word
