"""ntransport.studies."""
