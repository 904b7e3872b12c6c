"""The domain: plain functions with keyword-only arguments; they never commit."""
