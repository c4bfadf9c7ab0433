#!/usr/bin/env python
import importlib.util
import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path


@contextmanager
def local_services():
    """A local command finds PostgreSQL and Redis as `make run` does (platform/localenv.py): the URLs in
    the environment, else the servers on their standard local ports, else the embedded servers with the
    data of `make run` (LOCAL_DATA_DIR), started for this command if they are not running and stopped
    after it. Each choice is printed. Production (DJANGO_ENV=production) is given its URLs: nothing is
    looked for there."""
    # platform/ is not a package (the name would shadow the standard library): load the file itself.
    spec = importlib.util.spec_from_file_location(
        "localenv", Path(__file__).parent / "platform" / "localenv.py"
    )
    localenv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(localenv)
    with localenv.command_environment() as variables:
        os.environ.update(variables)
        yield


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    configured = {"DATABASE_URL", "REDIS_URL"} <= os.environ.keys()
    production = os.environ.get("DJANGO_ENV") == "production"
    # Before the settings are read: they take the URLs from the environment.
    with nullcontext() if configured or production else local_services():
        import django
        from django.core.management import execute_from_command_line
        from django.utils import translation

        django.setup()
        from core.translations import command_language

        # A command speaks the shell's language when the platform has it (en_US.UTF-8: English), else
        # Chinese.
        translation.activate(command_language())
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
