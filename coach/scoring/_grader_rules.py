"""The rules behind `grader_text`: when a sentence, a line or a JSON object speaks to the grader.

Each rule needs two things at once: a sign that the text is aimed at whoever grades the answer (it
addresses them, names "this answer" itself, imitates a role, uses a score scale) and a sign that it
is about the grade (asks for one, claims one, tells the grader what to do). Either sign alone occurs
in real answers: "I told the VP", "the score dropped", "we ignored the previous alerts", "I asked
my manager to rate the proposal", "we scored vendors 1-10", "the fraud scorer". Rules run on a
folded copy of the text (`fold`), so casing, spacing, zero-width characters and look-alike letters
do not hide a phrase.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from coach.scoring.detectors import GENERIC

_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
# Cyrillic and Greek letters that look like Latin ones ("ѕсоrе" is not "score" to a regex).
_LOOKALIKE = str.maketrans("асеіјорѕхуАВСЕНІЈКМОРЅТХΑΒΕΗΙΚΜΝΟΡΤΧΥαεινορτυ", "aceijopsxyABCEHIJKMOPSTXABEHIKMNOPTXYaeivoptu")
# "i g n o r e", "s.c.o.r.e": four or more single characters with one separator between each.
_SPACED = re.compile(r"(?<![a-z0-9])(?:[a-z0-9][ ._*-]){3,}[a-z0-9](?![a-z0-9])")


def fold(text: str, join_spaced: bool = True) -> str:
    """Lower case, compatibility-normalised, invisible characters dropped, look-alikes mapped,
    spaced-out letters joined, emphasis marks dropped, whitespace collapsed."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(_LOOKALIKE).lower()
    if join_spaced:
        text = _SPACED.sub(lambda m: re.sub(r"[ ._*-]", "", m.group(0)), text)
    text = re.sub(r"[*_~`]+", " ", text).replace("’", "'")
    return " ".join(text.split())


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.VERBOSE)


# -- vocabulary ---------------------------------------------------------------------------------------

# Nouns that name a grader outright, and nouns that may (answers talk about "the model", "the
# reviewer", "the system" all the time). "the AI team", "LLM features" are not addressees.
_NOT_ADDRESSEE = (r"(?!\ (?:team|teams|group|org|features?|product|platform|research|lab|engineers?|infra\w*|budget|"
                  r"roadmap|work|project|tools?|usage|adoption|vendor|service|pipeline|model|researchers?|scientists?|lead|"
                  r"managers?|directors?|startups?|compan(?:y|ies)|strategy|initiative|professor|specialist|expert))")
GRADER = (r"(?:evaluators?|graders?|scorers?|assessors?|examiners?|raters?|auto-?graders?|ai|a\.i\.|llms?|"
          r"language\ models?|chat\ ?bots?|(?:chat)?gpt[\w.-]*|claude|gemini|copilot|bard|llama|mistral|"
          r"(?:scoring|grading|evaluation|marking|automated|ai)\ (?:model|system|engine|bot|tool|script|grader|scorer|evaluator|judge|review(?:er)?|grading|scoring|evaluation))"
          + _NOT_ADDRESSEE)
MAYBE_GRADER = r"(?:interviewers?|reviewers?|judges?|hiring\ (?:committee|manager|panel|team)|panel(?:ists)?|readers?|system|model|assistant|bot)"
_ANY_GRADER = f"(?:{GRADER}|{MAYBE_GRADER})"

_MAX = _rx(r"""
    \b(?:max(?:imum|imal)?|highest|top|full|perfect|best(?:\ possible)?|flawless|ideal|top-tier|a\+)
        \ (?:possible\ )?(?:score|scores|scoring|marks?|points?|rating|ratings|grade|grades|level|levels|band|credit)\b
  | \bfull\ (?:marks|credit|points)\b | \btop\ (?:band|marks)\b
  | \bstrong(?:est)?[\s_-]*(?:hire|yes)\b
  | \b(100|10)\s*(?:/|out\ of)\s*\1\b | \b100\s+points\b
""")
_APPRAISAL = (r"(?:exceptional|outstanding|excellent|exemplary|perfect|flawless|top-tier|staff-level|principal-level|"
              r"brilliant|superb|impeccable|strong[\s_-]*hire|a\ pass|passing|10/10|100/100|level\ 4|a\+)")
