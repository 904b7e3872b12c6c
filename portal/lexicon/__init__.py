"""How Sandesh writes and reads numbers and class names in both scripts: Devanagari digits,
the levels below grade 1 (PG, Nursery, LKG, UKG, ECD), section letters (क = A) as teachers
type them. Pure functions; imports nothing of the portal, so every layer (models included)
may use it."""
