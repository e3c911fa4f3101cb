"""The read side: read models, their catch-up runner, and the audit tree."""
