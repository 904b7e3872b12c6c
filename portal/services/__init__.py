"""The domain: plain functions with keyword arguments, no request globals, never a commit
(the caller commits: a view, a task or a command).

One sub-package per part of the school's day, each importing only those below it:

    conversations | school      what people write to the school's number · a school's setup
    broadcasting                creating, starting, counting and previewing broadcasts
    delivery                    claims, sending, limits, statuses, alerts, direct replies
    wording                     what a parent reads, and the templates it goes in
    roster | accounts           classes, students, guardians, teachers · logins and tokens
    common                      clock, Nepal dates, phones, audit, secrets

`pyproject.toml` states the order as import-linter contracts, checked by `scripts/test`.
"""
