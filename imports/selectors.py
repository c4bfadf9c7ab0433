"""Reads of import jobs, scoped to the caller."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, QuerySet

from accounts.scope import Scope
from core.exceptions import NotFoundError
from imports.models import ImportJob, ImportRowError


def import_jobs_visible(
    *, user: AbstractBaseUser | AnonymousUser, state: str | None = None, kind: str | None = None
) -> QuerySet[ImportJob]:
    """The jobs of the provinces in the caller's scope (an agency user: their own), optionally of one
    state and one kind."""
    scope = Scope.of(user)
    jobs = ImportJob.objects.select_related("province")
    if not scope.is_administrator:
        jobs = jobs.filter(province_id=scope.province_code) if scope.is_agency else jobs.none()
    if state:
        jobs = jobs.filter(state=state)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def import_job_get(*, user: AbstractBaseUser | AnonymousUser, job_id: int) -> ImportJob:
    """A job of a province in the caller's scope; any other answers as missing."""
    scope = Scope.of(user)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not scope.allows_province(job.province_id):
        raise NotFoundError("No such import job.")
    return job


def import_errors(*, job: ImportJob, code: str | None = None) -> QuerySet[ImportRowError]:
    errors = job.row_errors.all()
    return errors.filter(code=code) if code else errors


def import_error_counts(*, job: ImportJob) -> list[dict[str, object]]:
    """How many errors of each code the job has, the most frequent first."""
    return list(job.row_errors.values("code").annotate(count=Count("id")).order_by("-count", "code"))
