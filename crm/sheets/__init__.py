"""Spreadsheets (DESIGN §8.4, §10): files (sniff, decode, escape, write), readers, imports, exports and the
resources of every ledger kind."""
