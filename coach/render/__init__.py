"""Rendering: scorecards, sessions and search hits as text, Markdown and HTML."""
