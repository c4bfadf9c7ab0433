import logging

import redis
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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
