"""Published versions: listing and verifying them, publishing one, its card, diff, changelog, metadata, index and figures."""
