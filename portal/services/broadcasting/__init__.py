"""Broadcasts from creation to completion: creating one with its targets, quiet hours,
claiming when due, fan-out to deliveries, cancelling, counts, the one preview the teacher's
WhatsApp and the compose page both show, and what the broadcast pages read.

May import `delivery`, `wording`, `roster` and `common`."""
