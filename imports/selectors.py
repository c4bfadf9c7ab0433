"""Reads of import jobs, scoped to the caller."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.exceptions import NotFoundError
from imports.models import ImportJob


def import_job_get(*, user: AbstractBaseUser | AnonymousUser, job_id: int) -> ImportJob:
    """A job of a province in the caller's scope; any other answers as missing."""
    scope = Scope.of(user)
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not scope.allows_province(job.province_id):
        raise NotFoundError(_("No such import job."))
    return job
