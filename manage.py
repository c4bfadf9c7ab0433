#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import execute_from_command_line
    from django.utils import translation

    django.setup()
    from core.translations import command_language

    # A command speaks the shell's language when the platform has it (en_US.UTF-8: English), else Chinese.
    translation.activate(command_language())
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
