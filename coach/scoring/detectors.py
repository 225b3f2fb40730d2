"""Explicit detectors: what makes a sentence *specific*, and which kind of evidence it carries.

Embedding similarity alone rewards answers written in the rubric's own vocabulary ("we weighed the
trade-offs and mitigated the failure modes"). These detectors look for the things such answers lack:
a number with its unit, a named component, an action with its result, a cause with its effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

# A number with a unit, a percentage, money, a multiplier or a clock value.
_QUANTITY = re.compile(
    r"""(
        [$€£]\s?\d[\d,.]*\s?[kKmMbB]?                                   # $16.5k
      | \d[\d,.]*\s?(%|percent|x\b|×)                                     # 40%, 10x
      | \bp(50|90|95|99|999)\b                                             # p95
      | \d[\d,.]*\s?(k|m|b|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?|days?|weeks?|months?|quarters?|years?
                   |rps|qps|tps|req/s|requests?|writes?|reads?|users?|customers?|nodes?|cores?|instances?|pods?|shards?
                   |replicas?|regions?|teams?|engineers?|people|services?|gb|tb|mb|kb|pb|gbps|mbps|events?|messages?
                   |pages?|incidents?|tickets?|lines?|tests?|deploys?|releases?|dollars?|keys?|partitions?|tables?
                   |rows?|calls?|hops?|threads?|connections?|items?|accounts?|tenants?|clients?|sprints?|steps?)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_BARE_NUMBER = re.compile(r"(?<![A-Za-z-])\d+(?:[.,]\d+)?(?![A-Za-z])")
_NUMBER_WORD = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|hundred|thousand|million|billion|half|double|doubled|tripled|halved)\b",
    re.IGNORECASE,
)

# Well-known components; capitalised tokens and code identifiers are caught generically below.
_TECH = {
    "postgres", "postgresql", "mysql", "aurora", "dynamodb", "cassandra", "redis", "memcached", "kafka", "kinesis",
    "rabbitmq", "sqs", "sns", "s3", "gcs", "envoy", "nginx", "haproxy", "istio", "kubernetes", "k8s", "ecs", "eks",
    "terraform", "grafana", "prometheus", "datadog", "opentelemetry", "jaeger", "elasticsearch",
    "clickhouse", "snowflake", "bigquery", "spark", "flink", "airflow", "grpc", "graphql", "jwt", "oauth", "mtls",
    "tls", "cdn", "cdc", "debezium", "zookeeper", "etcd", "raft", "paxos", "crdt", "lww", "sql", "nosql", "vault",
    "kms", "jvm", "gc", "cpu", "ram", "ssd", "dns", "http", "tcp", "udp", "websocket", "websockets", "api", "sdk",
    "json", "protobuf", "avro", "redshift", "mongodb", "mongo", "sqlite", "vitess", "spanner", "cockroachdb",
    "pagerduty", "jira", "github", "gitlab", "jenkins", "argo", "helm", "docker", "linux", "python", "java",
    "golang", "rust", "typescript", "react", "ios", "android", "sre", "slo", "sla", "sli", "rto",
    "rpo", "mttr", "adr", "adrs", "pii", "gdpr", "soc2", "hipaa", "pci", "sox", "iam", "rbac", "saas", "vpc",
    "lru", "ttl", "hashmap", "mutex", "semaphore", "bloom", "hyperloglog", "b-tree", "lsm",
    "stripe", "twilio", "okta", "auth0", "launchdarkly", "cloudflare", "fastly", "aws", "gcp", "azure", "blue-green", "flamegraph", 
}
# CamelCase, ACRONYMS, and Capitalised words that do not start the sentence (proper names).
_CAPITALISED = re.compile(r"\b([A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}[a-z]?s?|[A-Z][a-z]{2,}(?:DB|QL|MQ))\b")
_PROPER = re.compile(r"(?<=[a-z,;:] )([A-Z][a-z]{2,})\b")
_IDENT = re.compile(r"\b[a-z]{2,}-[a-z]+-?\d\b|\b[a-z]+(?:-[a-z0-9]+)+\.(?:yaml|json|py|go|ts|sql)\b|/[a-z0-9_/{}-]{3,}")
_NOT_NAMES = {"The", "This", "That", "Then", "When", "What", "Which", "While", "After", "Before", "During", "Because",
              "But", "And", "Our", "Its", "His", "Her", "Their", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
              "January", "February", "March", "April", "June", "July", "August", "September", "October", "November",
              "December", "Staff", "Principal", "Senior", "Engineer", "Engineering", "Team", "Product", "Finance",
              "Legal", "Security", "Sales", "Support", "Marketing", "Director", "Manager", "CTO", "VP", "CEO", "CFO",
              "OK", "TL", "DR", "TL;DR", "STAR", "I", "If", "So", "Also", "Yes", "No", "In", "On", "At", "For", "With"}
