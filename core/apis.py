"""The operators' endpoints: the service's health in detail, and readiness for a load balancer."""

from typing import ClassVar

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import health
from core.schema import OWN_RESPONSES_ONLY

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
        extensions=OWN_RESPONSES_ONLY,
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
        extensions=OWN_RESPONSES_ONLY,
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

    @extend_schema(
        summary="The API's entry points",
        description="Absolute URLs of the main operations, by who uses them, and of the documentation.",
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT,
            examples=[
                OpenApiExample(
                    "Index",
                    value={
                        "version": "0.1.0",
                        "documentation": {"openapi": "http://127.0.0.1:8000/api/schema/"},
                        "auth": {"login": "http://127.0.0.1:8000/api/v1/auth/login"},
                    },
                )
            ],
        ),
    )
    def get(self, request: Request) -> Response:
        index: dict[str, object] = {"version": health.version()}
        for group, names in self.entry_points.items():
            index[group] = {name: request.build_absolute_uri(reverse(url)) for name, url in names.items()}
        return Response(index)
