"""Orders from a Shopify orders export (CSV) and from the Admin API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.shopify_orders import ShopifyOrders, ShopifyOrdersError, read_orders_csv
from bot.cli.main import app
from bot.settings import get_settings
from graph.desk import ReturnsDesk
from ledger.repository import find_order
from policies.loader import PolicyError, load_store
from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify
from tests.adapters.shopify_export import export_csv, order_rows
from tests.conftest import make_store

BOSTON = {
    "name": "Ana Silva",
    "address1": "412 Maple Ave",
    "address2": "Apt 2B",
    "city": "Boston",
    "zip": "'02134",
    "province": "MA",
    "country": "US",
}
TORONTO = {
    "name": "Émilie Tremblay",
    "address1": "100 King St W",
    "city": "Toronto",
    "zip": "M5X 1A9",
    "province": "ON",
    "country": "CA",
}


def realistic_export() -> str:
    return export_csv(
        order_rows(
            "#1001",
            email="Ana@Example.com",
            created="2026-03-01 10:00:00 -0500",
            fulfilled="2026-03-02 09:15:00 -0500",
            order_id="5123456789",
            address=BOSTON,
            items=[
                {
                    "name": "Ceramic mug - Grey",
                    "price": "24.00",
                    "sku": "MUG-1",
                    "vendor": "ACME HOME GOODS",
                },
                {
                    "name": "Desk lamp",
                    "price": "60.00",
                    "quantity": "2",
                    "sku": "LAMP-1",
                    "vendor": "credit-co",
                    "discount": "10.00",
                },
                {"name": "Gift wrap", "price": "3.00", "vendor": "acme"},
            ],
        ),
        order_rows(
            "#1002",
            email="emilie@example.ca",
            created="2026-03-04 08:30:00 -0500",
            order_id="5123456790",
            address=TORONTO,
            items=[{"name": "Desk lamp", "price": "60.00", "sku": "LAMP-1", "vendor": "Credit Co"}],
        ),
        order_rows(
            "#1003",
            email="cancel@example.com",
            created="2026-03-05 08:30:00 -0500",
            cancelled="2026-03-05 09:00:00 -0500",
            financial="voided",
            address=BOSTON,
            items=[{"name": "Desk lamp", "price": "60.00", "sku": "LAMP-1", "vendor": "nobody"}],
        ),
        order_rows(
            "#1004",
            email="refunded@example.com",
            created="2026-03-05 10:30:00 -0500",
            financial="refunded",
            address=BOSTON,
            items=[{"name": "Ceramic mug", "price": "24.00", "sku": "MUG-1", "vendor": "Acme"}],
        ),
    )


def test_a_multi_row_export_becomes_orders() -> None:
    read = read_orders_csv(realistic_export(), make_store(), transit_days=3)
    assert [order.number for order in read.orders] == ["#1001", "#1002"]
    assert read.skipped == ["#1003: cancelled", "#1004: financial status refunded"]

    first = read.orders[0]
    assert first.email == "Ana@Example.com"
    assert first.external_id == "5123456789"
    assert first.customer_name == "Ana Silva"
    assert first.country == "US"
    assert first.shipping_address == "412 Maple Ave, Apt 2B, Boston, MA 02134, US"
    assert first.placed_at == dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)
    assert first.delivered_at == dt.datetime(2026, 3, 5, 14, 15, tzinfo=dt.UTC)
    items = [(i.sku, i.name, i.price, i.quantity, i.supplier) for i in first.items]
    assert items == [
        ("MUG-1", "Ceramic mug - Grey", "24.00", 1, "acme"),
        ("LAMP-1", "Desk lamp", "55.00", 2, "credit-co"),  # 10.00 off spread over two
        ("Gift wrap", "Gift wrap", "3.00", 1, "acme"),  # no SKU: the name stands in
    ]
    second = read.orders[1]
    assert second.delivered_at is None  # not fulfilled yet
    assert second.shipping_address == "100 King St W, Toronto, ON M5X 1A9, CA"
    assert second.items[0].supplier == "credit-co"


def test_an_unknown_vendor_is_imported_without_a_supplier_and_reported() -> None:
    text = export_csv(
        order_rows(
            "#2001",
            email="a@example.com",
            created="2026-03-01 10:00:00 -0500",
            address=BOSTON,
            items=[
                {"name": "Ceramic mug", "price": "24.00", "vendor": "Acme Home Goods"},
                {"name": "Anvil", "price": "99.00", "vendor": "Globex Corporation"},
            ],
        ),
        order_rows(
            "#2002",
            email="b@example.com",
            created="2026-03-01 11:00:00 -0500",
            address=BOSTON,
            items=[
                {"name": "Rope", "price": "9.00", "vendor": "Globex Corporation"},
                {"name": "Teddy", "price": "19.00", "vendor": "Snuggletime"},
                {"name": "Loose part", "price": "1.00", "vendor": ""},
            ],
        ),
    )
    read = read_orders_csv(text, make_store(), name="export.csv")
    assert [order.number for order in read.orders] == ["#2001", "#2002"]
    first = read.orders[0]
    assert [(i.supplier, i.vendor) for i in first.items] == [
        ("acme", "Acme Home Goods"),
        ("", "Globex Corporation"),
    ]
    assert read.unknown_vendors == {
        "Globex Corporation": ["#2001", "#2002"],
        "Snuggletime": ["#2002"],
        "(no vendor)": ["#2002"],
    }
    assert any("vendors without a supplier (3)" in line for line in read.report())


def test_the_policy_vendors_map_names_the_supplier_of_a_brand() -> None:
    text = export_csv(
        order_rows(
            "#2005",
            email="a@example.com",
            created="2026-03-01 10:00:00 -0500",
            address=BOSTON,
            items=[{"name": "Teddy", "price": "19.00", "vendor": " SNUGGLETIME "}],
        )
    )
    read = read_orders_csv(text, make_store({"vendors": {"Snuggletime": "acme"}}))
    assert read.orders[0].items[0].supplier == "acme"
    assert read.unknown_vendors == {}


def test_a_vendors_map_naming_no_agreement_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"vendors\.Snuggletime: unknown supplier 'globex'"):
        make_store({"vendors": {"Snuggletime": "globex"}})


def test_a_file_that_is_not_an_orders_export_is_refused() -> None:
    with pytest.raises(ShopifyOrdersError, match=r"missing column.*Lineitem quantity"):
        read_orders_csv("Handle,Title,Vendor\nmug,Mug,Acme\n", make_store())


def test_a_bad_date_or_quantity_or_currency_skips_that_order_and_names_its_row() -> None:
    def order(number: str) -> list[dict[str, str]]:
        return order_rows(
            number,
            email="a@example.com",
            created="2026-03-01 10:00:00 -0500",
            address=BOSTON,
            items=[{"name": "Ceramic mug", "price": "24.00", "vendor": "acme"}],
        )

    bad_date, bad_quantity, other_currency = order("#2003"), order("#2004"), order("#2006")
    bad_date[0]["Created at"] = "yesterday"
    bad_quantity[0]["Lineitem quantity"] = "two"
    other_currency[0]["Currency"] = "EUR"
    read = read_orders_csv(
        export_csv(bad_date, bad_quantity, other_currency, order("#2007")), make_store()
    )
    assert [o.number for o in read.orders] == ["#2007"]
    assert read.skipped == [
        "#2003: row 2 (order #2003): Created at: 'yesterday' is not a date and time",
        "#2004: row 3 (order #2004): Lineitem quantity: 'two' is not a whole number",
        "#2006: row 4 (order #2006): Currency: the order is in EUR, the store in USD",
    ]


# -- the command line -----------------------------------------------------------------------


def _desk(folder: Path) -> ReturnsDesk:
    return ReturnsDesk(get_settings().database_url, load_store(folder))


def test_orders_import_reads_a_csv_export(store_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "orders_export_1.csv"
    path.write_text(realistic_export(), encoding="utf-8")
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 2 orders" in result.output
    assert "skipped 2: #1003: cancelled; #1004: financial status refunded" in result.output
    desk = _desk(store_env)
    try:
        with desk.session() as session:
            order = find_order(session, "1001")
            assert order is not None and order.external_id == "5123456789"
            assert [item.unit_price_minor for item in order.items] == [2400, 5500, 300]
            assert order.email == "ana@example.com"
            assert find_order(session, "1003") is None
    finally:
        desk.close()


def test_a_csv_with_an_unknown_vendor_imports_the_rest_and_reports_it(
    store_env: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    good = order_rows(
        "#3001",
        email="a@example.com",
        created="2026-03-01 10:00:00 -0500",
        address=BOSTON,
        items=[{"name": "Ceramic mug", "price": "24.00", "vendor": "acme"}],
    )
    unknown = order_rows(
        "#3002",
        email="b@example.com",
        created="2026-03-01 11:00:00 -0500",
        address=BOSTON,
        items=[{"name": "Anvil", "price": "99.00", "vendor": "Globex"}],
    )
    path.write_text(export_csv(good, unknown), encoding="utf-8")
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 2 orders" in result.output
    assert "vendors without a supplier (1): Globex (orders #3002)" in result.output
    desk = _desk(store_env)
    try:
        with desk.session() as session:
            assert find_order(session, "3001") is not None
            anvil = find_order(session, "3002")
            assert anvil is not None
            assert [(i.supplier_id, i.vendor) for i in anvil.items] == [("", "Globex")]
    finally:
        desk.close()


# -- the Admin API --------------------------------------------------------------------------


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(timespec="seconds")


def _shop_with_orders(server: FakeShopify, now: dt.datetime) -> dict[str, int]:
    address = {
        "name": "Ana Silva",
        "address1": "412 Maple Ave",
        "address2": "Apt 2B",
        "city": "Columbus",
        "province": "Ohio",
        "province_code": "OH",
        "zip": "43215",
        "country": "United States",
        "country_code": "US",
    }
    ids = {}
    ids["delivered"] = server.add_order(
        "#4001",
        email="ana@example.com",
        created_at=_iso(now - dt.timedelta(days=10)),
        shipping_address=address,
        line_items=[
            {"name": "Ceramic mug", "title": "Ceramic mug", "sku": "MUG-1", "price": "24.00",
             "quantity": 1, "vendor": "Acme Home Goods", "total_discount": "0.00",
             "discount_allocations": []},
            {"name": "Desk lamp", "title": "Desk lamp", "sku": "LAMP-1", "price": "60.00",
             "quantity": 2, "vendor": "Credit Co", "total_discount": "0.00",
             "discount_allocations": [{"amount": "6.00", "discount_application_index": 0}]},
        ],
        fulfillments=[{"id": 7001, "status": "success", "shipment_status": "delivered",
                       "created_at": _iso(now - dt.timedelta(days=9)),
                       "updated_at": _iso(now - dt.timedelta(days=6)),
                       "delivered_at": _iso(now - dt.timedelta(days=7))}],
    )  # fmt: skip
    ids["shipped"] = server.add_order(
        "#4002",
        email="marcus@example.com",
        created_at=_iso(now - dt.timedelta(days=5)),
        shipping_address={**address, "name": "Marcus Reed"},
        line_items=[{"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
                     "vendor": "acme"}],
        fulfillments=[{"id": 7002, "status": "success", "shipment_status": None,
                       "created_at": _iso(now - dt.timedelta(days=4)),
                       "updated_at": _iso(now - dt.timedelta(days=4))}],
    )  # fmt: skip
    ids["cancelled"] = server.add_order(
        "#4003",
        email="c@example.com",
        created_at=_iso(now - dt.timedelta(days=3)),
        cancelled_at=_iso(now - dt.timedelta(days=3)),
        financial_status="voided",
        shipping_address=address,
        line_items=[{"name": "Mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
                     "vendor": "acme"}],
    )  # fmt: skip
    ids["old"] = server.add_order(
        "#3999",
        email="old@example.com",
        created_at=_iso(now - dt.timedelta(days=90)),
        shipping_address=address,
        line_items=[{"name": "Mug", "sku": "MUG-1", "price": "24.00", "quantity": 1,
                     "vendor": "acme"}],
    )  # fmt: skip
    return ids


def test_recent_orders_come_from_the_admin_api_page_by_page() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with FakeShopify(page_size=1) as server:
        ids = _shop_with_orders(server, now)
        source = ShopifyOrders("demo", TOKEN, api_version=VERSION, base_url=server.url)
        read = source.recent(make_store(), since=now - dt.timedelta(days=30), transit_days=2)
        source.close()
        listings = [r.json()["variables"] for r in server.operations("Orders")]
    assert len(listings) == 3  # three orders in the window, one a page
    assert "status:any" in listings[0]["query"] and "created_at:>=" in listings[0]["query"]
    assert listings[0]["after"] is None
    assert listings[1]["after"] == "cursor:1" and listings[1]["query"] == listings[0]["query"]
    assert [o.number for o in read.orders] == ["#4002", "#4001"]
    assert read.skipped == ["#4003: cancelled"]
    delivered = read.orders[1]
    assert delivered.external_id == str(ids["delivered"])
    assert delivered.delivered_at == now - dt.timedelta(days=7)  # the delivered event
    assert delivered.shipping_address == "412 Maple Ave, Apt 2B, Columbus, OH 43215, US"
    assert [(i.supplier, i.price) for i in delivered.items] == [
        ("acme", "24.00"),
        ("credit-co", "57.00"),
    ]
    shipped = read.orders[0]
    assert shipped.delivered_at == now - dt.timedelta(days=4) + dt.timedelta(days=2)


def test_graphql_orders_carry_line_ids_gateways_discounts_refunds_and_edits() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with FakeShopify() as server:
        oid = server.add_order(
            "#4101",
            email="",
            phone="+61 412 345 678",
            created_at=_iso(now - dt.timedelta(days=3)),
            shipping_address={"name": "Mia Nguyen", "address1": "12 Ann St", "city": "Brisbane",
                              "province_code": "QLD", "zip": "4001", "country_code": "AU"},
            line_items=[
                {"name": "Teddy bear", "sku": "TEDDY-1", "price": "39.00", "quantity": 3,
                 "vendor": "Acme Home Goods", "discount_allocations": [{"amount": "9.00"}]},
                {"name": "Ceramic mug", "sku": "MUG-1", "price": "24.00", "quantity": 2,
                 "vendor": "acme"},
            ],
            payments=[("sale", "156.00", "Cash on Delivery (COD)"),
                      ("sale", "0.00", "shopify_payments")],
            presentment_currency="EUR",
            rate="0.9",
            fulfillments=[{"id": 7101, "status": "success",
                           "created_at": _iso(now - dt.timedelta(days=2)),
                           "updated_at": _iso(now - dt.timedelta(days=2)),
                           "delivered_at": _iso(now - dt.timedelta(days=1))}],
        )  # fmt: skip
        teddy_id, mug_id = server.line_id(oid, "TEDDY-1"), server.line_id(oid, "MUG-1")
        # The store's own goodwill refund of 10.00 in Shopify's admin: it lowers the cap.
        server._refund(
            {"orderId": f"gid://shopify/Order/{oid}", "note": "goodwill", "currency": "EUR",
             "transactions": [{"parentId": server.transactions[oid][0]["id"], "kind": "REFUND",
                               "gateway": "Cash on Delivery (COD)", "amount": "9.00"}]}
        )  # fmt: skip
        # A refund the desk made (its key in the note): one mug; already in the desk's journal.
        server._refund(
            {"orderId": f"gid://shopify/Order/{oid}", "currency": "EUR",
             "note": "ReturnBridge refund [RB-1:x]",
             "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{mug_id}",
                                  "quantity": 1, "restockType": "NO_RESTOCK"}],
             "transactions": [{"parentId": server.transactions[oid][0]["id"], "kind": "REFUND",
                               "gateway": "Cash on Delivery (COD)", "amount": "21.60"}]}
        )  # fmt: skip
        # An order edit took one teddy off.
        server.orders[oid]["line_items"][0]["refundable"] = 2
        source = ShopifyOrders("demo", TOKEN, api_version=VERSION, base_url=server.url)
        read = source.recent(make_store(), since=now - dt.timedelta(days=30))
        source.close()
    (spec,) = read.orders
    assert spec.email == "" and spec.phone == "+61 412 345 678"
    assert spec.payment_gateway == "Cash on Delivery (COD), shopify_payments"
    assert spec.external_id == str(oid)
    assert spec.delivered_at == now - dt.timedelta(days=1)
    assert spec.refunded == "10.00"  # 9.00 EUR at 0.9; the desk's own refund not again
    teddy, mug = spec.items
    assert (teddy.external_id, teddy.quantity, teddy.paid) == (str(teddy_id), 2, "72.00")
    assert (mug.external_id, mug.quantity, mug.paid) == (str(mug_id), 2, "48.00")
    assert teddy.supplier == "acme" and mug.supplier == "acme"


def test_sync_shopify_imports_recent_orders(
    store_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with FakeShopify() as server:
        ids = _shop_with_orders(server, now)
        monkeypatch.setenv("SHOPIFY_SHOP", "demo-store")
        monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("RETURNBRIDGE_SHOPIFY_URL", server.url)
        monkeypatch.setenv("RETURNBRIDGE_SHOPIFY_API_VERSION", VERSION)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["orders", "sync-shopify", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "imported 2 orders from Shopify" in result.output
    desk = _desk(store_env)
    try:
        with desk.session() as session:
            order = find_order(session, "4001")
            assert order is not None and order.external_id == str(ids["delivered"])
            assert find_order(session, "3999") is None  # older than 30 days
    finally:
        desk.close()


def test_sync_shopify_without_a_token_says_what_is_missing(store_env: Path) -> None:
    result = CliRunner().invoke(app, ["orders", "sync-shopify"])
    assert result.exit_code == 2
    assert "SHOPIFY_ACCESS_TOKEN" in result.output


def test_sync_shopify_with_a_wrong_token_says_so(
    store_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeShopify() as server:
        monkeypatch.setenv("SHOPIFY_SHOP", "demo-store")
        monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_wrong")
        monkeypatch.setenv("RETURNBRIDGE_SHOPIFY_URL", server.url)
        monkeypatch.setenv("RETURNBRIDGE_SHOPIFY_API_VERSION", VERSION)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["orders", "sync-shopify"])
    assert result.exit_code == 1
    assert "Invalid API key or access token" in result.output
    assert "Traceback" not in result.output
