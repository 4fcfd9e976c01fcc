"""policies.loader and policies.models: a store folder, read with errors a person can act on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from policies.loader import (
    PolicyError,
    load_orders,
    load_store,
    orders_from_data,
    store_from_data,
)
from policies.models import Reason, normalize_email, normalize_order_number
from policies.money import parse_amount

REPO = Path(__file__).resolve().parents[2]
DEMO_STORE = REPO / "store"


def write_store(folder: Path, policy: str, suppliers: dict[str, str] | None = None) -> Path:
    (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    (folder / "suppliers").mkdir()
    for name, text in (suppliers or {}).items():
        (folder / "suppliers" / name).write_text(text, encoding="utf-8")
    return folder


def order(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": "1001",
        "email": "ana@example.com",
        "placed_at": "2026-03-01T10:00:00Z",
        "delivered_at": "2026-03-05T10:00:00Z",
        "items": [{"sku": "MUG-1", "name": "Ceramic mug", "price": "24.00", "supplier": "acme"}],
    }
    return {**base, **fields}


# -- a good store folder ------------------------------------------------------------------------


def test_load_store_reads_the_policy_and_every_supplier_file(tmp_path: Path) -> None:
    write_store(
        tmp_path,
        "currency: eur\nreturn_window_days: 14\nstore_credit_bonus_percent: 10\n"
        'return_label_cost: "4.90"\nphoto_required_reasons: [damaged]\n',
        {
            "acme.yaml": "id: acme\nrole: logistical\ncountry: us\nrma_required: true\n",
            "gadgets.yml": "id: gadgets\nname: Gadgets Ltd\nrole: financial\ncountry: CN\n",
        },
    )
    store = load_store(tmp_path)
    assert store.policy.currency == "EUR"
    assert store.policy.return_window_days == 14
    assert store.policy.return_label_cost.minor("EUR") == 490
    assert store.policy.photo_required_reasons == (Reason.DAMAGED,)
    assert set(store.suppliers) == {"acme", "gadgets"}
    assert store.supplier("acme").country == "US"
    assert store.supplier("acme").rma_required is True
    assert store.supplier("acme").name == "acme"  # no name given: the id stands in
    assert store.supplier("gadgets").role == "financial"


def test_an_empty_policy_file_means_the_defaults_of_the_design(tmp_path: Path) -> None:
    store = load_store(write_store(tmp_path, ""))
    policy = store.policy
    assert policy.currency == "USD"
    assert policy.return_window_days == 30
    assert policy.return_shipping_paid_by == "customer_unless_fault"
    assert policy.keep_it_international is True
    assert policy.keep_it_under is None
    assert policy.review_above is None
    assert policy.supplier_response_hours == 48
    assert policy.refund_after_delivery_days == 7
    assert policy.store_credit_bonus_percent == 0
    assert policy.return_label_cost.minor("USD") == 0
    assert set(policy.photo_required_reasons) == {
        Reason.DAMAGED,
        Reason.DEFECTIVE,
        Reason.WRONG_ITEM,
        Reason.NOT_AS_DESCRIBED,
    }
    assert store.suppliers == {}


def test_asking_for_a_supplier_without_an_agreement_says_which(tmp_path: Path) -> None:
    store = load_store(write_store(tmp_path, ""))
    with pytest.raises(KeyError, match="nobody"):
        store.supplier("nobody")


# -- errors name the file and the field ---------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "field", "words"),
    [
        ("currency: US\n", "currency", "three-letter currency code"),
        ("currency: dollars\n", "currency", "three-letter currency code"),
        ("return_window_days: -3\n", "return_window_days", "greater than or equal to 0"),
        ("colour: red\n", "colour", "Extra inputs are not permitted"),
        ("return_shipping_paid_by: supplier\n", "return_shipping_paid_by", "customer"),
        ("photo_required_reasons: [scratched]\n", "photo_required_reasons.0", "damaged"),
        ("keep_it_under: cheap\n", "keep_it_under", "not an amount"),
        ('review_above: "-5"\n', "review_above", "non-negative"),
        ("store_credit_bonus_percent: 150\n", "store_credit_bonus_percent", "100"),
        ("supplier_response_hours: 0\n", "supplier_response_hours", "greater than 0"),
    ],
)
def test_a_bad_policy_field_is_named_with_its_file(
    tmp_path: Path, policy: str, field: str, words: str
) -> None:
    write_store(tmp_path, policy)
    with pytest.raises(PolicyError) as caught:
        load_store(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'policy.yaml'}: {field}: ")
    assert words in message


def test_every_bad_field_gets_its_own_line(tmp_path: Path) -> None:
    write_store(tmp_path, "currency: US\nreturn_window_days: -1\n")
    with pytest.raises(PolicyError) as caught:
        load_store(tmp_path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert any(": currency: " in line for line in lines)
    assert any(": return_window_days: " in line for line in lines)


@pytest.mark.parametrize(
    ("supplier", "field", "words"),
    [
        ("id: acme\nrole: wholesaler\n", "role", "'logistical' or 'financial'"),
        ("id: acme\ncountry: USA\n", "country", "ISO 3166 alpha-2"),
        ("id: acme\nrestocking_fee_percent: -5\n", "restocking_fee_percent", "greater than"),
        ("id: acme\nfax: 555-1234\n", "fax", "Extra inputs are not permitted"),
        ("name: Acme\n", "id", "Field required"),
    ],
)
def test_a_bad_supplier_field_is_named_with_its_file(
    tmp_path: Path, supplier: str, field: str, words: str
) -> None:
    write_store(tmp_path, "", {"acme.yaml": supplier})
    with pytest.raises(PolicyError) as caught:
        load_store(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'suppliers' / 'acme.yaml'}: {field}: ")
    assert words in message


def test_two_files_with_the_same_supplier_id_are_refused_naming_the_second(
    tmp_path: Path,
) -> None:
    write_store(
        tmp_path,
        "",
        {"a-acme.yaml": "id: acme\n", "b-acme-copy.yaml": "id: acme\ncountry: DE\n"},
    )
    with pytest.raises(PolicyError) as caught:
        load_store(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "suppliers" / "b-acme-copy.yaml") in message
    assert "id: duplicate supplier id 'acme'" in message


def test_invalid_yaml_is_reported_with_its_file_not_a_traceback(tmp_path: Path) -> None:
    write_store(tmp_path, "currency: USD\nreturn_window_days: [30\n")
    with pytest.raises(PolicyError) as caught:
        load_store(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'policy.yaml'}: not valid YAML")


def test_invalid_yaml_in_a_supplier_file_names_that_file(tmp_path: Path) -> None:
    write_store(tmp_path, "", {"acme.yaml": "id: acme\n  role: : logistical\n"})
    with pytest.raises(PolicyError, match=r"suppliers/acme\.yaml: not valid YAML"):
        load_store(tmp_path)


def test_a_policy_that_is_a_list_is_refused(tmp_path: Path) -> None:
    write_store(tmp_path, "- currency: USD\n")
    with pytest.raises(PolicyError, match=r"policy\.yaml: expected a mapping of fields, got list"):
        load_store(tmp_path)


def test_an_empty_supplier_file_is_refused(tmp_path: Path) -> None:
    write_store(tmp_path, "", {"acme.yaml": ""})
    with pytest.raises(PolicyError, match=r"acme\.yaml: expected a mapping of fields"):
        load_store(tmp_path)


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"policy\.yaml: file not found"):
        load_store(tmp_path)


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ('currency: USD\nreturn_label_cost: "7.505"\n', "return_label_cost"),
        ('currency: JPY\nkeep_it_under: "12.50"\n', "keep_it_under"),
    ],
)
def test_an_amount_finer_than_the_currency_is_refused_at_load(
    tmp_path: Path, policy: str, field: str
) -> None:
    write_store(tmp_path, policy)
    with pytest.raises(PolicyError, match=rf"policy\.yaml: {field}: "):
        load_store(tmp_path)


# -- store_from_data ----------------------------------------------------------------------------


def test_store_from_data_names_the_supplier_by_its_position() -> None:
    with pytest.raises(PolicyError, match=r"^scenario\.yaml: suppliers\[1\]: role: "):
        store_from_data({}, [{"id": "acme"}, {"id": "b", "role": "broker"}], "scenario.yaml")


def test_store_from_data_refuses_a_duplicate_id() -> None:
    with pytest.raises(PolicyError, match=r"suppliers\[1\]: id: duplicate id 'acme'"):
        store_from_data({}, [{"id": "acme"}, {"id": "acme"}], "scenario.yaml")


def test_store_from_data_names_the_store_block() -> None:
    with pytest.raises(PolicyError, match=r"^s\.yaml: store: currency: "):
        store_from_data({"currency": "EURO"}, [], "s.yaml")


# -- orders -------------------------------------------------------------------------------------


def test_orders_from_data_reads_an_orders_block() -> None:
    store = store_from_data({}, [{"id": "acme"}])
    orders = orders_from_data({"orders": [order(number=1001)]}, "orders.yaml", store)
    assert len(orders) == 1
    assert orders[0].number == "1001"  # a YAML integer becomes the text the customer sees
    assert orders[0].items[0].quantity == 1
    assert orders[0].items[0].final_sale is False
    assert orders[0].delivered_at == dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)


def test_a_date_without_a_zone_is_read_as_utc() -> None:
    orders = orders_from_data([order(placed_at="2026-03-01T10:00:00", delivered_at=None)], "o")
    assert orders[0].placed_at.tzinfo is not None
    assert orders[0].placed_at.utcoffset() == dt.timedelta(0)
    assert orders[0].delivered_at is None


def test_an_unknown_supplier_is_named_by_its_path_in_the_file() -> None:
    store = store_from_data({}, [{"id": "acme"}])
    items = [
        {"sku": "MUG-1", "price": "24.00", "supplier": "acme"},
        {"sku": "TENT", "price": "389.00", "supplier": "trailhead"},
    ]
    data = {"orders": [order(), order(number="1002", items=items)]}
    with pytest.raises(PolicyError) as caught:
        orders_from_data(data, "orders.yaml", store)
    assert str(caught.value) == (
        "orders.yaml: orders[1].items[1].supplier: unknown supplier 'trailhead'"
    )


def test_without_a_store_suppliers_are_not_checked() -> None:
    orders = orders_from_data([order()], "orders.yaml")
    assert orders[0].items[0].supplier == "acme"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"items": []}, "items"),
        ({"email": ""}, "email"),
        ({"placed_at": "last tuesday"}, "placed_at"),
        ({"gift_wrap": True}, "gift_wrap"),
    ],
)
def test_a_bad_order_field_is_named_with_the_order(change: dict[str, Any], words: str) -> None:
    with pytest.raises(PolicyError, match=rf"^orders\.yaml: orders\[0\]: {words}"):
        orders_from_data([order(**change)], "orders.yaml")


def test_a_bad_price_names_the_item() -> None:
    bad = order(items=[{"sku": "MUG-1", "price": "free", "supplier": "acme"}])
    with pytest.raises(PolicyError, match=r"orders\[0\]: items\.0\.price: .*not an amount"):
        orders_from_data([bad], "orders.yaml")


def test_a_quantity_of_zero_is_refused() -> None:
    bad = order(items=[{"sku": "MUG-1", "price": "1", "quantity": 0, "supplier": "acme"}])
    with pytest.raises(PolicyError, match=r"items\.0\.quantity"):
        orders_from_data([bad], "orders.yaml")


def test_orders_must_be_a_list() -> None:
    with pytest.raises(PolicyError, match=r"^orders\.yaml: orders: expected a list"):
        orders_from_data({"orders": {"1001": {}}}, "orders.yaml")


def test_a_price_finer_than_the_store_currency_is_refused_naming_the_item() -> None:
    store = store_from_data({"currency": "USD"}, [{"id": "acme"}])
    bad = order(items=[{"sku": "MUG-1", "price": "24.001", "supplier": "acme"}])
    with pytest.raises(PolicyError, match=r"orders\[0\]\.items\[0\]\.price"):
        orders_from_data([bad], "orders.yaml", store)


def test_load_orders_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.yaml"
    path.write_text("orders:\n  - number: 1\n    email: a@b.co\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=rf"^{path}: orders\[0\]: "):
        load_orders(path)


# -- normalising what customers type ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("#1001", "1001"),
        (" 1001 ", "1001"),
        ("1001", "1001"),
        ("# 1001", "1001"),
        ("a-7731", "A-7731"),
        ("#A-7731", "A-7731"),
        ("nw-0042", "NW-0042"),
    ],
)
def test_order_numbers_compare_without_hash_spaces_or_case(typed: str, number: str) -> None:
    assert normalize_order_number(typed) == number


def test_leading_zeros_are_kept_because_they_are_part_of_the_number() -> None:
    assert normalize_order_number("0042") == "0042"
    assert normalize_order_number("0042") != normalize_order_number("42")


@pytest.mark.parametrize("typed", [" ANA@Example.com ", "ana@example.com", "Ana@EXAMPLE.COM\n"])
def test_emails_compare_ignoring_case_and_surrounding_spaces(typed: str) -> None:
    assert normalize_email(typed) == "ana@example.com"


# -- the shipped demo store ---------------------------------------------------------------------


def test_the_demo_store_loads_with_its_suppliers_and_orders() -> None:
    store = load_store(DEMO_STORE)
    orders = load_orders(DEMO_STORE / "orders.yaml", store)

    assert store.policy.name == "Northwind Goods"
    assert {a.role for a in store.suppliers.values()} == {"logistical", "financial"}
    assert len({a.country for a in store.suppliers.values()}) >= 2
    assert len({o.country for o in orders}) >= 2
    assert 25 <= len(orders) <= 40

    numbers = [normalize_order_number(o.number) for o in orders]
    assert len(numbers) == len(set(numbers)), "order numbers must be unique"
    for spec in orders:
        for item in spec.items:
            assert item.supplier in store.suppliers
            assert parse_amount(item.price, store.policy.currency) > 0


def test_the_demo_store_exercises_the_edge_cases_of_the_policy() -> None:
    store = load_store(DEMO_STORE)
    orders = load_orders(DEMO_STORE / "orders.yaml", store)
    assert any(o.delivered_at is None for o in orders), "an order not delivered yet"
    assert any(i.final_sale for o in orders for i in o.items), "a final-sale item"
    assert any(not normalize_order_number(o.number).isdigit() for o in orders), (
        "an order number with letters"
    )
    assert any(a.return_address is None for a in store.suppliers.values() if a.role == "logistical")
    assert any(a.restocking_fee_percent > 0 for a in store.suppliers.values())