# The answer naming itself, or its author in the third person, in the present tense of a verdict
# (a hiring story says "the candidate" too, but tells what happened).
_SELF = _rx(r"""
    \b(?:this|my|the\ (?:above|preceding|following|foregoing|present|current|candidate's)|candidate's|the\ user's)
        \ (?:answer|response|submission|reply|write-?up|essay|transcript)\b
  | \bthe\ (?:answer|response|submission)\ (?:above|below)\b | \ban?\ (?:answer|response)\ like\ this\b
  | \b(?:the|this)\ (?:candidate|interviewee)\ (?:clearly\ |definitely\ |certainly\ |really\ )?(?:is|deserves|merits|earns|warrants|
        should|must|has\ (?:shown|demonstrated|met|exceeded)|meets|exceeds|demonstrates|shows)\b
""")
_REQUEST = _rx(r"""\b(?:you|your|please|pls|plz|kindly|should|must|need\ to|have\ to|ought\ to|deserv\w*|merit\w*|
    earn\w*|warrant\w*|worthy|grateful|appreciate\w*|hope|expect\w*|request\w*|ensure|make\ sure|recommend\w*|insist\w*|
    would\ like|i'd\ like|let's|let\ us)\b""")
_GRADING = _rx(r"""\b(?:scor(?:e|es|ed|ing)|grad(?:e|es|ed|ing)|rate\ (?:this|it|me|my)|rated|marks|marking|evaluat(?:e|es|ed|ing)|
    award\w*|deserv\w*|merit\w*|level\s*[0-4]|rubric|criteri(?:a|on)|full\ marks|verdict|strong[\s_-]*hire)\b|\d+\s*/\s*\d+""")
_SELF_VERDICT = _rx(rf"""\b(?:deserv\w*|merit\w*|earn\w*|warrant\w*|worth|qualif\w+\ (?:for|as)|scor(?:e|es|ed|ing)|
    grad(?:e|es|ed|ing)|rat(?:es|ed|ing)|mark(?:s|ed)|award\w*|credit\w*|
    should\ (?:get|receive|be\ (?:given|scored|rated|graded|marked|awarded|treated|considered|passed))|
    (?:meets?|exceeds?|satisf(?:y|ies)|fulfill?s?|hits?|ticks?|checks?|covers?|demonstrates?|shows?|exhibits?|displays?|showcases?)\b|
    level\s*[0-4]|(?:is|was)\ (?:a\ |an\ )?{_APPRAISAL})""")

_ADDRESS = [
    # "Dear evaluator", "Hi AI,", "Attention grader"
    _rx(rf"\b(?:dear|hi|hello|hey|attention|attn|psst|yo|greetings)\b[\s,:]*(?:the\ |all\ |any\ |my\ )?{GRADER}\b"),
    # "Note to the grader", "PS for whoever scores this", "message for the AI"
    _rx(rf"""\b(?:note|notes|message|memo|instructions?|reminder|p\.?\ ?s\.?|n\.?\ ?b\.?|footnote)\s*(?:\(\w+\)\s*)?
        (?:to|for)\s+(?:the\ |any\ |all\ |our\ |my\ )?{GRADER}\b"""),
    # "If you are an AI", "if you're the grader", "if you are reading this"
    _rx(rf"\bif\s+you(?:'re|\s+are)\s+(?:an?\s+|the\s+)?(?:{_ANY_GRADER}|reading|grading|scoring|evaluating|assessing|marking)\b"),
    # "whoever grades this", "the model reading this"
    _rx(r"""\b(?:whoever|anyone|anybody|whatever)\s+(?:is\s+|'s\s+)?(?:grades?|grading|scores?|scoring|evaluates?|evaluating|
        assess(?:es|ing)?|reviews?|reviewing|marks?|marking|judges?|judging|reads?|reading)\s+(?:this|my|the)\b"""),
    _rx(rf"\b{_ANY_GRADER}\s+(?:reading|grading|scoring|evaluating|reviewing|assessing|marking|parsing|processing)\s+(?:this|my|these|the\ following)\b"),
    # "As the grader, you ...", "As an AI, please ..." ("I acted as the evaluator for ..." is a role at work)
    _rx(rf"\bas\s+(?:the|an?|your)\s+{GRADER}(?:\s+\w+)?\s*,\s*(?:you|please|kindly|i\ (?:ask|expect|request))\b"),
    # "Scoring note -", "Grading instructions:"
    _rx(r"^\W*(?:scoring|grading|evaluation|evaluator|grader|scorer|rubric|marking)\s+(?:notes?|instructions?|guidance|comments?|override)\s*[:\-–—]"),
    # "Evaluator:", "Grader's note:", "Evaluator, ..." at the start
    _rx(rf"^\W*(?:to\s+the\s+)?{GRADER}(?:'s|s')?(?:\s+(?:notes?|instructions?|comments?|guidance|override|message|verdict))?\s*:"),
    _rx(r"^\W*(?:evaluators?|graders?|scorers?|assessors?|examiners?|raters?)\s*[,;]"),
]
# The same, for nouns that only sometimes mean a grader: they need a grading word too.
_ADDRESS_MAYBE = [
    _rx(rf"\b(?:dear|hi|hello|hey|attention|attn|psst)\b[\s,:]*(?:the\ |all\ |any\ |my\ )?{MAYBE_GRADER}\b"),
    _rx(rf"\b(?:note|notes|message|memo|instructions?|reminder|p\.?\ ?s\.?|n\.?\ ?b\.?|footnote)\s*(?:to|for)\s+(?:the\ |any\ )?{MAYBE_GRADER}\b"),
    _rx(rf"^\W*{MAYBE_GRADER}(?:'s)?(?:\s+(?:notes?|instructions?|message|verdict))?\s*[:,]"),
]

