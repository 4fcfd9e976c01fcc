"""Loading the policy, the agreements and orders from YAML, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from policies.models import OrderSpec, Store, StorePolicy, SupplierAgreement
from policies.money import MoneyError

M = TypeVar("M", bound=BaseModel)


class PolicyError(ValueError):
    """A policy, agreement or order file that does not say what it must."""


def describe_validation(where: str, error: ValidationError) -> str:
    """One line per problem: ``store/policy.yaml: return_window_days: ...``."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"{where}: {field}: {problem['msg']}")
    return "\n".join(lines)


def build(model: type[M], data: Any, where: str) -> M:
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(describe_validation(where, exc)) from None


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None


def store_from_data(policy: Any, suppliers: Any, where: str = "store") -> Store:
    """Build a store from already-parsed data (a scenario's ``store:`` and ``suppliers:``)."""
    built_policy = build(StorePolicy, policy or {}, f"{where}: store")
    agreements: dict[str, SupplierAgreement] = {}
    for index, entry in enumerate(suppliers or []):
        agreement = build(SupplierAgreement, entry, f"{where}: suppliers[{index}]")
        if agreement.id in agreements:
            raise PolicyError(f"{where}: suppliers[{index}]: id: duplicate id {agreement.id!r}")
        agreements[agreement.id] = agreement
    _check_vendors(built_policy, agreements, f"{where}: store")
    return Store(policy=built_policy, suppliers=agreements)


def _check_vendors(
    policy: StorePolicy, agreements: dict[str, SupplierAgreement], where: str
) -> None:
    """Each entry of the ``vendors:`` map names a supplier that has an agreement."""
    for vendor, supplier in policy.vendors.items():
        if supplier not in agreements:
            known = ", ".join(sorted(agreements)) or "none"
            raise PolicyError(
                f"{where}: vendors.{vendor}: unknown supplier {supplier!r} (suppliers: {known})"
            )


def load_store(folder: Path) -> Store:
    """Load ``policy.yaml`` and ``suppliers/*.yaml`` from a store folder."""
    folder = Path(folder)
    policy_path = folder / "policy.yaml"
    policy = build(StorePolicy, read_yaml(policy_path) or {}, str(policy_path))
    agreements: dict[str, SupplierAgreement] = {}
    for path in sorted((folder / "suppliers").glob("*.y*ml")):
        agreement = build(SupplierAgreement, read_yaml(path), str(path))
        if agreement.id in agreements:
            raise PolicyError(f"{path}: id: duplicate supplier id {agreement.id!r}")
        agreements[agreement.id] = agreement
    _check_vendors(policy, agreements, str(policy_path))
    return Store(policy=policy, suppliers=agreements)


def orders_from_data(data: Any, where: str, store: Store | None = None) -> list[OrderSpec]:
    if isinstance(data, dict) and "orders" in data:
        data = data["orders"]
    if not isinstance(data, list):
        raise PolicyError(f"{where}: orders: expected a list of orders")
    orders = [build(OrderSpec, entry, f"{where}: orders[{i}]") for i, entry in enumerate(data)]
    for i, order in enumerate(orders):
        for j, item in enumerate(order.items):
            if store is None:
                continue
            if item.supplier and item.supplier not in store.suppliers:
                raise PolicyError(
                    f"{where}: orders[{i}].items[{j}].supplier: unknown supplier {item.supplier!r}"
                )
            for key in ("price", "paid"):
                amount = getattr(item, key)
                try:
                    if amount is not None:
                        amount.minor(store.policy.currency)
                except MoneyError as exc:
                    raise PolicyError(f"{where}: orders[{i}].items[{j}].{key}: {exc}") from None
    return orders


def load_orders(path: Path, store: Store | None = None) -> list[OrderSpec]:
    return orders_from_data(read_yaml(Path(path)), str(path), store)
