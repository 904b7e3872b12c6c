"""Getting messages to people: claiming deliveries with leases, the send ledger, sending
(text inside the 24-hour window, a template outside it), the rate limiter, status
webhooks, alerts and pauses, direct replies, the outbox, the transport and the sandbox.

May import `wording`, `roster` and `common`; knows nothing of how broadcasts are made."""
