"""Passwords, tokens and the signed-in principal."""
