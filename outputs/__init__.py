"""Everything that leaves the desk: mails composed from templates, the outbox, summaries."""
