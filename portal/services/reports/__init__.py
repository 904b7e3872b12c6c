"""Reports a principal reads: reach, reads, acknowledgements, opt-outs, failures and cost
over a period, as tables, charts and spreadsheets, and the weekly summary on WhatsApp.

Owns: `periods` (the period a report covers, in BS or AD), `tallies` (each broadcast's
counts, kept as rollups and refreshed from its deliveries), `reach` (the funnel and its
breakdowns), `subscriptions` (STOP and START over time), `guardians` (failures and the
guardians who read nothing), `tables` (every report table as CSV rows) and `weekly` (the
principal's summary). May import models, common, roster, delivery.reasons and wording."""