_IGNORE = r"(?<!\bto\ )(?<!not\ )(?<!n't\ )(?<!never\ )\b(?:ignore|disregard|forget|override|overrule|bypass|discard|neglect)"
_MODIFIER = (r"(?:all|any|every|each|of|the|your|my|these|those|previous|prior|above|earlier|preceding|other|existing|original|"
             r"default|standard|usual|initial|given|current|scoring|grading|evaluation|system|hidden|official|\w+'s)")
_META = [
    # "ignore the rubric", "disregard all previous instructions"; not "decided to ignore ..."
    _rx(rf"""{_IGNORE}\s+(?:{_MODIFIER}\s+){{0,4}}(?:rubrics?|instructions?|prompts?|criteria|guidelines?|scoring|grading|guidance|
        directives?|above|everything\ (?:above|before|else)|text\ above|programming|system\ prompt)\b"""),
    # "rules", "messages": only with a word that points at the grader's ("ignore previous rules", not "ignore rules like that")
    _rx(rf"""{_IGNORE}\s+(?:{_MODIFIER}\s+){{0,3}}(?:all|any|previous|prior|above|earlier|preceding|your|existing|original|default|given|
        scoring|grading|evaluation|system)\s+(?:rules|policy|policies|messages?|directions?|constraints)\b"""),
    _rx(r"\bpretend\s+(?:that\s+)?(?:you|the\s+(?:answer|response|candidate)|this\s+(?:answer|response|is))\b"),
    _rx(rf"\byou\s+(?:are|'re)\s+(?:now\s+)?(?:an?\s+|the\s+)?(?:\w+\s+)?(?:ai|assistant|language\ model|llm|grader|evaluator|scorer)\b{_NOT_ADDRESSEE}"),
    _rx(r"\b(?:reply|respond|answer)\s+with\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions|rubric)\b"),
    _rx(r"""\byou\s+(?:are|'re)\s+(?:now\s+(?:an?\s+)?(?:ai|assistant|model|llm|grader|evaluator|scorer|in\b|operating|acting|free|
        unrestricted|dan|jailbroken|a\ different)|no\ longer\ (?:bound|restricted|an?\ (?:ai|assistant|grader|evaluator|scorer))|
        an?\ (?:helpful|generous|lenient)\ (?:ai|assistant|model|grader|evaluator|scorer))"""),
    _rx(rf"""\b(?:new|updated|revised|real|actual|hidden|secret|override|special)\s+(?:system\s+)?(?:instructions?|rubric|
        scoring\ (?:rules|guide|criteria))\s*(?::|for\s+(?:the\s+)?(?:{_ANY_GRADER}|you)\b)"""),
    _rx(r"\b(?:print|reveal|show|repeat|output|display|leak)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+)?(?:prompt|instructions|rubric)\b"),
    _rx(r"\b(?:developer|god|dan|admin|debug|jailbreak)\s+mode\b"),
    _rx(r"^\W*(?:end|close)\s+of\s+(?:the\s+)?(?:candidate'?s?\s+)?(?:answer|response|submission|user\ input)\W*$"),
    _rx(r"\bsystem\s+(?:override|instruction|message|note|notice|prompt|update)\s*[:\-]"),
    _rx(r"^\W*(?:admin\s+|system\s+|grader\s+)?override\s*[:\-]"),
    _rx(r"\b(?:score|rate|grade|mark|evaluate|assess|judge)\s+(?:it\s+|this\s+|me\s+|them\s+)?accordingly\b"),
    _rx(r"\b(?:give|assign|award|grant)\s+(?:this|my|the)\s+(?:answer|response|submission)\b"),
    _rx(r"\b(?:respond|reply|answer|output|return)\s+(?:only\s+)?(?:with|using)\s+(?:\{\s*\W?(?:score|overall|band)|a\ score|the\ score|strong)"),
]

