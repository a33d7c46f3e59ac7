"""How an action on a list ends: asked again when it is final, one row or many at once, and back
to the list with its filters and a message saying what happened."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import forms
from vantio.dashboard.web import Context, back_to, redirect, render
from vantio.errors import VantioError
from vantio.kit.workflow import Workflow

MAX_SELECTED = 100


def final(workflow: Workflow[Any], status: str) -> bool:
    """A move to a status with no way out asks for confirmation first."""
    return status in workflow.statuses and not workflow.allowed(status)


def confirmed(ctx: Context) -> bool:
    return ctx.field("confirm") == "yes"


def confirm_page(
    ctx: Context, *, title: str, message: str, button: str, back: str, danger: bool = True
) -> Response:
    """Ask before a final action: a page with the same form again, plus `confirm=yes`. Works
    without JavaScript; with it, dashboard.js asks in a <dialog> and this page is not needed."""
    fields = [
        (name, value)
        for name, value in (ctx.form.multi_items() if ctx.form is not None else [])
        if name not in ("csrf_token", "confirm") and isinstance(value, str)
    ]
    return render(
        ctx,
        "confirm.html",
        title=title,
        message=message,
        button=button,
        action=ctx.request.url.path,
        fields=fields,
        back=back_to(ctx, back),
        danger=danger,
    )


def refusal(exc: Exception) -> str:
    """A service's refusal in words."""
    if isinstance(exc, ValidationError):
        return " ".join(forms.from_validation(exc).values())
    if isinstance(exc, VantioError):
        return " ".join(forms.from_service(exc).values())
    raise exc


async def attempt(ctx: Context, change: Callable[[], Awaitable[object]]) -> str | None:
    """Run one change in a savepoint: None when done, else why it was refused (an unknown
    object is a 404 as before)."""
    try:
        async with ctx.session.begin_nested():
            await change()
    except (ValidationError, VantioError) as exc:
        if isinstance(exc, VantioError) and exc.status == 404:
            raise
        return refusal(exc)
    return None


def done(ctx: Context, back: str, success: str, error: str | None) -> Response:
    """Back to the list (with its filters) with the outcome as a message."""
    if error is not None:
        return redirect(back_to(ctx, back), flash=("error", error))
    return redirect(back_to(ctx, back), flash=("ok", success))


@dataclass
class Bulk:
    """The outcome of one action on many rows."""

    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def message(self, noun: str, verb: str) -> tuple[str, str]:
        plural = "" if len(self.done) == 1 else "s"
        words = f"{len(self.done)} {noun}{plural} {verb}."
        if self.refused:
            reasons = "; ".join(f"{object_id}: {why}" for object_id, why in self.refused[:5])
            more = f" (and {len(self.refused) - 5} more)" if len(self.refused) > 5 else ""
            return "error", f"{words} {len(self.refused)} not changed: {reasons}{more}"
        return "ok", words


def selected(ctx: Context) -> list[str]:
    """The IDs of the rows ticked on the list (at most MAX_SELECTED)."""
    form = ctx.form
    ids = [v.strip() for v in form.getlist("ids") if isinstance(v, str)] if form else []
    return list(dict.fromkeys(i for i in ids if i))[:MAX_SELECTED]


async def bulk(
    ctx: Context, ids: Sequence[str], change: Callable[[str], Awaitable[object]]
) -> Bulk:
    """The change on each row, each in its own savepoint: one refused row does not stop the
    others. A row that is not this operator's is refused like any other."""
    outcome = Bulk()
    for object_id in ids:
        try:
            async with ctx.session.begin_nested():
                await change(object_id)
        except (ValidationError, VantioError) as exc:
            outcome.refused.append((object_id, refusal(exc)))
        else:
            outcome.done.append(object_id)
    return outcome


async def bulk_status(
    ctx: Context,
    *,
    noun: str,
    workflow: Workflow[Any],
    back: str,
    change: Callable[[str, str], Awaitable[object]],
) -> Response:
    """Move the selected rows to the posted status (`change(id, status)`, each in its own
    savepoint); a final status asks first. Back to the list with what happened."""
    status = ctx.field("status")
    ids = selected(ctx)
    if not ids:
        return redirect(back_to(ctx, back), flash=("error", f"Select at least one {noun}."))
    if final(workflow, status) and not confirmed(ctx):
        return confirm_page(
            ctx,
            title=f"Mark {len(ids)} {noun}{'s' if len(ids) != 1 else ''} {status}?",
            message=f"A {status} {noun} cannot be changed again.",
            button=f"Yes, mark {status}",
            back=back,
        )

    async def change_one(object_id: str) -> None:
        await change(object_id, status)

    outcome = await bulk(ctx, ids, change_one)
    return redirect(back_to(ctx, back), flash=outcome.message(noun, f"marked {status}"))
