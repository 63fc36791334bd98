"""ntransport.solve."""
