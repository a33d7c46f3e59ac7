"""Ambassadors' errors."""

from vantio.errors import Conflict


class DuplicateUser(Conflict):
    code = "duplicate_user"
