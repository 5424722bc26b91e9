"""Raw input to clean text: reading files (ingest), repair and HTML-to-text (clean), offsets back to the raw record (alignment), language detection."""
