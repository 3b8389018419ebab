"""What sits between encoder and decoder."""
