"""The spaCy model (loading, parsing, serialised parses) and the word lists the rules read (lexicon, resources/)."""
