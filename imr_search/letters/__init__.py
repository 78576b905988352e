"""Letters, from files to records: finding and reading the files (files.py), their text
(extract.py), the parser's stages, the records (models.py), and the tables a query reads
too (drugs.py, states.py), which is why this package's own module imports nothing: a query
that reads the drug table loads no parser."""
