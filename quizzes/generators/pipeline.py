"""One quiz: the LLM provider first when the caller passes one (`llm.configured_provider()`), the
offline generator for whatever it did not deliver (all of it by default), one set of gates over
both, so no question of one is a duplicate of the other's."""
from __future__ import annotations

from . import llm, offline
from .gates import QualityGates
from .schema import GenerationResult, Material, Progress, QuizSpec


def generate(material: Material, spec: QuizSpec, progress: Progress | None = None, provider: llm.Provider | None = None) -> GenerationResult:
    gates = QualityGates(spec.question_types)
    result = GenerationResult()
    if provider is not None:
        attempt = provider.generate(material, spec, gates, progress)
        result.questions.extend(attempt.questions)
        result.dropped.extend(attempt.dropped)
        result.notes.extend(attempt.notes)
        result.generator = "llm"
    missing = spec.num_questions - len(result.questions)
    if missing > 0:
        outcome = offline.generate(material, spec, gates, wanted=missing, progress=progress, done_before=len(result.questions))
        if provider is not None and outcome.questions:
            result.generator = "llm+offline" if result.questions else "offline"
        result.questions.extend(outcome.questions)
        result.dropped.extend(outcome.dropped)
        result.notes.extend(outcome.notes)
        result.errors.extend(outcome.errors)
        result.shortfall_reason = outcome.shortfall_reason
    return result
