"""The only code that touches Whoosh: the schema (from fields.py), the writer, postings,
matching and ranking, facet tables, the store with its snapshots and stored letters."""

from ..whoosh_pin import check_whoosh

check_whoosh()
