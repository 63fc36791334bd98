"""ntransport.post."""
