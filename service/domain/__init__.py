"""Use cases. Keyword-only functions that flush and never commit: the caller owns the transaction."""
