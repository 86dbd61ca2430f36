"""Domain errors with stable codes; views turn them into messages, the API into JSON bodies."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused action. ``code`` is stable (API clients depend on it); ``status`` is HTTP."""

    status = 400

    def __init__(self, code: str, message: str, *, fields: dict[str, str] | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class ValidationFailed(ServiceError):
    status = 422

    def __init__(self, fields: dict[str, str], message: str = "Some values are not valid.") -> None:
        super().__init__("validation_failed", message, fields=fields)


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409
