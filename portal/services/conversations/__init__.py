"""What people write to a school's number: stored webhook events, routing each inbound
message to whoever sent it, teachers' commands (`commands/` is the parser), parents'
keywords, and the phone simulator's conversations.

May import `broadcasting`, `delivery`, `wording`, `roster` and `common`."""
