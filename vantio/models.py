"""Every model of every domain, so that `Base.metadata` knows all tables.

Alembic and the migration test read the schema from here, and a process imports it (through
`vantio.composition`) before its first query, since foreign keys resolve by table name. It lives
above the domains, not in `db/`: the database layer knows no domain.
"""

from vantio.accounts.models import Account
from vantio.analytics.models import ImpressionDay, ImpressionSlot, PosterDay, RollupWatermark
from vantio.api_keys.models import ApiKey
from vantio.campaigns.models import Campaign
from vantio.dashboard.models import DashboardSession, Operator, SetupToken, SignInFailure
from vantio.db.base import Base
from vantio.earnings.models import Earning
from vantio.events.models import Event
from vantio.idempotency.models import IdempotencyRecord
from vantio.impressions.models import Impression
from vantio.payouts.models import Payout, PayoutAccount, PayoutEarning, ScheduledPayoutRun
from vantio.posters.models import Poster
from vantio.programs.models import Program
from vantio.referrals.models import Referral, ReferralDay, ReferralPosterDay, ReferralSlot
from vantio.users.models import User
from vantio.voucher_analytics.models import VoucherExport
from vantio.vouchers.models import (
    Voucher,
    VoucherApplication,
    VoucherCustomerUsage,
    VoucherOrder,
    VoucherRollback,
    VoucherValidation,
)
from vantio.webhooks.models import WebhookAttempt, WebhookEndpoint
from vantio.worker.models import Job, PeriodicSchedule

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Campaign",
    "DashboardSession",
    "Earning",
    "Event",
    "IdempotencyRecord",
    "Impression",
    "ImpressionDay",
    "ImpressionSlot",
    "Job",
    "Operator",
    "Payout",
    "PayoutAccount",
    "PayoutEarning",
    "PeriodicSchedule",
    "Poster",
    "PosterDay",
    "Program",
    "Referral",
    "ReferralDay",
    "ReferralPosterDay",
    "ReferralSlot",
    "RollupWatermark",
    "ScheduledPayoutRun",
    "SetupToken",
    "SignInFailure",
    "User",
    "Voucher",
    "VoucherApplication",
    "VoucherCustomerUsage",
    "VoucherExport",
    "VoucherOrder",
    "VoucherRollback",
    "VoucherValidation",
    "WebhookAttempt",
    "WebhookEndpoint",
]
