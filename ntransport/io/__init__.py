"""ntransport.io."""
