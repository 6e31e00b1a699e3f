"""Click parameter types shared by every command, so each option of a kind reads its values one way."""
from __future__ import annotations

from datetime import datetime

import click

from kronika.times import FORMS, parse_time


class TimeParam(click.ParamType):
    """A time a user types (kronika/times.py): 14-digit timestamps, ISO dates and times, ages, yesterday."""

    name = "TIME"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_time(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "TIME"


TIME = TimeParam()
TIME_HELP = f"Forms: {FORMS}; UTC unless an offset is given."
