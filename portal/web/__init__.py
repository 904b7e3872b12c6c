"""The portal: server-rendered HTML with HTMX fragments, one blueprint per area."""
