"""Orders from Shopify: its orders CSV export, or its Admin REST API.

**The export** (Admin → Orders → Export, "CSV for Excel, Numbers, or other spreadsheet
programs") has one row per line item; an order's first row carries the order's fields
(``Email``, ``Financial Status``, ``Created at``, ``Fulfilled at``, ``Shipping …``,
``Currency``, ``Id``) and its other rows only ``Name`` and the ``Lineitem …`` columns. Each
line item's ``Vendor`` names its supplier: it must match a supplier agreement's name or id
(ignoring case), else the import stops with the row and the vendor.

**The Admin API**: ``GET /admin/api/{version}/orders.json?status=any`` from a date on, page by
page; each line item's ``vendor`` the same way.

**Delivery date.** A return window counts from delivery. The API's fulfilment events say when
a parcel was delivered (``shipment_status: delivered``); the export has only ``Fulfilled at``
(when it shipped), so then delivery is taken as the fulfilment date plus ``transit_days``
(default 0: the window starts when the parcel left). An unfulfilled order is imported without
a delivery date (it can be returned once a later import or sync finds it delivered).

**Skipped**: cancelled orders, and orders whose financial status is ``pending``,
``authorized``, ``voided``, ``expired`` or ``refunded`` (nothing paid, or all paid back).
Line item price: ``Lineitem price`` less ``Lineitem discount`` spread over the units (rounded
down, so no refund can exceed what was paid).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ledger.repository import cases_for_order, find_order, import_orders
from policies.models import OrderSpec, Store
from policies.money import Money, MoneyError, exponent, parse_amount
from tools.http_service import ErrorFamily
from tools.service_errors import OrdersAuthFailed, OrdersRejected, OrdersUnavailable
from tools.shopify_client import ShopifyService

SKIPPED_FINANCIAL = frozenset({"pending", "authorized", "voided", "expired", "refunded"})
REQUIRED_COLUMNS = (
    "Name",
    "Email",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Vendor",
)
FAMILY = ErrorFamily(
    service="Shopify",
    unavailable=OrdersUnavailable,
    auth=OrdersAuthFailed,
    rejected=OrdersRejected,
)


class ShopifyOrdersError(ValueError):
    """An export or an API order that cannot become orders here; nothing was imported."""


@dataclass
class OrdersRead:
    orders: list[OrderSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "#1004: cancelled"


@dataclass(frozen=True)
class _Item:
    sku: str
    name: str
    price: str
    quantity: int
    supplier: str


def supplier_lookup(store: Store) -> dict[str, str]:
    """Vendor text (lower case) → supplier id, by each agreement's id and name."""
    names: dict[str, str] = {}
    for agreement in store.suppliers.values():
        names[agreement.id.strip().lower()] = agreement.id
        names[agreement.name.strip().lower()] = agreement.id
    return names


def _supplier(vendor: str, names: Mapping[str, str], where: str, item: str) -> str:
    found = names.get(vendor.strip().lower())
    if found is not None:
        return found
    known = ", ".join(sorted({v for v in names.values()}))
    if not vendor.strip():
        raise ShopifyOrdersError(
            f"{where}: item {item!r} has no Vendor, so its supplier is unknown "
            f"(suppliers: {known})."
        )
    raise ShopifyOrdersError(
        f"{where}: item {item!r} has vendor {vendor.strip()!r}, which matches no supplier "
        f"agreement by name or id (suppliers: {known}). Add an agreement for it in "
        "store/suppliers/ or correct the vendor."
    )


