"""Best-of-N generation, shared by questions and follow-ups: draw N candidates in one backend call,
keep the ones that pass every check, and when none does, say why in the fallback's label.

A blank reply is a rejected draw (the model ended its text there); only when *every* draw is blank
is it the backend failing, and that is raised, never covered by a fallback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from coach.errors import EmptyOutputError
from coach.llm.base import LLMBackend, RenderedPrompt, Sampling
from coach.llm.prompts import Prompt


class GenerationProvenance(BaseModel):
    """Who generated a question or follow-up, with which prompt and seed, and how the draws went."""

    backend: str
    model: str
    prompt_id: str
    prompt_hash: str
    seed: int
    candidate_seed: int | None = Field(default=None, description="sampling seed of the shown candidate")
    candidates_tried: int = 0
    candidates_accepted: int = 0
    rejections: dict[str, int] = Field(default_factory=dict, description="why candidates were rejected")


@dataclass
class Draws:
    """The draws made for one question or follow-up, across batches."""

    backend: LLMBackend
    prompt: Prompt
    seed: int
    tried: int = 0
    empties: int = 0
    rejections: Counter = field(default_factory=Counter)
    last_empty: EmptyOutputError | None = None

    def draw(self, prompts: Sequence[RenderedPrompt], samplings: Sequence[Sampling]) -> list[tuple[str, int]]:
        """One call for the whole batch (the embedded backend decodes the candidates side by side).
        Returns (text, sampling seed) of every non-blank reply; a backend failure propagates."""
        out = []
        for sampling, gen in zip(samplings, self.backend.generate_many(prompts, samplings)):
            self.tried += 1
            if isinstance(gen, EmptyOutputError):
                self.empties, self.last_empty = self.empties + 1, gen
                self.rejections["empty"] += 1
                continue
            out.append((gen.text, sampling.seed))
        return out

    def reject(self, problem: str) -> None:
        self.rejections[problem.split(" (")[0]] += 1

    @property
    def backend_silent(self) -> bool:
        """Every draw came back blank: the backend answers nothing at all."""
        return bool(self.tried) and self.empties == self.tried and self.last_empty is not None

    def fallback_reason(self) -> str:
        return "none of {} generated candidates passed validation ({})".format(
            self.tried, ", ".join(f"{n} {why}" for why, n in self.rejections.most_common())
        )

    def provenance(self, accepted: int, candidate_seed: int | None = None) -> dict:
        """The GenerationProvenance fields, for the caller's own provenance model."""
        return dict(
            backend=self.backend.name, model=self.backend.model, prompt_id=self.prompt.id,
            prompt_hash=self.prompt.hash, seed=self.seed, candidate_seed=candidate_seed,
            candidates_tried=self.tried, candidates_accepted=accepted, rejections=dict(self.rejections),
        )
