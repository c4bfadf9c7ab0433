import logging

from celery import shared_task

from accounts.services import auth_tokens_delete_expired, sign_in_failures_delete_expired

logger = logging.getLogger(__name__)


# Scheduled hourly by migration 0003; deleting what has expired is idempotent. The sign-in failure counts
# whose window has passed go with the tokens.
@shared_task(name="accounts.delete_expired_auth_tokens", acks_late=True)
def delete_expired_auth_tokens() -> int:
    deleted = auth_tokens_delete_expired()
    forgotten = sign_in_failures_delete_expired()
    logger.info("Deleted %d expired auth tokens and %d expired sign-in failure counts", deleted, forgotten)
    return deleted
