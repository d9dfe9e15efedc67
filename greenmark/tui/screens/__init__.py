"""Screens of the assessor UI."""
