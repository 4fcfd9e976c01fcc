"""Errors from the services across the internet (carrier, payments, the store's orders).

Each is a :class:`ReturnError`, so whoever triggered the call (a supplier's approval, the
owner's decision, the worker) gets a sentence instead of a traceback, and the case step that
called the service is rolled back: the case stays where it was and the same action can be
tried again. ``retryable`` tells a temporary failure (the service is down, too many requests,
no answer) from one that needs a person (a wrong key, an address the carrier refuses).
"""

from __future__ import annotations

from tools.errors import ReturnError


class ServiceError(ReturnError):
    """A call to an outside service failed; nothing was bought or paid by it."""

    code = "service_error"
    retryable = False

    def __init__(self, service: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.retry_after: float | None = None  # seconds, when the service said how long


class ServiceUnavailable(ServiceError):
    """The service did not answer, answered 5xx, or asked us to slow down (429)."""

    code = "service_unavailable"
    retryable = True


class ServiceAuthFailed(ServiceError):
    """The service refused our credentials (401/403): a setting needs fixing."""

    code = "service_auth_failed"


class ServiceRejected(ServiceError):
    """The service understood the request and refused it (4xx with its reason)."""

    code = "service_rejected"


class CarrierError(ServiceError):
    """Anything that stopped the carrier from selling a label."""

    code = "carrier_error"


class CarrierUnavailable(CarrierError, ServiceUnavailable):
    code = "carrier_unavailable"


class CarrierAuthFailed(CarrierError, ServiceAuthFailed):
    code = "carrier_auth_failed"


class CarrierRejected(CarrierError, ServiceRejected):
    code = "carrier_rejected"


class AddressUnreadable(CarrierError):
    """An address on file cannot be split into the street, city, postcode and country a
    carrier needs."""

    code = "address_unreadable"


class PaymentsError(ServiceError):
    """Anything that stopped the payment service from refunding."""

    code = "payments_error"


class PaymentsUnavailable(PaymentsError, ServiceUnavailable):
    code = "payments_unavailable"


class PaymentsAuthFailed(PaymentsError, ServiceAuthFailed):
    code = "payments_auth_failed"


class PaymentsRejected(PaymentsError, ServiceRejected):
    code = "payments_rejected"


class OrdersSourceError(ServiceError):
    """The store's order system could not be read."""

    code = "orders_source_error"


class OrdersUnavailable(OrdersSourceError, ServiceUnavailable):
    code = "orders_unavailable"


class OrdersAuthFailed(OrdersSourceError, ServiceAuthFailed):
    code = "orders_auth_failed"


class OrdersRejected(OrdersSourceError, ServiceRejected):
    code = "orders_rejected"
