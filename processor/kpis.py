"""The reports' KPIs by canonical name (their labels are the catalogs' `kpi.NAME`) and how each is
shown: what the rule file's `[targets]` may name. Kept apart from processor/reports.py, which
needs the store, so that reading the rules (`inspect`) does not load SQLAlchemy."""

HEADLINE = ("received", "response_timeliness", "closure_rate", "callback_rate", "satisfaction",
            "handling_hours_mean", "handling_hours_p90", "repeat_customers")
RATES = frozenset({"response_timeliness", "closure_rate", "callback_rate", "satisfaction"})
HOURS = frozenset({"handling_hours_mean", "handling_hours_p90"})
