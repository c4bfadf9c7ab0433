"""Page sizes that a client chooses, within a limit (issue 12, R5)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# The largest page any list serves: a client may ask for fewer rows a page, never for more.
MAX_PAGE_SIZE = 200


class ClientPageSize:
    """Mixed into a paginator (before it): `?page_size=N` picks a page of N rows, from 1 to
    `max_page_size`, without it the paginator's own `page_size`. Any other value is refused (400
    `invalid`, naming `page_size`), rather than silently replaced as DRF's own parsing would."""

    page_size: int
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A page holds from 1 to %(limit)d rows.") % {"limit": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """DRF's, with links that are URLs: its example `next` ends in a stray quote."""
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)  # type: ignore[misc]
        properties = paginated["properties"]
        properties["next"]["example"] = (
            "https://si.example.cn/api/v1/me/contributions?cursor=cD0yMDI0MDEuMTI%3D"
        )
        properties["next"]["description"] = "The next page, or null on the last one."
        properties["previous"]["example"] = (
            "https://si.example.cn/api/v1/me/contributions?cursor=cj0xJnA9MjAyNDAy"
        )
        properties["previous"]["description"] = "The previous page, or null on the first one."
        properties["results"]["description"] = "This page's rows."
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows a page, from 1 to {self.max_page_size}; {self.page_size} when not given."
                )
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
