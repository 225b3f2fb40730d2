"""Stage 5, the session: a mock interview driven turn by turn and saved as it happens."""
