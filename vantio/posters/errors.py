"""Posters' errors."""

from vantio.errors import Conflict


class NoPosters(Conflict):
    code = "no_posters"


class TooManyPosters(Conflict):
    code = "too_many_posters"
