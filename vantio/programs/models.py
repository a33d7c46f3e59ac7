from typing import Any

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vantio.db.base import Base, TenantMixin, UpdatedMixin
from vantio.db.types import JSONType


class Program(TenantMixin, UpdatedMixin, Base):
    """A referral program: its ambassadors, landing page, commission and payout rules."""

    __tablename__ = "programs"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    landing_url: Mapped[str] = mapped_column(String(2048))
    currency: Mapped[str] = mapped_column(String(3))
    commission: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payout_schedule: Mapped[str] = mapped_column(String(16))
    minimum_payout: Mapped[int] = mapped_column(Integer)
    attribution_window_days: Mapped[int] = mapped_column(Integer)
    referee_voucher_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    # Money rules (docs/API.md, "i15-money"): the hold before an earning is payable, how long a
    # referral keeps earning (null: its lifetime), and the cap per ambassador and period.
    hold_days: Mapped[int] = mapped_column(Integer, default=0)
    commission_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    commission_cap: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # The account a SEPA payout file pays from: {"name", "iban", "bic"}.
    payout_sender: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # What its posters print (vantio/posters/pdf.py): all optional.
    headline: Mapped[str | None] = mapped_column(String(200), nullable=True)
    incentive: Mapped[str | None] = mapped_column(String(500), nullable=True)
    brand_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    logo_media_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Up to 512 KB: loaded only by the code that prints or serves it (`undefer`), never with
    # a page of programs, and refused loudly if anything else touches it.
    logo: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, deferred=True, deferred_raiseload=True
    )