def _when(text: str, where: str, column: str) -> dt.datetime | None:
    value = text.strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
        try:
            return dt.datetime.strptime(value, pattern).astimezone(dt.UTC)
        except ValueError:
            pass
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ShopifyOrdersError(f"{where}: {column}: {value!r} is not a date and time") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _unit_price(price: str, discount: str, quantity: int, currency: str, where: str) -> str:
    try:
        unit = parse_amount(price or "0", currency)
        off = parse_amount(discount or "0", currency) if discount.strip() else 0
    except MoneyError as exc:
        raise ShopifyOrdersError(f"{where}: {exc}") from None
    share = -(-off // quantity)  # each unit's share of the discount, rounded up: never over
    paid = max(0, unit - share)
    return Money(minor=paid, currency=currency).amount_str()


def _address(
    address1: str, address2: str, city: str, province: str, postcode: str, country: str
) -> str:
    postcode = postcode.strip().lstrip("'")  # spreadsheets keep leading zeros with a quote
    locality = " ".join(part for part in (province.strip(), postcode) if part)
    parts = [address1, address2, city, locality, country]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _build(where: str, fields: dict[str, Any], items: list[_Item], currency: str) -> OrderSpec:
    try:
        return OrderSpec.model_validate(
            {
                **fields,
                "items": [
                    {
                        "sku": item.sku,
                        "name": item.name,
                        "price": item.price,
                        "quantity": item.quantity,
                        "supplier": item.supplier,
                    }
                    for item in items
                ],
            }
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
            for problem in exc.errors()
        )
        raise ShopifyOrdersError(f"{where}: {problems}") from None


# -- the CSV export -------------------------------------------------------------------------


def read_orders_csv(
    source: str | Path, store: Store, *, transit_days: int = 0, name: str | None = None
) -> OrdersRead:
    """Read a Shopify orders export (a path, or the text itself) into orders."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ShopifyOrdersError(f"{source}: file not found") from None
        except UnicodeDecodeError:
            raise ShopifyOrdersError(f"{source}: not a UTF-8 text file") from None
        label = name or str(source)
    else:
        text, label = source.lstrip("\ufeff"), name or "the export"
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in reader.fieldnames or []]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ShopifyOrdersError(
            f"{label}: not a Shopify orders export: missing column(s) {', '.join(missing)}"
        )
    currency = store.policy.currency
    names = supplier_lookup(store)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for index, raw in enumerate(reader, start=2):  # row 1 is the header
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
        number = row.get("Name", "")
        if not number:
            if any(row.values()):
                raise ShopifyOrdersError(f"{label}: row {index}: no order Name")
            continue
        groups.setdefault(number, []).append((index, row))
    result = OrdersRead()
    for number, rows in groups.items():
        first_row = rows[0][0]
        where = f"{label}: row {first_row} (order {number})"

        def field_of(column: str, rows: list[tuple[int, dict[str, str]]] = rows) -> str:
            return next((row[column] for _, row in rows if row.get(column)), "")

        if field_of("Cancelled at"):
            result.skipped.append(f"{number}: cancelled")
            continue
        status = field_of("Financial Status").lower()
        if status in SKIPPED_FINANCIAL:
            result.skipped.append(f"{number}: financial status {status}")
            continue
        order_currency = field_of("Currency").upper()
        if order_currency and order_currency != currency:
            raise ShopifyOrdersError(
                f"{where}: Currency: the order is in {order_currency}, the store in {currency}"
            )
        items = []
        for index, row in rows:
            item_where = f"{label}: row {index} (order {number})"
            item_name = row.get("Lineitem name", "")
            try:
                quantity = int(row.get("Lineitem quantity") or "0")
            except ValueError:
                raise ShopifyOrdersError(
                    f"{item_where}: Lineitem quantity: {row.get('Lineitem quantity')!r} is "
                    "not a whole number"
                ) from None
            if quantity < 1:
                raise ShopifyOrdersError(f"{item_where}: Lineitem quantity must be at least 1")
            items.append(
                _Item(
                    sku=row.get("Lineitem sku") or item_name,
                    name=item_name,
                    price=_unit_price(
                        row.get("Lineitem price", ""),
                        row.get("Lineitem discount", ""),
                        quantity,
                        currency,
                        item_where,
                    ),
                    quantity=quantity,
                    supplier=_supplier(row.get("Vendor", ""), names, item_where, item_name),
                )
            )
        placed = _when(field_of("Created at"), where, "Created at") or _when(
            field_of("Paid at"), where, "Paid at"
        )
        if placed is None:
            raise ShopifyOrdersError(f"{where}: neither Created at nor Paid at is set")
        fulfilled = _when(field_of("Fulfilled at"), where, "Fulfilled at")
        prefix = "Shipping" if field_of("Shipping Address1") else "Billing"
        country = field_of(f"{prefix} Country").upper() or field_of("Billing Country").upper()
        if not country:
            raise ShopifyOrdersError(f"{where}: no Shipping Country (or Billing Country)")
        fields = {
            "number": number,
            "email": field_of("Email"),
            "customer_name": field_of("Shipping Name") or field_of("Billing Name"),
            "country": country,
            "shipping_address": _address(
                field_of(f"{prefix} Address1"),
                field_of(f"{prefix} Address2"),
                field_of(f"{prefix} City"),
                field_of(f"{prefix} Province"),
                field_of(f"{prefix} Zip"),
                country,
            ),
            "placed_at": placed,
            "delivered_at": fulfilled + dt.timedelta(days=transit_days) if fulfilled else None,
            "external_id": field_of("Id") or None,
        }
        if not fields["email"]:
            raise ShopifyOrdersError(f"{where}: Email is empty")
        result.orders.append(_build(where, fields, items, currency))
    return result


# -- the Admin API --------------------------------------------------------------------------


class ShopifyOrders(ShopifyService):
    """Reads recent orders from the Admin REST API."""

    FAMILY = FAMILY

    def recent(self, store: Store, *, since: dt.datetime, transit_days: int = 0) -> OrdersRead:
        """Orders created since ``since`` (any status), as orders for this store."""
        names = supplier_lookup(store)
        result = OrdersRead()
        for order in self.admin.pages(
            "orders.json",
            "orders",
            what="reading orders",
            params={
                "status": "any",
                "limit": 250,
                "created_at_min": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        ):
            spec = self._order(order, store, names, transit_days, result)
            if spec is not None:
                result.orders.append(spec)
        return result

    def _order(
        self,
        order: dict[str, Any],
        store: Store,
        names: Mapping[str, str],
        transit_days: int,
        result: OrdersRead,
    ) -> OrderSpec | None:
        number = str(order.get("name") or order.get("order_number") or order.get("id"))
        where = f"Shopify order {number}"
        if order.get("cancelled_at"):
            result.skipped.append(f"{number}: cancelled")
            return None
        status = str(order.get("financial_status") or "").lower()
        if status in SKIPPED_FINANCIAL:
            result.skipped.append(f"{number}: financial status {status}")
            return None
        currency = store.policy.currency
        if str(order.get("currency") or currency).upper() != currency:
            raise ShopifyOrdersError(
                f"{where}: the order is in {order.get('currency')}, the store in {currency}"
            )
        items = []
        for line in order.get("line_items") or []:
            if not isinstance(line, dict):
                continue
            quantity = int(line.get("quantity") or 0)
            if quantity < 1:
                continue
            item_name = str(line.get("name") or line.get("title") or "")
            discount = _discount(line, currency)
            items.append(
                _Item(
                    sku=str(line.get("sku") or "") or item_name,
                    name=item_name,
                    price=_unit_price(
                        str(line.get("price") or "0"), discount, quantity, currency, where
                    ),
                    quantity=quantity,
                    supplier=_supplier(str(line.get("vendor") or ""), names, where, item_name),
                )
            )
        if not items:
            result.skipped.append(f"{number}: no line items")
            return None
        address = order.get("shipping_address") or order.get("billing_address") or {}
        customer = order.get("customer") or {}
        country = str(address.get("country_code") or "").upper()
        if not country:
            raise ShopifyOrdersError(f"{where}: no shipping country")
        name = str(address.get("name") or "").strip() or " ".join(
            str(part) for part in (customer.get("first_name"), customer.get("last_name")) if part
        )
        placed = _when(str(order.get("created_at") or ""), where, "created_at")
        if placed is None:
            raise ShopifyOrdersError(f"{where}: no created_at")
        fields = {
            "number": number,
            "email": str(order.get("email") or order.get("contact_email") or ""),
            "customer_name": name,
            "country": country,
            "shipping_address": _address(
                str(address.get("address1") or ""),
                str(address.get("address2") or ""),
                str(address.get("city") or ""),
                str(address.get("province_code") or ""),
                str(address.get("zip") or ""),
                country,
            ),
            "placed_at": placed,
            "delivered_at": self._delivered_at(order, where, transit_days),
            "external_id": str(order.get("id")) if order.get("id") is not None else None,
        }
        if not fields["email"]:
            raise ShopifyOrdersError(f"{where}: no email")
        return _build(where, fields, items, currency)

    def _delivered_at(
        self, order: dict[str, Any], where: str, transit_days: int
    ) -> dt.datetime | None:
        fulfillments = [
            f
            for f in order.get("fulfillments") or []
            if isinstance(f, dict) and f.get("status") not in ("cancelled", "error", "failure")
        ]
        if not fulfillments:
            return None
        delivered: list[dt.datetime] = []
        for fulfillment in fulfillments:
            if fulfillment.get("shipment_status") != "delivered":
                continue
            body, _ = self.admin.request(
                "GET",
                f"orders/{order.get('id')}/fulfillments/{fulfillment.get('id')}/events.json",
                what=f"reading the delivery of order {order.get('name')}",
            )
            happened = [
                _when(str(event.get("happened_at") or ""), where, "happened_at")
                for event in body.get("fulfillment_events") or []
                if isinstance(event, dict) and event.get("status") == "delivered"
            ]
            when = max((h for h in happened if h is not None), default=None)
            fallback = _when(str(fulfillment.get("updated_at") or ""), where, "updated_at")
            if when or fallback:
                delivered.append(when or fallback)  # type: ignore[arg-type]
        if delivered:
            return max(delivered)
        shipped = [_when(str(f.get("created_at") or ""), where, "created_at") for f in fulfillments]
        latest = max((s for s in shipped if s is not None), default=None)
        return latest + dt.timedelta(days=transit_days) if latest else None


def _discount(line: dict[str, Any], currency: str) -> str:
    """The line's discount: its discount allocations, else ``total_discount``."""
    allocations = [a for a in line.get("discount_allocations") or [] if isinstance(a, dict)]
    if allocations:
        total = Decimal(0)
        for allocation in allocations:
            try:
                total += Decimal(str(allocation.get("amount") or "0"))
            except InvalidOperation:
                continue
        return f"{total:.{exponent(currency)}f}"
    return str(line.get("total_discount") or "")


# -- writing --------------------------------------------------------------------------------


@dataclass
class Imported:
    written: int
    kept: list[str]  # orders left as they were because they already have return cases


def store_orders(session: Session, orders: Iterable[OrderSpec], currency: str) -> Imported:
    """Insert or replace each order by number; an order that already has return cases is
    kept as it is (and named) instead of stopping the import."""
    written = 0
    kept: list[str] = []
    for spec in orders:
        existing = find_order(session, spec.number)
        if existing is not None and cases_for_order(session, existing.id):
            kept.append(spec.number)
            continue
        written += import_orders(session, [spec], currency)
    return Imported(written=written, kept=kept)
