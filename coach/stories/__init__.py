"""The story bank: the candidate's prepared stories, each scored on the signals of the story panels
(behavioral, leadership, cross-functional, bar-raiser), a story x signal matrix with its gaps and
overlaps, and which story fits a question best.

`files` reads story files, `store` keeps them in the sessions database, `bank` adds, edits
(rescoring) and removes them with their traces, `matrix` and `suggest` read the bank.
"""
