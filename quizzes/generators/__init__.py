"""Quiz generation: the offline generator, optionally preceded by an LLM provider, both behind
the same gates. `generate` is the one entry point (the task and `manage.py generate_quiz`)."""
from __future__ import annotations

from .pipeline import generate
from .schema import Difficulty, GenerationResult, Material, Passage, QuestionDraft, QuestionType, QuizSpec

__all__ = ["Difficulty", "GenerationResult", "Material", "Passage", "QuestionDraft", "QuestionType", "QuizSpec", "generate"]
