"""Practice over time: the review schedule of weak signals (SM-2 style, `schedule.py`), the answers
it is replayed from (`reviews.py`, stored with the sessions), and drills aimed at what is due
(`drill.py`)."""
