"""Who is mentioned: people, organisations and places of one article, and the mention -> actor resolution."""
