from celery import shared_task
from django.core.cache import cache

from core.idempotency import idempotency_keys_delete_expired

PING_TTL_SECONDS = 300


def ping_key(token: str) -> str:
    return f"core:ping:{token}"


@shared_task(name="core.ping")
def ping(*, token: str) -> None:
    """Answer a ping in the shared cache: proof that a worker takes jobs from the broker and runs them."""
    cache.set(ping_key(token), "pong", timeout=PING_TTL_SECONDS)


@shared_task(name="core.delete_expired_idempotency_keys")
def delete_expired_idempotency_keys() -> int:
    """Idempotent: deleting what has expired twice deletes nothing the second time."""
    return idempotency_keys_delete_expired()
