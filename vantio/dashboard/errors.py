"""The dashboard's errors: operators and sign-in."""

from vantio.errors import Conflict, FieldError


class DuplicateOperator(Conflict):
    code = "duplicate_operator"


class SignInRefused(FieldError):
    def __init__(self) -> None:
        super().__init__("password", "The email or password is not right.", code="sign_in_failed")
