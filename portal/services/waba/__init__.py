"""The school's WhatsApp Business Account at Meta: the shipped templates submitted and
followed (sync, template webhooks), the portfolio's messaging limit read and applied, the
schools that share a portfolio, and an operator's onboarding checks, through the Graph API
or (in sandbox mode) a stand-in for Meta that keeps its state in the database.

Beside `broadcasting`: may import `delivery`, `wording`, `roster` and `common`."""
