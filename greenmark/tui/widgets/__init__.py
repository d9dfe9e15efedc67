"""Widgets of the assessor UI."""
