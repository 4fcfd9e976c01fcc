"""Shopify orders exports in the shapes real stores send (written here in Shopify's 79
columns): order-level discounts, partial refunds, brands as vendors, cash on delivery without
email, files re-saved by a spreadsheet, notes over several lines, quoted postcodes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.shopify_orders import (
    read_orders_csv,
    spread_discount,
    store_orders,
)
from bot.cli.main import app
from graph.clock import FrozenClock
from graph.desk import ReturnsDesk
from ledger import decisions
from ledger.repository import find_order, get_case
from policies.models import Store, phone_digits, phones_match
from tests.adapters.shopify_export import HEADER, excel_resaved, export_csv, order_rows
from tests.conftest import NOW, make_store
from tools import refund_caps
from tools.errors import IdentityError, RefundCapExceeded
from tools.issue_refund import check_cap
from tools.open_case import ReturnRequest, open_case
from tools.verify_identity import verify_identity

BOSTON = {
    "name": "Ana Silva",
    "address1": "412 Maple Ave",
    "city": "Boston",
    "zip": "'02134",
    "province": "MA",
    "country": "US",
}
BRISBANE = {
    "name": "Mia Nguyen",
    "address1": "12 Ann St",
    "city": "Brisbane",
    "zip": "'4001",
    "province": "QLD",
    "country": "AU",
}
CREATED = "2026-03-01 10:00:00 -0500"
FULFILLED = "2026-03-02 09:00:00 -0500"


def discounted_order() -> list[dict[str, str]]:
    """DESIGN.md's example: Discount Amount 400.00, lines 600.00 and 1,400.00."""
    return order_rows(
        "#1001",
        email="ana@example.com",
        created=CREATED,
        fulfilled=FULFILLED,
        address=BOSTON,
        discount_code="SPRING20",
        order_discount="400.00",
        items=[
            {"name": "Side table", "price": "600.00", "sku": "TABLE-1", "vendor": "acme"},
            {"name": "Bookcase", "price": "700.00", "quantity": "2", "sku": "SHELF-2",
             "vendor": "acme"},
        ],
    )  # fmt: skip


def test_the_export_helper_writes_shopifys_79_columns() -> None:
    header = export_csv(discounted_order()).lstrip("\ufeff").split("\n", 1)[0]
    assert header.startswith("Name,Email,Financial Status,Paid at")
    assert len(header.split(",")) == len(HEADER) == 79


# -- money per line ------------------------------------------------------------------------


def test_an_order_level_discount_is_spread_over_the_lines_in_proportion() -> None:
    rows = discounted_order()
    assert rows[0]["Subtotal"] == "1600.00" and rows[0]["Discount Amount"] == "400.00"
    order = read_orders_csv(export_csv(rows), make_store()).orders[0]
    assert [(i.sku, i.paid, i.price, i.quantity) for i in order.items] == [
        ("TABLE-1", "480.00", "480.00", 1),
        ("SHELF-2", "1120.00", "560.00", 2),
    ]


def test_line_discounts_come_off_their_line_and_the_rest_is_spread() -> None:
    rows = order_rows(
        "#1010",
        email="ana@example.com",
        created=CREATED,
        address=BOSTON,
        order_discount="10.00",
        items=[
            {"name": "Lamp", "price": "60.00", "quantity": "2", "sku": "LAMP", "vendor": "acme",
             "discount": "20.00"},
            {"name": "Mug", "price": "25.00", "sku": "MUG", "vendor": "acme"},
        ],
    )  # fmt: skip
    # Lines after their own discounts: 100.00 and 25.00; Subtotal 115.00: 10.00 to spread.
    assert rows[0]["Subtotal"] == "115.00" and rows[0]["Discount Amount"] == "30.00"
    order = read_orders_csv(export_csv(rows), make_store()).orders[0]
    assert [(i.paid, i.price) for i in order.items] == [("92.00", "46.00"), ("23.00", "23.00")]


