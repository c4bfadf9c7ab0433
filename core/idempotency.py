"""Retried requests are harmless: the `Idempotency-Key` header of the API's creating POSTs.

    class AgencyEnrolmentApi(AgencyView):
        @extend_schema(...)
        @idempotent
        def post(self, request): ...

A request that carries `Idempotency-Key: <1-255 visible ASCII characters>`:

- the first time, runs, and its answer (status, body and the headers that matter) is stored under the
  caller and the key, in the same transaction as what the request wrote: either both are committed or
  neither, so a crash never leaves a stored answer for work that was not done, nor the reverse;
- again with the same method, path and body, answers with the stored answer (and
  `Idempotent-Replayed: true`) and runs nothing;
- again with another request, is refused with `idempotency_key_reused` (422);
- while the first is still running: the claim is a row inserted first in that transaction, so the second
  insert waits for the first to commit and then answers with the stored answer. It waits at most
  `IDEMPOTENCY_WAIT_SECONDS`, then is refused with `idempotency_in_progress` (409), to retry later.

Answers of 500 and above, and 429, are not stored: a retry runs afresh (a transient failure, or a 503 that
names work saved for later, which the retry finds again). Keys are
per caller (the signed-in user) and expire after `IDEMPOTENCY_KEY_TTL_SECONDS`; the periodic task
`core.delete_expired_idempotency_keys` deletes expired rows. A request without the header runs as before.
core.schema documents the header and the codes on every operation decorated here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.views import APIView

from core.exceptions import ApplicationError, ConflictError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
ERROR_CODES = ("idempotency_key_invalid", "idempotency_key_reused", "idempotency_in_progress")
# The headers of an answer that are part of it (a PDF's file name, a created record's address).
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Location")
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")
_LOCK_NOT_AVAILABLE = "55P03"


def idempotent(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate an APIView's handler (`post`) so that it honours `Idempotency-Key` (module docstring)."""

    @functools.wraps(handler)
    def run(view: APIView, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _KEY_FORMAT.fullmatch(key):
            raise ApplicationError(
                "idempotency_key_invalid",
                _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."),
                fields={HEADER: [_("Send a new random value, such as a UUID, for each new request.")]},
            )
        fingerprint = request_fingerprint(request)
        user_id: int = request.user.pk  # type: ignore[assignment]  # creating operations have a caller
        with transaction.atomic():
            stored = _claim(user_id=user_id, key=key, fingerprint=fingerprint)
            if stored is not None:
                return _replay(stored)
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:  # the answer DRF would give, stored like any other
                response = view.handle_exception(exc)
            response = view.finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
            if hasattr(response, "render"):
                response.render()
            # What the request wrote stays as it would without the header (the services' own transactions
            # decide that); only whether its answer is kept depends on the status.
            claim = IdempotencyKey.objects.filter(user_id=user_id, key=key)
            if response.status_code >= 500 or response.status_code == 429:
                claim.delete()  # not kept, the claim included: a retry runs afresh
                return response
            claim.update(
                status_code=response.status_code,
                headers={name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
                body=response.content,
            )
        return response

    run.idempotent = True  # type: ignore[attr-defined]  # read by core.schema
    return run


def request_fingerprint(request: Request) -> str:
    """A digest of the method, path and parsed body: equal for a retry of the same request, whatever its
    multipart boundary or JSON key order; an uploaded file counts by its content's digest."""
    data = request.data
    if hasattr(data, "lists"):  # form data: every value of every field, files by content
        body: Any = sorted((name, [_canonical(value) for value in values]) for name, values in data.lists())
    else:
        body = data
    text = json.dumps([request.method, request.path, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if not isinstance(value, UploadedFile):
        return value
    # An upload handler that stored the file as it arrived (imports' encrypting one) hashed it already,
    # and keeps no readable file.
    known = getattr(value, "sha256", None)
    if isinstance(known, str):
        return {"file": value.name, "sha256": known}
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)
    return {"file": value.name, "sha256": digest.hexdigest()}


def _claim(*, user_id: int, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Claim `key` for this request inside the current transaction; None when claimed, else the answer
    stored by the first request with this key. A concurrent first request holds the claim until it
    commits: this waits for it, at most IDEMPOTENCY_WAIT_SECONDS."""
    now = timezone.now()
    table = IdempotencyKey._meta.db_table
    wait_ms = int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000)
    expires_at = now + timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    with connection.cursor() as cursor:
        IdempotencyKey.objects.filter(user_id=user_id, key=key, expires_at__lte=now).delete()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{wait_ms}ms"])
        try:
            with transaction.atomic():
                # ON CONFLICT waits for a concurrent claim of the same key to commit or roll back.
                cursor.execute(
                    f"INSERT INTO {table} (user_id, key, fingerprint, headers, body, created_at, expires_at)"  # noqa: S608 - the model's table
                    " VALUES (%s, %s, %s, '{}', '', %s, %s)"
                    " ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                    [user_id, key, fingerprint, now, expires_at],
                )
                claimed = cursor.fetchone() is not None
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            raise ConflictError(
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still running: retry it in a moment."),
            ) from None
        finally:
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    if claimed:
        return None
    stored = IdempotencyKey.objects.get(user_id=user_id, key=key)
    if stored.fingerprint != fingerprint:
        raise ApplicationError(
            "idempotency_key_reused",
            _("This Idempotency-Key was used for another request: send a new key for a new request."),
            fields={HEADER: [_("Already used with another method, address or body.")]},
            status_code=422,
        )
    return stored


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(stored.body), status=stored.status_code)
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_keys_delete_expired(*, batch_size: int = 10_000) -> int:
    """Delete the expired keys, a batch per statement (no long lock on a large table); how many."""
    deleted = 0
    while True:
        batch = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).values("pk")[:batch_size]
        count, _ = IdempotencyKey.objects.filter(pk__in=batch).delete()
        deleted += count
        if count < batch_size:
            return deleted
