"""What a parent reads: the message frame in the guardian's language around the school's
words, template parameters, the shipped template texts, and which Meta template a school
sends for a purpose in a language.

May import `roster` and `common`."""
