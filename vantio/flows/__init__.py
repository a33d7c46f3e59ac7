"""Sequences across domains (scan → referral → voucher → earning): they call services, no SQL."""
