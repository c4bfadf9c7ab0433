"""The operators' endpoints (the service's health in detail, readiness for a load balancer), the API's
index, and the public verification of documents."""

import datetime
import hashlib
import secrets
from typing import Any, ClassVar

from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import health
from core.documents import (
    Block,
    DocumentFacts,
    Fields,
    Grid,
    Section,
    date_text,
    document_facts_by_code,
    document_web_font,
)
from core.schema import error_codes
from core.serializers import DocumentUploadSerializer, DocumentVerificationSerializer
from core.throttling import ResilientScopedRateThrottle

_DEPENDENCY = ["ok", "unavailable"]

_HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(["ok", "degraded"], help_text="`ok` when every part below is."),
        "version": serializers.CharField(help_text="The platform's version."),
        "database": serializers.ChoiceField(_DEPENDENCY, help_text="PostgreSQL answers."),
        "broker": serializers.ChoiceField(_DEPENDENCY, help_text="The Celery broker (Redis) answers."),
        "worker": serializers.ChoiceField(
            _DEPENDENCY, help_text="A Celery worker sent a heartbeat within the last 90 seconds."
        ),
        "worker_last_seen": serializers.DateTimeField(
            allow_null=True, help_text="The last heartbeat of any Celery worker; null if none was seen."
        ),
        "beat": serializers.ChoiceField(
            _DEPENDENCY, help_text="Celery beat's scheduler ticked within the last 60 seconds."
        ),
        "beat_last_tick": serializers.DateTimeField(
            allow_null=True, help_text="Beat's last tick; null if none was seen."
        ),
        "migrations": serializers.ChoiceField(
            ["ok", "pending", "unavailable"],
            help_text="`pending` when the database lacks migrations that this version has.",
        ),
        "pending_migrations": serializers.ListField(
            child=serializers.CharField(), help_text="Those migrations, as `app.name`."
        ),
    },
)
_READY = inline_serializer(
    "Readiness",
    {
        "ready": serializers.BooleanField(help_text="This instance can serve requests."),
        "failing": serializers.ListField(
            child=serializers.ChoiceField(["database", "broker", "migrations"]),
            help_text="What keeps it from being ready: empty when ready.",
        ),
    },
)


class HealthApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Service health: database, broker, worker, beat, migrations and version",
        description="200 when every part is `ok`, 503 with the same report when any is not.",
        responses={200: _HEALTH, 503: _HEALTH},
    )
    def get(self, request: Request) -> Response:
        worker = health.heartbeat_status("worker", stale_after=health.WORKER_STALE_SECONDS)
        beat = health.heartbeat_status("beat", stale_after=health.BEAT_STALE_SECONDS)
        migrations = health.migrations_status()
        report = {
            "version": health.version(),
            "database": health.database_status(),
            "broker": health.broker_status(),
            "worker": worker.status,
            "worker_last_seen": worker.last_seen,
            "beat": beat.status,
            "beat_last_tick": beat.last_seen,
            "migrations": migrations.status,
            "pending_migrations": list(migrations.pending),
        }
        healthy = all(report[part] == "ok" for part in ("database", "broker", "worker", "beat", "migrations"))
        return Response({"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503)


class ReadyApi(APIView):
    """For a load balancer: whether this instance should get traffic. The worker and beat are not asked:
    requests are served without them, and their jobs wait in the broker."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Readiness: this instance can serve (database, broker, migrations applied)",
        description="200 when ready, 503 when not, with what is failing.",
        responses={200: _READY, 503: _READY},
    )
    def get(self, request: Request) -> Response:
        checks = {
            "database": health.database_status() == "ok",
            "broker": health.broker_status() == "ok",
            "migrations": health.migrations_status().status == "ok",
        }
        failing = [name for name, ok in checks.items() if not ok]
        return Response({"ready": not failing, "failing": failing}, status=503 if failing else 200)


class ApiIndexApi(APIView):
    """The API's entry points, by audience: what `/api/v1/` answers, so that a client (or a person with a
    browser) starts somewhere. `entry_points` ({group: {name: URL name}}) is given by config.urls, which
    knows every app's routes."""

    authentication_classes = []
    permission_classes = [AllowAny]
    entry_points: ClassVar[dict[str, dict[str, str]]] = {}

    # Not in the OpenAPI description, which it points to: its path alone ends in a slash (`/api/v1/`, where a
    # client starts), against the description's rule that no path does.
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        index: dict[str, object] = {"version": health.version()}
        for group, names in self.entry_points.items():
            index[group] = {name: request.build_absolute_uri(reverse(url)) for name, url in names.items()}
        return Response(index)


class DocumentPageRenderer(TemplateHTMLRenderer):
    """The verification page for a browser: the same data as the JSON, as HTML, with the Chinese face cut
    down to the page's characters inlined, so the page reads right without Chinese fonts installed."""

    format = "html"
    exception_template_names = ["core/document_verify_error.html"]

    def get_template_context(self, data: Any, renderer_context: Any) -> Any:
        context = dict(super().get_template_context(data, renderer_context))
        language = translation.get_language()
        for name in ("issued_at", "valid_until", "revoked_at"):
            value = context.get(name)
            if value:
                context[f"{name}_text"] = date_text(datetime.date.fromisoformat(value[:10]), language)
        return context

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        page = super().render(data, accepted_media_type, renderer_context)
        text = page.decode("utf-8") if isinstance(page, bytes) else page
        return text.replace("__DOCUMENT_FONT__", document_web_font(text)).encode("utf-8")


def _block_json(block: Block) -> dict[str, Any]:
    if isinstance(block, Fields):
        return {"type": "fields", "items": [list(item) for item in block.items]}
    if isinstance(block, Grid):
        return {
            "type": "table",
            "header": list(block.header),
            "rows": [list(row) for row in block.rows],
            "numeric": list(block.numeric),
        }
    return {"type": "text", "text": block.text}


def _section_json(section: Section) -> dict[str, Any]:
    return {"heading": section.heading, "blocks": [_block_json(block) for block in section.blocks]}


def _verification(code: str, facts: DocumentFacts, *, unaltered: bool | None) -> dict[str, Any]:
    return {
        "verification_code": code.strip().upper(),
        "genuine": True,
        "kind": facts.kind,
        "title": facts.title,
        "issuer": facts.issuer,
        "status": facts.status,
        "issued_at": facts.issued_at,
        "valid_until": facts.valid_until,
        "revoked_at": facts.revoked_at,
        "sections": [_section_json(section) for section in facts.sections],
        "content": facts.content,
        "content_sha256": facts.content_sha256,
        "unaltered": unaltered,
    }


_VERIFY_RESPONSES = {
    (200, "application/json"): DocumentVerificationSerializer,
    (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The verification page, in HTML."),
}
_VERIFY_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["html", "json"],
    description="The answer's form, overriding `Accept`: `html` (the page) or `json`.",
)


class DocumentVerifyApi(APIView):
    """Public: anyone holding a document's code (printed on it, and in its QR code) sees what it states,
    the ID number masked, and whether it is valid, expired or revoked; with the PDF, whether the file is
    the one issued. A browser gets the page (HTML), an API client JSON (by `Accept`, or `?format=json`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "certificate_verify"
    throttle_classes = [ResilientScopedRateThrottle]
    renderer_classes = [JSONRenderer, DocumentPageRenderer]
    template_name = "core/document_verify.html"

    @extend_schema(
        summary="Verify a document: what it states and whether it is valid",
        parameters=[_VERIFY_FORMAT],
        responses=_VERIFY_RESPONSES,
        extensions=error_codes("not_found"),
    )
    def get(self, request: Request, code: str) -> Response:
        facts = document_facts_by_code(code=code, language=translation.get_language())
        return Response(DocumentVerificationSerializer(_verification(code, facts, unaltered=None)).data)

    @extend_schema(
        summary="Verify a document's PDF: is this file the one issued under the code?",
        request={"multipart/form-data": DocumentUploadSerializer},
        parameters=[_VERIFY_FORMAT],
        examples=[
            OpenApiExample(
                "The PDF as received",
                value={"file": "certificate-7KQ2M9XA.pdf"},
                request_only=True,
                media_type="multipart/form-data",
            )
        ],
        responses=_VERIFY_RESPONSES,
        extensions=error_codes("not_found", "invalid"),
    )
    def post(self, request: Request, code: str) -> Response:
        upload = DocumentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        facts = document_facts_by_code(code=code, language=translation.get_language())
        digest = hashlib.sha256(upload.validated_data["file"].read()).hexdigest()
        unaltered = secrets.compare_digest(digest, facts.pdf_sha256)
        return Response(DocumentVerificationSerializer(_verification(code, facts, unaltered=unaltered)).data)
