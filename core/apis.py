import datetime
import hashlib
import logging
import secrets
from typing import Any

import redis
from django.conf import settings
from django.db import connection
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

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        logger.exception("Health check: database unavailable")
        return "unavailable"


def _broker_status() -> str:
    try:
        with redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        ) as client:
            client.ping()
        return "ok"
    except redis.RedisError:
        logger.exception("Health check: broker unavailable")
        return "unavailable"


_HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(
            ["ok", "degraded"], help_text="ok when every dependency answers; degraded (with 503) otherwise."
        ),
        "database": serializers.ChoiceField(["ok", "unavailable"], help_text="Whether PostgreSQL answers."),
        "broker": serializers.ChoiceField(["ok", "unavailable"], help_text="Whether the job broker answers."),
    },
)


class HealthApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Service health: database and broker",
        responses={200: _HEALTH, 503: _HEALTH},
    )
    def get(self, request: Request) -> Response:
        checks = {"database": _database_status(), "broker": _broker_status()}
        healthy = all(value == "ok" for value in checks.values())
        return Response({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)


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
