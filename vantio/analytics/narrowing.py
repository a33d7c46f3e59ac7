"""The funnel narrowed to one poster or one ambassador: the condition each counted table takes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from vantio.earnings.models import Earning
from vantio.impressions.models import Impression
from vantio.referrals.models import Referral


@dataclass(frozen=True)
class Narrow:
    """The funnel of one poster or one ambassador: the conditions on each counted table."""

    poster_id: str | None
    student_id: str | None

    @property
    def any(self) -> bool:
        return self.poster_id is not None or self.student_id is not None

    def impressions(self, query: Select[Any]) -> Select[Any]:
        if self.poster_id is not None:
            query = query.where(Impression.poster_id == self.poster_id)
        if self.student_id is not None:
            query = query.where(Impression.student_id == self.student_id)
        return query

    def referrals(self, query: Select[Any]) -> Select[Any]:
        if self.poster_id is not None:
            query = query.join(Impression, Impression.id == Referral.impression_id).where(
                Impression.poster_id == self.poster_id
            )
        if self.student_id is not None:
            query = query.where(Referral.student_id == self.student_id)
        return query

    def earnings(self, query: Select[Any]) -> Select[Any]:
        if self.poster_id is not None:
            query = (
                query.join(Referral, Referral.id == Earning.referral_id)
                .join(Impression, Impression.id == Referral.impression_id)
                .where(Impression.poster_id == self.poster_id)
            )
        if self.student_id is not None:
            query = query.where(Earning.student_id == self.student_id)
        return query


def scanned_within(cuts: list[datetime]) -> list[Any]:
    return [Impression.scanned_at >= cuts[0], Impression.scanned_at < cuts[-1]]
