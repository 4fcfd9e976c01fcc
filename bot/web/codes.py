"""The returns page's "don't know your order number?" path: a one-time code by e-mail (or by
text message for an order without e-mail) that lists the customer's orders.

``POST /api/returns/code`` answers the same sentence whether or not the address has orders;
``POST /api/returns/code/orders`` gives the orders for the right code, and nothing else before.
The customer then picks an order and the page looks it up with its number and the address,
as if typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bot.web.deps import DeskDep
from graph.order_codes import ask_for_code, orders_by_code


class CodeRequest(BaseModel):
    contact: str = Field(max_length=320)


class CodeCheck(BaseModel):
    contact: str = Field(max_length=320)
    code: str = Field(max_length=32)


router = APIRouter()


@router.post("/api/returns/code", status_code=202)
def send(body: CodeRequest, desk: DeskDep) -> dict[str, Any]:
    return {"message": ask_for_code(desk, body.contact)}


@router.post("/api/returns/code/orders")
def orders(body: CodeCheck, desk: DeskDep) -> dict[str, Any]:
    listing = orders_by_code(desk, body.contact, body.code)
    return {
        "orders": [
            {
                "order": order.number,
                "placed_on": f"{order.placed_at:%Y-%m-%d}",
                "items": list(order.items),
                "delivered": order.delivered,
            }
            for order in listing
        ]
    }
