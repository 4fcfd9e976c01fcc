"""Errors a customer, supplier or owner can cause, each with a message fit to show them."""

from __future__ import annotations


class ReturnError(Exception):
    """Base of every error that is turned into a friendly reply at the edge."""

    code = "return_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IdentityError(ReturnError):
    """Unknown order or wrong email: one answer for both, so neither leaks."""

    code = "order_not_found"

    def __init__(self) -> None:
        super().__init__(
            "We couldn't find an order with that order number and email address. "
            "Please check both and try again."
        )


class NotReturnable(ReturnError):
    """A request that opens no case: unknown item, too many units, not delivered yet."""

    code = "not_returnable"

    def __init__(self, message: str, code: str = "not_returnable") -> None:
        super().__init__(message)
        self.code = code


class CaseNotFound(ReturnError):
    code = "case_not_found"


class ActionRefused(ReturnError):
    """An action that does not fit the case now, or comes from someone who may not take it."""

    code = "action_refused"


class InvalidUpload(ReturnError):
    code = "invalid_upload"

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class TooManyPixels(InvalidUpload):
    """A photo whose header claims more pixels than we decode (a decompression bomb, or a
    camera's full-resolution mode): refused before decoding, answered 413."""

    code = "too_many_pixels"

    def __init__(self, message: str) -> None:
        super().__init__(message, too_large=True)


class RefundCapExceeded(ReturnError):
    code = "refund_cap_exceeded"


class PhotoNotAllowed(ReturnError):
    """A photo from someone not yet known: a chat that has not matched an order and email."""

    code = "photo_not_allowed"
    http_status = 403


class PhotoLimitReached(ReturnError):
    """More photos than a case or a chat session may hold."""

    code = "photo_limit_reached"
    http_status = 422
