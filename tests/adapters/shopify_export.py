"""Shopify orders CSV exports for the tests, with the export's real header (79 columns)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

# The columns of Shopify's orders export, in its order.
HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]  # fmt: skip


def _cents(text: str) -> Decimal:
    return Decimal(text or "0")


def order_rows(
    name: str,
    *,
    email: str,
    created: str,
    items: list[dict[str, str]],
    financial: str = "paid",
    fulfilled: str = "",
    cancelled: str = "",
    order_id: str = "",
    address: dict[str, str] | None = None,
    discount_code: str = "",
    order_discount: str = "0.00",
    refunded: str = "0.00",
    phone: str = "",
    shipping_phone: str = "",
    billing_phone: str = "",
    notes: str = "",
    source: str = "web",
    payment_method: str = "Shopify Payments",
    shipping: str = "0.00",
    currency: str = "USD",
) -> list[dict[str, str]]:
    """The rows Shopify writes for one order: the order's fields on the first row only.

    ``order_discount`` is a discount code's amount at order level (not in any line's
    ``Lineitem discount``); ``Discount Amount`` is all discounts and ``Subtotal`` the lines
    after them, as Shopify writes them.
    """
    address = address or {}
    lines_total = sum(
        _cents(item["price"]) * int(item.get("quantity", "1")) - _cents(item.get("discount", ""))
        for item in items
    )
    all_discounts = _cents(order_discount) + sum(
        (_cents(item.get("discount", "")) for item in items), Decimal(0)
    )
    subtotal = lines_total - _cents(order_discount)
    first = {
        "Name": name,
        "Email": email,
        "Financial Status": financial,
        "Paid at": created if financial in ("paid", "partially_refunded") else "",
        "Fulfillment Status": "fulfilled" if fulfilled else "unfulfilled",
        "Fulfilled at": fulfilled,
        "Accepts Marketing": "no",
        "Currency": currency,
        "Subtotal": f"{subtotal:.2f}",
        "Shipping": shipping,
        "Taxes": "0.00",
        "Total": f"{subtotal + _cents(shipping):.2f}",
        "Discount Code": discount_code,
        "Discount Amount": f"{all_discounts:.2f}",
        "Shipping Method": "Standard",
        "Created at": created,
        "Billing Name": address.get("name", ""),
        "Billing Street": " ".join(
            filter(None, [address.get("address1", ""), address.get("address2", "")])
        ),
        "Billing Address1": address.get("address1", ""),
        "Billing City": address.get("city", ""),
        "Billing Zip": address.get("zip", ""),
        "Billing Province": address.get("province", ""),
        "Billing Phone": billing_phone,
        "Shipping Name": address.get("name", ""),
        "Shipping Street": " ".join(
            filter(None, [address.get("address1", ""), address.get("address2", "")])
        ),
        "Shipping Address1": address.get("address1", ""),
        "Shipping Address2": address.get("address2", ""),
        "Shipping City": address.get("city", ""),
        "Shipping Zip": address.get("zip", ""),
        "Shipping Province": address.get("province", ""),
        "Shipping Country": address.get("country", ""),
        "Billing Country": address.get("billing_country", address.get("country", "")),
        "Shipping Phone": shipping_phone,
        "Notes": notes,
        "Cancelled at": cancelled,
        "Payment Method": payment_method,
        "Refunded Amount": refunded,
        "Outstanding Balance": "0.00",
        "Id": order_id,
        "Risk Level": "Low",
        "Source": source,
        "Phone": phone,
    }
    rows = []
    for index, item in enumerate(items):
        row = dict(first) if index == 0 else {"Name": name}
        row.update(
            {
                "Lineitem quantity": item.get("quantity", "1"),
                "Lineitem name": item["name"],
                "Lineitem price": item["price"],
                "Lineitem compare at price": "",
                "Lineitem sku": item.get("sku", ""),
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if fulfilled else "pending",
                "Vendor": item.get("vendor", ""),
                "Lineitem discount": item.get("discount", "0.00"),
            }
        )
        rows.append(row)
    return rows


def export_csv(*orders: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n", delimiter=delimiter)
    writer.writeheader()
    for rows in orders:
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in HEADER})
    return "\ufeff" + out.getvalue()


def excel_resaved(text: str) -> bytes:
    """The export as a spreadsheet in a decimal-comma locale saves it back as "CSV": a byte
    order mark dropped, Windows-1252, semicolons, CRLF, amounts with a decimal comma."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    money = {
        HEADER.index(column)
        for column in (
            "Subtotal", "Shipping", "Taxes", "Total", "Discount Amount", "Lineitem price",
            "Lineitem discount", "Refunded Amount", "Outstanding Balance",
        )
    }  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow(
            [cell.replace(".", ",") if i in money and cell else cell for i, cell in enumerate(row)]
        )
    return out.getvalue().encode("cp1252")
