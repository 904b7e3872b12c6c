"""Portal logins: password hashing, signing in with throttling, users and API tokens.

May import `common`."""
