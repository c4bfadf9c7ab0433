"""The state machine of import jobs (core.states): which moves a job's state may make."""

from __future__ import annotations

from core.states import StateMachine
from imports.models import ImportJob, ImportState

IMPORT_JOB_STATES = StateMachine(
    ImportJob,
    field="state",
    person_field=None,
    moves={
        ImportState.QUEUED: {ImportState.RUNNING, ImportState.CANCELLED},
        # A running job whose worker died is queued again (resumed); one that ends, ends once: succeeded
        # (no row rejected), completed_with_errors (some rejected), failed (the file refused, every row
        # rejected, or the platform's failure), cancelled.
        ImportState.RUNNING: {
            ImportState.QUEUED,
            ImportState.SUCCEEDED,
            ImportState.COMPLETED_WITH_ERRORS,
            ImportState.FAILED,
            ImportState.CANCELLED,
        },
        ImportState.FAILED: {ImportState.QUEUED},
        ImportState.CANCELLED: {ImportState.QUEUED},
    },
)
