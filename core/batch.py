"""What a set-based service answers for a batch of items: the refusal of each item it refused.

The API calls a service with one item and raises that item's refusal as it is (`refusal_raise`); an import
calls it with a chunk and reports each refusal as a row error. Both get the same codes and messages,
decided once in the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import ngettext

from core.exceptions import ApplicationError


@dataclass(frozen=True, slots=True)
class Refusal:
    """Item `index` of the batch was refused with `error`; `column` names the input it is about."""

    index: int
    error: ApplicationError
    column: str = ""

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message


def refusal_raise(refusals: Iterable[Refusal]) -> None:
    """Raise the first refusal's error, if there is one: for callers that send one item."""
    for refusal in refusals:
        raise refusal.error


def batch_refused(refusals: Iterable[Refusal], name: str) -> ApplicationError:
    """The refusal of a batch sent whole (all or none): every refused item, named `name[index].column`."""
    refusals = list(refusals)
    first = refusals[0].error
    fields: dict[str, list[str]] = {}
    for refusal in refusals:
        key = f"{name}[{refusal.index}]" + (f".{refusal.column}" if refusal.column else "")
        fields.setdefault(key, []).append(f"{refusal.code}: {refusal.message}")
    return ApplicationError(
        "batch_refused",
        ngettext(
            "%(count)d of the items was refused, and nothing was written. The first: %(message)s",
            "%(count)d of the items were refused, and nothing was written. The first: %(message)s",
            len(refusals),
        )
        % {"count": len(refusals), "message": first.message},
        fields=fields,
        status_code=first.status_code,
    )