def test_the_rounding_remainder_goes_to_the_largest_line_so_lines_add_up() -> None:
    # 100 over 1000/1000/1001: exact shares 33.32.., 33.32.., 33.35..: rounded 33, 33, 33,
    # and the missing 1 on the largest line.
    assert spread_discount([1000, 1000, 1001], 100) == [967, 967, 967]
    assert spread_discount([1000, 3000], 1) == [1000, 2999]
    assert spread_discount([60000, 140000], 40000) == [48000, 112000]
    assert sum(spread_discount([333, 333, 334], 100)) == 900
    assert spread_discount([500], 0) == [500]


def test_a_line_of_three_paying_100_keeps_100_as_its_cap() -> None:
    rows = order_rows(
        "#1011",
        email="ana@example.com",
        created=CREATED,
        fulfilled=FULFILLED,
        address=BOSTON,
        items=[{"name": "Glass", "price": "40.00", "quantity": "3", "sku": "GLASS",
                "vendor": "acme", "discount": "20.00"}],
    )  # fmt: skip
    item = read_orders_csv(export_csv(rows), make_store()).orders[0].items[0]
    assert (item.price, item.paid, item.quantity) == ("33.33", "100.00", 3)


# -- refunds before import and the order's cap ----------------------------------------------


def test_a_partially_refunded_order_keeps_its_refunded_amount_and_refunded_ones_are_skipped() -> (
    None
):
    text = export_csv(
        order_rows(
            "#1002",
            email="ben@example.com",
            created=CREATED,
            fulfilled=FULFILLED,
            address=BOSTON,
            financial="partially_refunded",
            refunded="70.00",
            items=[{"name": "Napkins", "price": "50.00", "quantity": "2", "sku": "NAP",
                    "vendor": "acme"}],
        ),
        order_rows(
            "#1003",
            email="zoe@example.com",
            created=CREATED,
            address=BOSTON,
            financial="refunded",
            refunded="24.00",
            items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
        ),
    )  # fmt: skip
    read = read_orders_csv(text, make_store())
    assert [(o.number, o.refunded) for o in read.orders] == [("#1002", "70.00")]
    assert read.skipped == ["#1003: financial status refunded"]


@pytest.fixture
def cap_desk(tmp_path: Path) -> Iterator[ReturnsDesk]:
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'caps.db'}", make_store(), FrozenClock(NOW))
    yield desk
    desk.close()


def _import(desk: ReturnsDesk, *orders: list[dict[str, str]], store: Store | None = None) -> None:
    read = read_orders_csv(export_csv(*orders), store or desk.store)
    with desk.session() as session:
        store_orders(session, read.orders, "USD")


def test_a_refund_is_capped_by_what_is_left_on_the_order(tmp_path: Path) -> None:
    store = make_store({"keep_it_under": "150.00"})  # refunded at once, without a return
    desk = ReturnsDesk(f"sqlite:///{tmp_path / 'order-cap.db'}", store, FrozenClock(NOW))
    try:
        _import(
            desk,
            order_rows(
                "#1020",
                email="ben@example.com",
                created=CREATED,
                fulfilled=FULFILLED,
                address=BOSTON,
                financial="partially_refunded",
                refunded="120.00",
                items=[
                    {"name": "Lamp", "price": "100.00", "sku": "LAMP", "vendor": "acme"},
                    {"name": "Bowl", "price": "50.00", "sku": "BOWL", "vendor": "acme"},
                ],
            ),
        )
        with desk.session() as session:
            order = find_order(session, "1020")
            assert order is not None and refund_caps.order_paid(order) == 3000
            ctx = desk.context(session)
            case = open_case(
                ctx,
                ReturnRequest(
                    order="1020", email="ben@example.com", sku="BOWL", reason="changed_mind"
                ),
            )
            # The bowl's line has 50.00 left, the order only 30.00: the order's cap holds.
            assert refund_caps.left_for(session, case) == refund_caps.Left(line=5000, order=3000)
            with pytest.raises(RefundCapExceeded):
                check_cap(ctx, case, 3001)
            check_cap(ctx, case, 3000)
            session.rollback()
        # Through the desk: the computed 50.00 is lowered to 30.00, and the ledger says so.
        view = desk.submit_return(
            ReturnRequest(order="1020", email="ben@example.com", sku="BOWL", reason="changed_mind")
        )
        assert (view.status, view.refunded) == ("resolved", "30.00")
        with desk.session() as session:
            capped = [
                row
                for row in decisions.case_history(session, view.code)
                if row.action == "refund_capped"
            ]
            assert len(capped) == 1 and '"lowered_to":"30.00"' in capped[0].data
            assert decisions.verify(session).ok
        # Nothing is left on the order: the lamp's return pays nothing, and no refund is
        # attempted (a payment service refuses a refund of zero); the customer is told why.
        lamp = desk.submit_return(
            ReturnRequest(order="1020", email="ben@example.com", sku="LAMP", reason="changed_mind")
        )
        assert (lamp.status, lamp.refunded) == ("resolved", "0.00")
        with desk.session() as session:
            actions = decisions.case_actions(session, lamp.code)
        assert "refund_capped" in actions and "refund_issued" not in actions
        assert any("refunded in full" in text for text in desk.customer_messages(lamp.code))
    finally:
        desk.close()