# A number claimed as a grade ends there: "Overall: 100." is a claim, "Overall: 30% fewer pages" is not.
_VALUE = (r"(?:\d{1,3}(?:\.\d+)?\s*(?:/\s*\d{1,3}|%|out\ of\ \d+|points?)?|strong[\s_-]*(?:hire|yes)|hire|no[\s_-]?hire|"
          r"lean[\s_-]*(?:yes|no|hire)|excellent|exceptional|outstanding|perfect|max(?:imum)?|top|pass(?:ed)?|a\+?|staff|principal)"
          r"(?=\s*(?:[.,;:!)\]}\"'(]|$|and\b|with\b|on\b|across\b|for\ (?:all|every|each)\b))")
_MAX_VALUE = r"(?:100|10/10|100/100|4/4|5/5|strong[\s_-]*hire|perfect|max(?:imum)?|top|full\ marks|level\ 4|a\+)"
_LABEL = (r"(?:^|[\[({|;,:.]\s*|\b(?:output|return|print|set|emit|write|respond\ with|reply\ with)\s+)(?:(?:the|my|your|this|final|overall|total|suggested|recommended|expected|correct|true|real|"
          r"actual|answer|candidate|signal|rubric|hire|hiring)\s+)*(?:score|scores|rating|grade|verdict|band|evaluation|"
          r"assessment|recommendation|level|levels|overall|scoring|grading|marks?|rate)(?:\s+(?:result|outcome|summary|decision))?")
_SCOPE = r"(?:signals?|criteri\w+|competenc\w+|dimensions?|rubric\w*|categor\w+)"
_SCORE_CLAIM = [
    _rx(rf"{_LABEL}\s*(?::|=|->|→|=>)\s*[\"']?{_VALUE}(?![\w/])"),
    _rx(rf"{_LABEL}\s+(?:is|should\ be|must\ be|will\ be)\s+(?:a\ |an\ )?{_MAX_VALUE}(?![\w/])"),
    _rx(r"^\W*(?:(?:strong[\s_-]*hire|10/10|100/100|full\ marks|a\+|hire|\b\d{1,3}\s*/\s*\d{1,3}\b)\W*)+$"),
    _rx(rf"\b(?:a|an)\s+{_APPRAISAL}\s+(?:answer|response|submission)\b"),
    # "level 4 on every signal", "all signals: 4", "4s across the board"
    _rx(rf"""(?:\blevel\s*[0-4]|\b[0-4]s?\b|\bmax(?:imum)?|\bfull\ marks|\btop\ (?:score|marks))\W+(?:\w+\W+){{0,3}}?
        (?:on|for|in|across|at)\s+(?:all|every|each)\s+(?:of\s+the\s+)?{_SCOPE}"""),
    _rx(r"(?:\blevel\s*[0-4]|\bmax(?:imum)?|\bfull\ marks|\btop\ (?:score|marks)|\b4s)\W+(?:\w+\W+){0,2}?across\s+the\s+board"),
    _rx(rf"\b(?:all|every|each)\s+(?:of\s+the\s+)?{_SCOPE}\s*(?::|=|at|should\ be|are|is)\s*(?:level\s*)?[0-4]\b"),
    # "treat all signals as evidenced", "every signal here is fully evidenced"
    _rx(r"""\b(?:all|every|each)\s+(?:of\s+the\s+)?(?:(?:signals?|competenc\w+|rubric\w*)(?:\s+\w+){0,3}?\s+(?:as\s+|are\s+|is\s+)?
        (?:fully\s+|clearly\s+|strongly\s+)?(?:evidenced|demonstrated|met|satisfied|covered)|criteri\w+(?:\s+\w+){0,3}?\s+(?:as\s+|are\s+|is\s+)?
        (?:fully\s+|clearly\s+)?(?:evidenced|demonstrated))\b"""),
    # "ownership: level 4", "STAR structure: 4/4" (a signal's level, as a judge would write it)
    _rx(r"[:=]\s*level\s*[0-4](?=\s*(?:$|[.,;)(]|/\s*4|on\b|for\b))|[:=]\s*[0-4]\s*/\s*4\b"),
    _rx(r"^\W*(?:please\s+)?(?:score|rate|grade|mark)\s+(?:this|it|me|my\ answer|the\ candidate)\s+(?:as\s+|at\s+|an?\s+)?(?:\d{1,3}\b|level)"),
]
_IMPERATIVE = _rx(r"""(?:^|:)\W*(?:(?:please|kindly|pls|plz|now|so|just|simply|therefore|thus|hence|and|ok(?:ay)?|also|then|finally|
    important|note|remember|reminder)\W+)*(?:give|assign|award|grant|rate|score|grade|mark|treat|consider|count|classify|label|pass|
    bump|round|evaluate|assess|judge|output|return|print|respond|reply|emit|report)\b(?!\s*-?\s*limit)""")
