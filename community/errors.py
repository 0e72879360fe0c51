"""Errors services raise; views and the API map them to responses."""
from __future__ import annotations


class ServiceError(Exception):
    status_code = 400

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    """Input broke a rule. `fields` maps each form field to its message."""

    status_code = 422


class NotFound(ServiceError):
    status_code = 404


class PermissionDenied(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    """The request lost a race or would duplicate something unique."""

    status_code = 409