# -- vendors ---------------------------------------------------------------------------------


def test_a_return_of_a_line_without_supplier_goes_to_owner_review_naming_the_vendor(
    cap_desk: ReturnsDesk,
) -> None:
    _import(
        cap_desk,
        order_rows(
            "#1030",
            email="cy@example.com",
            created=CREATED,
            fulfilled=FULFILLED,
            address=BOSTON,
            items=[{"name": "Anvil", "price": "99.00", "sku": "ANVIL", "vendor": "Globex"}],
        ),
    )
    view = cap_desk.submit_return(
        ReturnRequest(order="1030", email="cy@example.com", sku="ANVIL", reason="changed_mind")
    )
    assert view.status == "pending_review"
    assert view.review_reason is not None and "Globex" in view.review_reason
    done = cap_desk.owner_decide(view.code, approve=True)
    assert (done.status, done.refunded, done.supplier_credit) == ("resolved", "99.00", "0.00")


# -- cash on delivery: phone instead of email ------------------------------------------------


def test_an_order_without_email_is_imported_with_its_phone_in_shopifys_order() -> None:
    def cod(number: str, **phones: str) -> list[dict[str, str]]:
        return order_rows(
            number,
            email="",
            created=CREATED,
            address=BRISBANE,
            payment_method="Cash on Delivery (COD)",
            items=[{"name": "Teddy", "price": "39.00", "sku": "TEDDY", "vendor": "acme"}],
            **phones,
        )

    text = export_csv(
        cod("#1040", phone="+61 400 000 001", shipping_phone="+61 400 000 002"),
        cod("#1041", shipping_phone="+61 400 000 002", billing_phone="+61 400 000 003"),
        cod("#1042", billing_phone="'0400 000 003"),
        cod("#1043"),
    )
    read = read_orders_csv(text, make_store())
    assert [(o.number, o.email, o.phone) for o in read.orders] == [
        ("#1040", "", "+61 400 000 001"),
        ("#1041", "", "+61 400 000 002"),
        ("#1042", "", "0400 000 003"),
    ]
    assert len(read.skipped) == 1 and read.skipped[0].startswith("#1043: ")
    assert "no Email and no Phone" in read.skipped[0]
    assert read.orders[0].country == "AU"
    assert read.orders[0].shipping_address == "12 Ann St, Brisbane, QLD 4001, AU"


def test_the_order_country_is_the_shipping_country_else_the_billing_country() -> None:
    rows = order_rows(
        "#1044",
        email="a@example.com",
        created=CREATED,
        address={**BOSTON, "country": "", "billing_country": "CA"},
        items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
    )
    assert read_orders_csv(export_csv(rows), make_store()).orders[0].country == "CA"


def test_phones_match_on_at_least_the_last_eight_digits() -> None:
    assert phones_match("0412 345 678", "+61 412 345 678")
    assert phones_match("(412) 345-678", "+61412345678")
    assert phones_match("12345678", "+61 4 1234 5678")
    assert not phones_match("0412 345 679", "+61 412 345 678")
    assert not phones_match("345 678", "+61 412 345 678")  # too few digits given
    assert not phones_match("", "+61 412 345 678")


