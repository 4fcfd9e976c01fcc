"""Shopify orders CSV exports for the tests, with the export's real header."""

from __future__ import annotations

import csv
import io

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
) -> list[dict[str, str]]:
    """The rows Shopify writes for one order: the order's fields on the first row only."""
    address = address or {}
    first = {
        "Name": name,
        "Email": email,
        "Financial Status": financial,
        "Paid at": created if financial == "paid" else "",
        "Fulfillment Status": "fulfilled" if fulfilled else "unfulfilled",
        "Fulfilled at": fulfilled,
        "Accepts Marketing": "no",
        "Currency": "USD",
        "Shipping Method": "Standard",
        "Created at": created,
        "Billing Name": address.get("name", ""),
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
        "Billing Country": address.get("country", ""),
        "Cancelled at": cancelled,
        "Payment Method": "Shopify Payments",
        "Id": order_id,
        "Risk Level": "Low",
        "Source": "web",
    }
    rows = []
    for index, item in enumerate(items):
        row = dict(first) if index == 0 else {"Name": name}
        row.update(
            {
                "Lineitem quantity": item.get("quantity", "1"),
                "Lineitem name": item["name"],
                "Lineitem price": item["price"],
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


def export_csv(*orders: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    for rows in orders:
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in HEADER})
    return "\ufeff" + out.getvalue()
