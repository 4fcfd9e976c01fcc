"""Chat benchmarks: offline turns, 200 concurrent sessions over HTTP, LLM prompt tokens.

- Offline: N conversations of five turns each through ``CustomerChat`` in process (SQLite),
  turns per second and per-turn median and p99.
- Over HTTP: paced sessions against real server processes, in ``bench/load.py``.
- Tokens: prompt tokens of one LLM turn (system prompt, tool specs, the customer's message)
  with 1 supplier and with 1,000 suppliers in the store, counted with tiktoken's o200k_base
  encoding. tiktoken downloads its rank files at run time, so the ranks are read from the
  copy the bpe-openai wheel ships; without it the count falls back to characters / 4 and says
  so.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from graph.chat_graph import CustomerChat
from graph.chat_llm import system_prompt, tool_specs
from graph.chat_tools import order_snapshot
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger.repository import import_orders
from policies.loader import orders_from_data, store_from_data

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
SCRIPT = (
    "hi, I need to return something",
    "order {n}",
    "c{n}@example.com",
    "the mug arrived cracked, store credit please",
    "yes",
)
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:<26} n={len(values):<6} median={statistics.median(values) * 1000:7.2f} ms"
        f"  p99={percentile(values, 0.99) * 1000:7.2f} ms"
    )


def make_desk(path: Path, customers: int, suppliers: int = 1) -> ReturnsDesk:
    agreements: list[dict[str, Any]] = [
        {"id": "acme", "name": "Acme Home Goods", "country": "US", "return_address": "Acme, Fresno"}
    ]
    agreements += [{"id": f"s{i}", "name": f"Supplier {i}"} for i in range(suppliers - 1)]
    store = store_from_data({"photo_required_reasons": []}, agreements)
    desk = ReturnsDesk(f"sqlite:///{path}", store, FrozenClock(NOW))
    orders = [
        {
            "number": str(n),
            "email": f"c{n}@example.com",
            "country": "US",
            "placed_at": "2026-03-01T10:00:00Z",
            "delivered_at": "2026-03-05T10:00:00Z",
            "items": [
                {"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}
            ],
        }
        for n in range(10_000, 10_000 + customers)
    ]
    with desk.session() as session:
        import_orders(session, orders_from_data(orders, "bench", store), "USD")
    return desk


def bench_offline(folder: Path, conversations: int) -> None:
    desk = make_desk(folder / "chat-offline.db", conversations)
    chat = CustomerChat(desk, "offline")
    times: list[float] = []
    started = time.perf_counter()
    for i in range(conversations):
        n = 10_000 + i
        sid = chat.open_session()
        for text in SCRIPT:
            begun = time.perf_counter()
            chat.say(sid, text.format(n=n))
            times.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    cases = len(desk.cases_for_order("10000"))
    desk.close()
    assert cases == 1, "the scripted conversation should open one case"
    print(f"chat, offline backend, {conversations} conversations of {len(SCRIPT)} turns:")
    print(f"  turns per second: {len(times) / elapsed:,.1f}")
    print(line("per turn", times))


def o200k_counter() -> tuple[Callable[[str], int], str]:
    """Token counting with tiktoken's o200k_base, ranks from the bpe-openai wheel."""
    try:
        import tiktoken

        data = resources.files("bpe_openai").joinpath("data/o200k_base.tiktoken.gz").read_bytes()
        ranks = {
            base64.b64decode(token): int(rank)
            for token, rank in (
                row.split() for row in gzip.decompress(data).decode().splitlines() if row
            )
        }
        encoding = tiktoken.Encoding(
            name="o200k_base",
            pat_str=O200K_PATTERN,
            mergeable_ranks=ranks,
            special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
        )
        return (lambda text: len(encoding.encode(text, disallowed_special=()))), (
            "tiktoken o200k_base (ranks from the bpe-openai wheel)"
        )
    except (ImportError, FileNotFoundError, ModuleNotFoundError) as error:
        return (lambda text: max(1, len(text) // 4)), (
            f"characters / 4 (no offline tiktoken ranks: {type(error).__name__})"
        )


def bench_tokens(folder: Path) -> None:
    count, how = o200k_counter()
    figures = []
    for suppliers in (1, 1000):
        desk = make_desk(folder / f"chat-tokens-{suppliers}.db", 1, suppliers)
        verified = order_snapshot(desk, "10000", "c10000@example.com")
        messages = [
            {"role": "system", "content": system_prompt(desk, verified)},
            {"role": "user", "content": "the mug arrived cracked, can I get a refund?"},
        ]
        prompt = json.dumps(messages) + json.dumps(tool_specs())
        figures.append((suppliers, count(prompt)))
        desk.close()
    print(f"LLM prompt tokens per turn ({how}):")
    for suppliers, tokens in figures:
        print(f"  {suppliers:>5} supplier(s) in the store: {tokens} tokens")
    grows = figures[1][1] > figures[0][1]
    print(f"  grows with the number of suppliers: {'yes' if grows else 'no'}")


def run(folder: Path, conversations: int = 100) -> None:
    bench_offline(folder, conversations)
    bench_tokens(folder)