def test_a_customer_without_email_identifies_with_order_number_and_phone(
    cap_desk: ReturnsDesk,
) -> None:
    _import(
        cap_desk,
        order_rows(
            "#1050",
            email="",
            created=CREATED,
            fulfilled=FULFILLED,
            address=BRISBANE,
            shipping_phone="+61 412 345 678",
            items=[{"name": "Teddy", "price": "39.00", "sku": "TEDDY", "vendor": "acme"}],
        ),
    )
    with cap_desk.session() as session:
        assert verify_identity(session, "#1050", "0412 345 678").number == "1050"
        for wrong in ("0412 345 679", "", "mia@example.com"):
            with pytest.raises(IdentityError):
                verify_identity(session, "1050", wrong)
    # The returns form takes the phone in its own field or typed where the email goes.
    for form in ({"phone": "0412345678"}, {"email": "+61 412 345 678"}):
        request = ReturnRequest.model_validate(
            {"order": "1050", "sku": "TEDDY", "reason": "changed_mind", **form}
        )
        assert request.email == "" and request.contact
    view = cap_desk.submit_return(
        ReturnRequest(order="1050", phone="0412 345 678", sku="TEDDY", reason="changed_mind")
    )
    assert view.status == "resolved"  # the supplier is abroad: refunded without a return
    with cap_desk.session() as session:
        case = get_case(session, view.code)
        assert case is not None and case.customer_email == "+61 412 345 678"


def test_the_returns_form_needs_an_email_or_a_phone() -> None:
    with pytest.raises(ValueError, match=r"the phone on the order"):
        ReturnRequest.model_validate({"order": "1", "sku": "X", "reason": "damaged"})


# -- files re-saved by a spreadsheet ---------------------------------------------------------


def test_a_file_resaved_by_a_spreadsheet_is_read(tmp_path: Path) -> None:
    rows = order_rows(
        "#1060",
        email="renee@example.com",
        created=CREATED,
        fulfilled=FULFILLED,
        address={**BOSTON, "name": "Renée Côté"},
        order_discount="12.50",
        items=[
            {"name": "Café mug", "price": "24.00", "sku": "MUG", "vendor": "acme"},
            {"name": "Crème jar", "price": "1026.00", "sku": "JAR", "vendor": "acme"},
        ],
    )
    data = excel_resaved(export_csv(rows))
    assert b";" in data and "é".encode("cp1252") in data and b"1026,00" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "orders_export.csv"
    path.write_bytes(data)
    order = read_orders_csv(path, make_store()).orders[0]
    assert order.customer_name == "Renée Côté"
    assert [(i.name, i.paid) for i in order.items] == [
        ("Café mug", "23.71"),  # 24.00 - 12.50 x 24/1050 = 23.714...
        ("Crème jar", "1013.79"),  # the rest: the lines add up to 1,037.50
    ]
    # The same with a byte order mark and semicolons but UTF-8 reads as well.
    bom = "\ufeff" + data.decode("cp1252")
    path.write_text(bom, encoding="utf-8")
    assert read_orders_csv(path, make_store()).orders[0].customer_name == "Renée Côté"


def test_a_quoted_note_over_several_lines_stays_in_its_order() -> None:
    rows = order_rows(
        "#1070",
        email="ana@example.com",
        created=CREATED,
        address=BOSTON,
        notes='Leave at the door.\n\nRing twice, the bell is "quiet",\nthanks!',
        items=[
            {"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"},
            {"name": "Jar", "price": "26.00", "sku": "JAR", "vendor": "acme"},
        ],
    )
    text = export_csv(rows, order_rows(
        "#1071", email="b@example.com", created=CREATED, address=BOSTON,
        items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
    ))  # fmt: skip
    assert '"Leave at the door.\n\nRing twice' in text
    read = read_orders_csv(text, make_store())
    assert [(o.number, len(o.items)) for o in read.orders] == [("#1070", 2), ("#1071", 1)]
    assert read.skipped == []
    assert read.orders[0].shipping_address == "412 Maple Ave, Boston, MA 02134, US"