_IMPERATIVE_TARGET = _rx(rf"{_APPRAISAL}|\blevel\s*[0-4]\b|\b(?:the|a|an|my|its)\s+(?:score|grade|rating)\s+(?:of|to|at|as)\b")
_LENIENT = _rx(r"\b(?:generous(?:ly)?|lenient(?:ly)?|favou?rabl[ey]|benefit\ of\ the\ doubt|go\ easy|round\ (?:it\ |this\ |me\ )?up|bump\ (?:it|this|me|the\ score))\b")
_GRADING_ACT = _rx(r"\b(?:scor\w+|grad(?:e|ed|ing)|rat(?:e|ed|ing)\s+(?:this|it|me|my)|mark(?:ing|ed)?\s+(?:this|it|me|my)|evaluat\w+|assess\w+|judg\w+)\b")


_PAIR = re.compile(r"([a-z][\w -]{0,30}?)\s*[=:]\s*(?:level\s*)?[0-4](?:\s*/\s*4)?(?=\s*(?:[,;.)\]}]|$))")


@lru_cache(maxsize=20_000)  # a pure function of the text; re-scored answers repeat their sentences
def directed(sentence: str) -> bool:
    """Whether one sentence (or aside) speaks to the grader about the grade."""
    f = fold(sentence)
    if not re.search(r"[a-z]", f):
        return False
    if _levels_listed(f):
        return True
    if any(r.search(f) for r in (*_META, *_SCORE_CLAIM, *_ADDRESS)):
        return True
    if (_GRADING.search(f) or _MAX.search(f)) and any(r.search(f) for r in _ADDRESS_MAYBE):
        return True
    if _MAX.search(f) and (_REQUEST.search(f) or _SELF.search(f)):
        return True
    if _SELF.search(f) and _SELF_VERDICT.search(f):
        return True
    if _IMPERATIVE.search(f) and (_MAX.search(f) or _SELF.search(f) or _IMPERATIVE_TARGET.search(f)):
        return True
    return bool(_LENIENT.search(f) and _GRADING_ACT.search(f))


def _levels_listed(f: str) -> bool:
    """"ownership=4, star_structure=4": levels assigned to signals, as a grader's output reads."""
    keys = [k.strip().replace("_", "-").replace(" ", "-") for k in _PAIR.findall(f)]
    return len(keys) >= 2 and 2 * sum(1 for k in keys if _is_rubric(k.replace("-", " ")) or k in GRADER_KEYS) > len(keys)


# -- lists of rubric words ----------------------------------------------------------------------------

