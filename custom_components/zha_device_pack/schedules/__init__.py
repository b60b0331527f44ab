"""Helpers shared by the families' schedules: weekdays, times of day, calendar rules.

Irrigation programs (TS0049), Danfoss weekly schedules and Smart Energy price tiers all speak of
days of the week, minutes after midnight and, in calendars, RFC 5545 rules and wall-clock time.
"""
