"""Who said what in a parsed article.

Modules: ``marks`` pairs quotation marks in the text; ``cues`` holds the cue lexicon (word
lists of verbs of saying and stance); ``syntax`` maps paragraphs and quotes onto the tokens
and answers the parse queries the passes share (windows, speakers, mentions, segments);
``frames`` finds a cue's content and the speech-verb frame of a quote; ``extractor`` runs
the passes and exposes ``extract_attributions`` and ``Attribution``.
"""