def test_the_import_command_reports_skipped_orders_and_unknown_vendors(
    store_env: Path, tmp_path: Path
) -> None:
    path = tmp_path / "orders_export_1.csv"
    text = export_csv(
        discounted_order(),
        order_rows(
            "#1080",
            email="",
            created=CREATED,
            fulfilled=FULFILLED,
            address=BOSTON,
            phone="+1 617 555 0100",
            items=[{"name": "Anvil", "price": "99.00", "sku": "ANVIL", "vendor": "Globex"}],
        ),
        order_rows(
            "#1081",
            email="x@example.com",
            created=CREATED,
            address=BOSTON,
            financial="refunded",
            items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
        ),
    )
    path.write_bytes(excel_resaved(text))
    result = CliRunner().invoke(app, ["orders", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 2 orders" in result.output
    assert "skipped 1: #1081: financial status refunded" in result.output
    assert "vendors without a supplier (1): Globex (orders #1080)" in result.output


def test_delivery_dates_a_spreadsheet_rewrote_are_read() -> None:
    rows = order_rows(
        "#1090",
        email="ana@example.com",
        created="01.03.2026 10:00",
        fulfilled="02/03/2026 09:00",
        address=BOSTON,
        items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
    )
    order = read_orders_csv(excel_resaved(export_csv(rows)), make_store()).orders[0]
    assert order.placed_at == dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert order.delivered_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


# -- the same shapes through the Admin API -----------------------------------------------------


def test_the_admin_api_gives_refunds_phones_and_unknown_vendors_the_same_way() -> None:
    from adapters.shopify_orders import ShopifyOrders
    from tests.adapters.fake_shopify import TOKEN, VERSION, FakeShopify

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    created = (now - dt.timedelta(days=3)).isoformat()
    address = {"name": "Mia Nguyen", "address1": "12 Ann St", "city": "Brisbane",
               "zip": "4001", "province_code": "QLD", "country_code": "US"}  # fmt: skip
    with FakeShopify() as server:
        oid = server.add_order(
            "#5001",
            email="",
            created_at=created,
            financial_status="partially_refunded",
            shipping_address=address,
            line_items=[
                {"name": "Anvil", "sku": "ANVIL", "price": "99.00", "quantity": 1,
                 "vendor": "Globex", "discount_allocations": [{"amount": "9.00"}]},
                {"name": "Mug", "sku": "MUG", "price": "24.00", "quantity": 1, "vendor": "acme"},
            ],
        )  # fmt: skip
        server.orders[oid]["phone"] = None
        server.orders[oid]["shipping_address"]["phone"] = "+61 412 345 678"
        # Refunds made in Shopify's admin: 20.00 paid back, 50.00 the gateway refused.
        sale = server.transactions[oid][0]["id"]
        for amount, failure in (("20.00", None), ("50.00", "CARD_DECLINED")):
            server.gateway_failure = failure
            server._refund(
                {"orderId": f"gid://shopify/Order/{oid}", "note": "damaged in transit",
                 "transactions": [{"parentId": sale, "kind": "REFUND",
                                   "gateway": "shopify_payments", "amount": amount}]}
            )  # fmt: skip
        server.gateway_failure = None
        source = ShopifyOrders("demo", TOKEN, api_version=VERSION, base_url=server.url)
        read = source.recent(make_store(), since=now - dt.timedelta(days=30))
        source.close()
    (order,) = read.orders
    assert (order.email, order.phone, order.refunded) == ("", "+61 412 345 678", "20.00")
    assert [(i.supplier, i.vendor, i.paid) for i in order.items] == [
        ("", "Globex", "90.00"),
        ("acme", "acme", "24.00"),
    ]
    assert read.unknown_vendors == {"Globex": ["#5001"]}


def test_the_orders_channel_is_the_marketplace_its_source_names(cap_desk: ReturnsDesk) -> None:
    # Point of sale and the store's own site are the store's sales (its policy applies);
    # a marketplace source gives the marketplace's channel.
    def sold(number: str, source: str) -> list[dict[str, str]]:
        return order_rows(
            number,
            email="a@example.com",
            created=CREATED,
            address=BOSTON,
            source=source,
            items=[{"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"}],
        )

    _import(
        cap_desk,
        sold("#1100", "web"),
        sold("#1101", "POS"),
        sold("#1102", ""),
        sold("#1103", "Amazon"),
    )
    with cap_desk.session() as session:
        channels = []
        for number in ("1100", "1101", "1102", "1103"):
            order = find_order(session, number)
            assert order is not None
            channels.append(order.channel)
    assert channels == ["web", "web", "web", "amazon"]


def test_a_row_without_an_order_name_is_reported_and_extra_cells_are_ignored() -> None:
    rows = order_rows(
        "#1110",
        email="a@example.com",
        created=CREATED,
        address=BOSTON,
        items=[
            {"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"},
            {"name": "Jar", "price": "26.00", "sku": "JAR", "vendor": "acme"},
        ],
    )
    rows[1]["Name"] = ""
    lines = export_csv(rows).split("\n")
    lines[1] += ",,extra"  # trailing cells past the header, as spreadsheets leave them
    read = read_orders_csv("\n".join(lines) + "\n\n", make_store())
    assert [(o.number, len(o.items)) for o in read.orders] == [("#1110", 1)]
    assert read.skipped == ["row 3: no order Name, left out"]


def test_a_replacement_for_a_line_without_supplier_is_asked_of_the_owner(
    cap_desk: ReturnsDesk,
) -> None:
    from ledger import outbox

    _import(
        cap_desk,
        order_rows(
            "#1120",
            email="cy@example.com",
            created=CREATED,
            fulfilled=FULFILLED,
            address=BOSTON,
            items=[{"name": "Anvil", "price": "99.00", "sku": "ANVIL", "vendor": "Globex"}],
        ),
    )
    view = cap_desk.submit_return(
        ReturnRequest(
            order="1120",
            email="cy@example.com",
            sku="ANVIL",
            reason="changed_mind",
            resolution="replacement",
        )
    )
    done = cap_desk.owner_decide(view.code, approve=True)
    assert (done.status, done.resolution) == ("resolved", "replacement")
    with cap_desk.session() as session:
        to_supplier = outbox.messages(session, channel=outbox.SUPPLIER)
        to_owner = [row.text for row in outbox.messages(session, channel=outbox.OWNER)]
    assert to_supplier == []
    assert any('vendor "Globex"' in text and "replacement" in text for text in to_owner)


def test_a_line_not_yet_shipped_in_a_fulfilled_order_cannot_be_returned_yet(
    cap_desk: ReturnsDesk,
) -> None:
    from tools.errors import NotReturnable

    rows = order_rows(
        "#1130",
        email="ana@example.com",
        created=CREATED,
        fulfilled=FULFILLED,
        address=BOSTON,
        items=[
            {"name": "Mug", "price": "24.00", "sku": "MUG", "vendor": "acme"},
            {"name": "Backordered jar", "price": "26.00", "sku": "JAR", "vendor": "acme"},
        ],
    )
    rows[0]["Fulfillment Status"] = "partial"
    rows[1]["Lineitem fulfillment status"] = "pending"
    items = read_orders_csv(export_csv(rows), make_store()).orders[0].items
    assert [i.delivered for i in items] == [True, False]
    _import(cap_desk, rows)
    with pytest.raises(NotReturnable, match="has not been shipped yet"):
        cap_desk.submit_return(
            ReturnRequest(order="1130", email="ana@example.com", sku="JAR", reason="changed_mind")
        )
    view = cap_desk.submit_return(
        ReturnRequest(order="1130", email="ana@example.com", sku="MUG", reason="changed_mind")
    )
    assert view.status == "awaiting_supplier"


def test_an_order_file_may_leave_the_email_out_or_empty_when_it_gives_a_phone() -> None:
    from policies.loader import PolicyError, orders_from_data

    base = {
        "number": "2001",
        "placed_at": "2026-03-01T10:00:00Z",
        "items": [{"sku": "MUG", "price": "24.00", "supplier": "acme"}],
    }
    for extra in ({"phone": "+1 512 555 0100"}, {"email": None, "phone": 15125550100}):
        (order,) = orders_from_data([{**base, **extra}], "orders.yaml", make_store())
        assert order.email == "" and phone_digits(order.phone).endswith("5125550100")
        assert order.channel == "web"
    with pytest.raises(PolicyError, match=r"orders\[0\]: email: .*phone"):
        orders_from_data([{**base, "email": None}], "orders.yaml", make_store())