_CODE = re.compile(r"`[^`]+`|\b\w+\(\)|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z][A-Za-z]+\b")

_CAUSAL = re.compile(
    r"\b(if .{3,60}\b(?:would|will|then)\b|otherwise|, so |because|so that|so we|which (?:meant|caused|cut|dropped|reduced|raised|let|gave|made|freed|saved)|"
    r"led to|resulting in|as a result|that (?:cut|dropped|reduced|saved|brought|took)|caused|therefore|"
    r"which is why|since|due to|thanks to|in exchange for|at the cost of|->|→)\b",
    re.IGNORECASE,
)
_TRADEOFF = re.compile(
    r"\b(instead of|rather than|over|versus|vs\.?|alternative|option|we rejected|i rejected|rejected|"
    r"considered|trade-?off|the cost (?:was|is)|downside|upside|in exchange|at the cost|chose|picked|ruled out|"
    r"compared|weighed|pros?|cons?|cheaper|slower|faster|simpler)\b",
    re.IGNORECASE,
)
_RISK = re.compile(
    r"\b(fail(?:s|ed|ure|over|back)?|outage|risk|rollback|roll back|rolled back|mitigat\w*|blast radius|degrad\w*|"
    r"fallback|fall back|timeout|time out|retry|retries|circuit breaker|bulkhead|kill switch|feature flag|canary|"
    r"drill|incident|postmortem|page|paged|alert|alarm|stale|lag|split-brain|data loss|corrupt\w*|abort|"
    r"guardrail|trigger|threshold|recover\w*|restore|backup)\b",
    re.IGNORECASE,
)
_PHASED = re.compile(
    r"\b(phase \d|phase one|phase two|first,|second,|third,|then we|then i|next,|finally,|step \d|stage \d|"
    r"in the first|week \d|month \d|quarter|q[1-4]\b|milestone|incremental\w*|gradual\w*|ramp\w*|"
    r"\d+% of traffic|percent of traffic|dual-?writ\w*|shadow|strangler|cut ?over|decommission\w*|"
    r"later|eventually|v1|v2|roadmap|sequence)\b",
    re.IGNORECASE,
)
_OWNER = re.compile(
    r"\b(I (?:decided|led|proposed|wrote|built|designed|drove|owned|chose|pushed|ran|set up|started|convinced|"
    r"pitched|escalated|negotiated|mentored|paired|rolled|rewrote|changed|introduced|argued|asked|made|took|"
    r"called|cut|killed|stopped|reverted|pulled|got|went|sat|spent|personally|myself|realized|realised|owned|"
    r"would|will|own|sponsored|coached|delegated|committed|measured|instrumented|profiled|traced|found|noticed|"
    r"flagged|insisted|organized|organised|facilitated|wrote|shipped|set|opened|closed|presented|reframed|"
    r"brought|created|moved|added|removed|replaced|split|merged|migrated|reviewed|approved|rejected|"
    r"agreed|disagreed|told|said|explained|learned|learnt)|my (?:decision|call|proposal|design|team|mistake|fault)|"
    r"I was (?:the|responsible|accountable|on the hook))\b"
)
_PASSIVE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|gets?|got)\s+(?:\w+ed|made|done|put|set|built|run|given|taken|sent|kept|"
    r"held|found|told|written|chosen|brought|shown|seen|known|led|paid|drawn|thrown)\b(?!\s+(?:to|that)\s+I\b)|\b(was assigned|were assigned|assigned (?:me|us|to me)|was decided|it was decided|was asked to|"
    r"were asked to|was told to|were told to|was given|the manager (?:decided|assigned|asked|told)|"
    r"management (?:decided|wanted)|was handled|got handled|was done|were done|the team (?:decided|did|handled))\b",
    re.IGNORECASE,
)
_STAR = {
    "situation": re.compile(r"\b(situation|context|background|at the time|we were|our team was|the problem was|"
                            r"back in|when i joined|there was|we had|the company)\b", re.IGNORECASE),
    "task": re.compile(r"\b(my (?:job|task|goal|role|responsibility)|i needed to|i had to|the goal was|"
                       r"task|objective|we needed to|i was asked|was responsible)\b", re.IGNORECASE),
    "action": re.compile(r"\bI (?:\w+ed|built|wrote|led|ran|set|took|made|drove|chose|sat|spent|got|went|"
                         r"brought|began|began|put|cut|split|sold|held|met|found|kept|told|gave)\b"),
    "result": re.compile(r"\b(result|outcome|in the end|as a result|ended up|we shipped|dropped|reduced|"
                         r"increased|improved|went from|down to|up to|saved|cut|by the end|afterwards|since then)\b",
                         re.IGNORECASE),
}

