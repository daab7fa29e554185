"""The desk's vocabulary, below every other package: the names of things (StrEnums, below)
and their words in each language (the message catalogs, vocabulary/catalogs.py)."""
