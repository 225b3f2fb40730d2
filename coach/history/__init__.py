"""Stage 7, history: every saved session as a list, progress over weeks of practice, a portable file
(export/import), and forgetting a session with every trace of its answers (caches and vectors included)."""