_ACTION = re.compile(r"\b(?:I|we)\s+(?:\w+ed|built|wrote|ran|set|took|made|cut|split|shipped|put|moved|rewrote|"
                     r"drew|sent|held|kept|ran|began|led|gave|told|found|brought|caught|paid|sold|spent|swapped)\b", re.IGNORECASE)
_RESULT = re.compile(r"\b(dropped|fell|rose|went from|down to|up to|from .{1,25} to |reduced|cut|halved|doubled|"
                     r"saved|removed|eliminated|stopped|fixed|closed|shipped|unblocked|recovered|so (?:that|we|the)|"
                     r"which (?:meant|let|made|gave|cut|dropped)|and (?:it|that) (?:dropped|cut|fixed|stopped))\b", re.IGNORECASE)
_VAGUE = re.compile(
    r"\b(probably|maybe|perhaps|something like|some kind of|kind of|sort of|and so on|etc\.?|stuff|"
    r"should (?:be|scale|work|handle) (?:fine|ok|okay|well)|just (?:add|use|scale|throw|put)|"
    r"scales? (?:horizontally|fine|well)|later once|at some point|if needed|as needed|best practices?)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_STOP = set(
    """a an the and or but if then so of to in on at by for with from into onto over under about as is are was were be
    been being it its this that these those there here we i you he she they them our my your their us me his her
    do did does done have has had having not no nor can could would should will shall may might must very really
    just also too more most much many some any all each every other another such own same than which who whom
    what when where why how up down out off again further once only both few s t don now while during before
    after above below between through until against because very well lot lots thing things way ways get got make
    made kind sort bit quite rather pretty actually basically""".split()
)
# Rubric vocabulary: words any answer can say without having done anything.
GENERIC = set(
    """trade-off trade-offs tradeoff tradeoffs tradeoffs failure failures mode modes risk risks mitigate mitigated
    mitigation mitigations stakeholder stakeholders alignment aligned align impact impactful significant
    significantly metric metrics measure measured measurable outcome outcomes result results success successful
    successfully key important critical strategic strategy strategically holistic holistically robust robustness
    scalable scalability scale reliability reliable resilient resilience best practice practices approach
    approaches solution solutions process processes carefully careful thoughtful thoughtfully considered consider
    considerations weighed weigh various several different relevant appropriate appropriately effective
    effectively efficiency efficient ensure ensured ensuring leverage leveraged leveraging drive drove driven
    ownership owned own stakeholder communicate communicated communication collaborate collaborated collaboration
    cross-functional team teams people everyone everybody organization org company business value values overall
    concerns concern issue issues problem problems challenge challenges challenging plan plans planning planned
    phased phase evolution evolve evolutionary roadmap vision long-term short-term future iterate iterative
    iterated improvement improvements improve improved optimize optimized optimization performance quality high
    low good great better best strong clear clearly data data-driven insights learnings learning lessons lesson
    learned feedback buy-in consensus priorities prioritize prioritized focus focused goal goals objective
    objectives deliver delivered delivering execution execute executed tradeoff system systems architecture
    architectural design designed component components infrastructure platform technical technology technologies
    decision decisions decided options option alternatives alternative mental model models understanding
    understand depth deep deeply complexity complex rollback rollbacks monitoring observability instrumented
    instrumentation visibility cost costs budget budgets time timeline timelines resources resource management""".split()
)


