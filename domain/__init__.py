"""The write side of xinfang: aggregates, events, value objects and rules."""