RUBRIC_WORDS = GENERIC | set(
    """ownership owner accountability accountable blast radius star situation task action actions leadership lead leading
    mentoring mentorship mentor influence influencing ambiguity scope conflict conflicts reflection growth mindset
    customer customers obsession bias empathy humility vision collaboration collaborative alignment stakeholder
    stakeholders trade-offs tradeoffs metrics impact scalability availability latency throughput resilience observability
    security capacity failure failures modes rollback judgment judgement ethics self-awareness awareness depth breadth
    craft testing correctness edge cases maintainability simplicity readability clarity rationale decision making
    cross-team multi-team organizational organisational delegation hiring coaching prioritisation prioritization
    execution delivery raising bar thinking customer-centric integrity innovation initiative proactive passion teamwork
    adaptability excellence thought quantified measurable outcomes evolution plan mental model pressure first-principles
    principles communication trust transparency autonomy empowerment culture systems strategic operational operations
    incident response postmortem blameless consistency durability fault tolerance""".split()
)
_STUFF_LABEL = re.compile(
    r"^\W*(?:key\s*words?|keywords?|tags?|hashtags?|buzz\s*words?|seo|signals?(?:\s+(?:shown|demonstrated|covered|hit))?|checklist|"
    r"competenc(?:y|ies)(?:\s+(?:shown|demonstrated|covered))?|rubric(?:\s+(?:terms|words|items|signals|check|coverage))?|"
    r"criteria(?:\s+(?:met|covered|hit))?|skills?\s+(?:shown|demonstrated)|demonstrated|covered|strengths?\s+shown|"
    r"traits?|relevant\s+terms|topics\s+covered|themes)\s*[:\-–—]\s*"
)
_ITEM_SPLIT = re.compile(r"\s*(?:[,;|/•·✓✔✅☑]|\s(?:and|&)\s|\s[-–—]\s|\.(?:\s|$)|\n)\s*")
_NOT_A_LIST = re.compile(r"\b(?:i|we|you|they|he|she|it|was|were|is|are|had|have|has|did|will|would|could|because|so)\b|\d")


@lru_cache(maxsize=20_000)
def rubric_list(text: str) -> bool:
    """A list of rubric words with no sentence around them ("Keywords: trade-offs, ownership, blast
    radius, stakeholder alignment, metrics"): it names signals without showing any."""
    f = fold(text.replace("#", " , "))  # hashtags are items too
    m = _STUFF_LABEL.match(f)
    body = f[m.end() :] if m else f
    if ":" in body:
        return False  # "Requirements: availability, latency, ..." is a list under its own heading
    items = [i for i in (re.sub(r"^[\W_]+|[\W_]+$", "", i) for i in _ITEM_SPLIT.split(body)) if i]
    if len(items) < (2 if m else 4) or any(len(i.split()) > 4 or _NOT_A_LIST.search(i) for i in items):
        return False
    return sum(1 for i in items if _is_rubric(i)) / len(items) >= (0.5 if m else 0.75)


def _is_rubric(item: str) -> bool:
    words = [w for w in re.split(r"[\s-]+", item) if len(w) > 2 and w not in ("the", "and", "for", "with")]
    return item.replace(" ", "-") in RUBRIC_WORDS or (bool(words) and 2 * sum(w in RUBRIC_WORDS for w in words) >= len(words))


# -- JSON objects ---------------------------------------------------------------------------------------

GRADER_KEYS = frozenset(
    """score scores overall overall_score final_score total_score max_score band level levels rating grade verdict
    recommendation hire hire_decision decision evaluation assessment signals pass passed marks points confidence
    reason reasoning justification evidence feedback strong_hire result""".split()
)
_STRONG_KEYS = frozenset("score scores overall overall_score final_score total_score band level rating grade verdict recommendation hire signals evaluation assessment marks".split())
_KEY = re.compile(r"[\"']?([A-Za-z_][\w -]{0,40}?)[\"']?\s*:")


def grading_json(obj: str) -> bool:
    """A JSON-like object whose keys are mostly a grade's (`{"score": 100}`, a judge reply's shape),
    not a data record that happens to have a score field (`{"user_id": 7, "score": 1520}`)."""
    keys = [k.strip().lower().replace(" ", "_").replace("-", "_") for k in _KEY.findall(obj)]
    graded = sum(1 for k in keys if k in GRADER_KEYS or k in RUBRIC_WORDS or k.replace("_", "-") in RUBRIC_WORDS)
    return bool(keys) and graded * 2 > len(keys) and any(k in _STRONG_KEYS for k in keys)