@dataclass
class Detection:
    """What the explicit detectors saw in one sentence."""

    quantities: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    causal: bool = False
    tradeoff: bool = False
    risk: bool = False
    phased: bool = False
    ownership: bool = False
    passive: bool = False
    star: set[str] = field(default_factory=set)
    concrete_words: int = 0
    generic_words: int = 0

    action_result: bool = False
    number_words: int = 0
    vague: bool = False

    @cached_property  # detections are memoised and never mutated, so this is computed once
    def specificity(self) -> float:
        """How many checkable specifics the sentence carries: a number with its unit, a named
        component, an action with its result, a cause with its effect. Rubric vocabulary adds nothing."""
        score = 1.0 * min(len(self.quantities), 3) + 0.6 * min(len(self.named), 3) + 0.4 * min(self.number_words, 2)
        concrete = self.concrete_words >= 3
        if self.action_result and concrete:
            score += 0.5
        if self.causal and concrete:
            score += 0.4
        score += 0.05 * min(self.concrete_words, 6)
        if score < 1.0 and self.generic_words > self.concrete_words:
            score *= 0.5  # mostly rubric words: whatever else it has is probably decoration
        if self.vague:
            score *= 0.5  # "it should scale fine", "something like Kafka": names without commitment
        return round(score, 3)

    def fires(self, detector: str) -> bool:
        return {
            "numbers": bool(self.quantities),
            "named": bool(self.named),
            "tradeoffs": self.tradeoff,
            "risk": self.risk,
            "phased": self.phased,
            "ownership": self.ownership and not self.passive,
            "star": bool(self.star),
        }[detector]


@lru_cache(maxsize=20_000)
def detect(sentence: str) -> Detection:
    """Pure function of the sentence, memoised; callers must not mutate the result."""
    d = Detection()
    d.quantities = [m.group(0) for m in _QUANTITY.finditer(sentence)]
    if not d.quantities:
        bare = [m.group(0) for m in _BARE_NUMBER.finditer(sentence)]
        d.quantities = bare[:1]  # a bare number is weaker evidence than one with a unit: count one at most
    words = _WORD.findall(sentence)
    lowered = [w.lower() for w in words]
    named = [w for w in words if w.lower() in _TECH]
    named += [m.group(0) for m in _CAPITALISED.finditer(sentence) if m.group(0).lower() not in _TECH and m.group(0) not in _NOT_NAMES]
    named += [m.group(1) for m in _PROPER.finditer(sentence) if m.group(1) not in _NOT_NAMES and m.group(1).lower() not in GENERIC]
    named += [m.group(0) for m in _CODE.finditer(sentence)]
    named += [m.group(0) for m in _IDENT.finditer(sentence)]
    d.named = list(dict.fromkeys(named))
    d.generic_words = sum(1 for w in lowered if w in GENERIC)
    d.concrete_words = sum(1 for w in lowered if w not in GENERIC and w not in _STOP and len(w) > 3 and w not in _TECH)
    if not d.quantities:
        d.number_words = len(_NUMBER_WORD.findall(sentence))
    d.vague = bool(_VAGUE.search(sentence))
    d.causal = bool(_CAUSAL.search(sentence))
    d.tradeoff = bool(_TRADEOFF.search(sentence))
    d.risk = bool(_RISK.search(sentence))
    d.phased = bool(_PHASED.search(sentence))
    d.ownership = bool(_OWNER.search(sentence)) or bool(re.search(r"\bI\b", sentence))
    d.action_result = bool(_ACTION.search(sentence)) and bool(_RESULT.search(sentence))
    d.passive = bool(_PASSIVE.search(sentence))
    d.star = {part for part, rx in _STAR.items() if rx.search(sentence)}
    return d
