"""The phases of a case's life, joined into the Case aggregate by domain/cases.py."""
