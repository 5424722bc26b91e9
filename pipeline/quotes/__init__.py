"""Who said what: quote marks, cue verbs and the attribution passes over a parsed article."""
