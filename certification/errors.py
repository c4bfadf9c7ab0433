"""The error codes of pensions in payment and certification (see core.errors): none raised yet."""

from __future__ import annotations

from core.errors import ErrorCode

ERRORS: tuple[ErrorCode, ...] = ()
