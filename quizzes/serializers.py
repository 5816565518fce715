from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from studyai.api import ObjectIdField

from .generators.schema import Difficulty, QuestionType
from .models import Attempt, AttemptAnswer, Question, QuestionStats, Quiz

MAX_DOCUMENTS = 20


class CitationSerializer(serializers.Serializer):
    """Where a question comes from: the passage (a chunk) of a page of a document."""

    document = serializers.IntegerField(source="document_id", allow_null=True)
    page = serializers.IntegerField(source="page_number")
    char_start = serializers.IntegerField()
    char_end = serializers.IntegerField()
    passage = serializers.CharField()


class ChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuestionSerializer(serializers.ModelSerializer):
    """A question as a quiz taker sees it: never the answer (nor the options' explanations).
    `share_correct` and `answered` (item analysis) only once ITEM_ANALYSIS_MIN_ATTEMPTS attempts
    answered it: a share over fewer says little about the question."""

    options = ChoiceSerializer(many=True, source="choices")
    citation = serializers.SerializerMethodField()
    share_correct = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "position", "type", "prompt", "options", "citation", "share_correct", "answered"]
        read_only_fields = fields

    @extend_schema_field(CitationSerializer)
    def get_citation(self, question: Question) -> dict[str, Any]:
        return CitationSerializer(question).data

    @extend_schema_field(serializers.FloatField(allow_null=True, help_text="share of attempts right, 0-1 (2 places)"))
    def get_share_correct(self, question: Question) -> float | None:
        stats = _shown_stats(question)
        return round(stats.share_correct, 2) if stats is not None and stats.share_correct is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True, help_text="attempts that answered it (a skip counts)"))
    def get_answered(self, question: Question) -> int | None:
        stats = _shown_stats(question)
        return stats.answered if stats is not None else None


def _shown_stats(question: Question) -> QuestionStats | None:
    stats: QuestionStats | None = getattr(question, "stats", None)  # none before the first attempt
    if stats is None or stats.answered < settings.ITEM_ANALYSIS_MIN_ATTEMPTS:
        return None
    return stats


class QuizSummarySerializer(serializers.ModelSerializer):
    document_ids = serializers.SerializerMethodField()
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Quiz
        fields = [
            "id", "title", "status", "document_ids", "num_questions", "question_count", "question_types", "difficulty",
            "seed", "generator", "questions_done", "shortfall_reason", "notes", "failure_reason", "task_id",
            "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def get_document_ids(self, quiz: Quiz) -> list[int]:
        return sorted(document.pk for document in quiz.documents.all())


class QuizSerializer(QuizSummarySerializer):
    """A quiz with its questions (without answers), each citing its passage."""

    questions = QuestionSerializer(many=True, read_only=True)

    class Meta(QuizSummarySerializer.Meta):
        fields = [*QuizSummarySerializer.Meta.fields, "questions"]
        read_only_fields = fields


class QuizRequestSerializer(serializers.Serializer):
    document_ids = serializers.ListField(
        child=ObjectIdField(), min_length=1, max_length=MAX_DOCUMENTS,
        help_text="Your processed documents to ask about.",
    )
    num_questions = serializers.IntegerField(min_value=1, max_value=50, default=10)
    question_types = serializers.ListField(
        child=serializers.ChoiceField(choices=[t.value for t in QuestionType]), min_length=1, required=False,
        help_text="Any of multiple_choice, true_false, fill_in_the_blank, short_answer (default: all four).",
    )
    difficulty = serializers.ChoiceField(choices=[d.value for d in Difficulty], default=Difficulty.MEDIUM.value)
    seed = serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, help_text="The same documents and seed make the same quiz."
    )
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate_document_ids(self, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))

    def validate_question_types(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class AnswerSerializer(serializers.Serializer):
    """Only for the schema: the view checks answers against the quiz itself (grading.parse_answers)."""

    question = serializers.IntegerField()
    answer = serializers.JSONField(
        allow_null=True, help_text="multiple_choice: a choice id; true_false: true or false; others: text; null skips."
    )


class AttemptRequestSerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True)


class OptionExplanationSerializer(serializers.Serializer):
    """Why an option of a multiple-choice question is right or wrong (after grading only)."""

    choice = serializers.IntegerField()
    text = serializers.CharField()
    correct = serializers.BooleanField()
    explanation = serializers.CharField(allow_blank=True)


class ResultSerializer(serializers.ModelSerializer):
    """One graded answer: right or wrong, the right answer, why, and where the material says it."""

    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField(source="question.position")
    type = serializers.CharField(source="question.type")
    prompt = serializers.CharField(source="question.prompt")
    your_answer = serializers.JSONField(source="response")
    correct = serializers.BooleanField(source="is_correct")
    correct_answer = serializers.SerializerMethodField()
    correct_choice = serializers.SerializerMethodField()
    explanation = serializers.CharField(source="question.explanation")
    option_explanations = serializers.SerializerMethodField()
    citation = serializers.SerializerMethodField()

    class Meta:
        model = AttemptAnswer
        fields = [
            "question", "position", "type", "prompt", "your_answer", "correct", "match", "correct_answer",
            "correct_choice", "explanation", "option_explanations", "citation",
        ]
        read_only_fields = fields

    def get_correct_answer(self, answer: AttemptAnswer) -> str:
        return answer.question.answer

    def get_correct_choice(self, answer: AttemptAnswer) -> int | None:
        """The id of the right option (multiple choice only)."""
        return next((choice.pk for choice in answer.question.choices.all() if choice.is_correct), None)

    @extend_schema_field(OptionExplanationSerializer(many=True))
    def get_option_explanations(self, answer: AttemptAnswer) -> list[dict[str, Any]]:
        """Every option with why it is right or wrong (multiple choice; empty otherwise)."""
        if answer.question.type != QuestionType.MULTIPLE_CHOICE:
            return []
        return [
            {"choice": choice.pk, "text": choice.text, "correct": choice.is_correct, "explanation": choice.explanation}
            for choice in answer.question.choices.all()
        ]

    @extend_schema_field(CitationSerializer)
    def get_citation(self, answer: AttemptAnswer) -> dict[str, Any]:
        return CitationSerializer(answer.question).data


class AttemptSerializer(serializers.ModelSerializer):
    results = ResultSerializer(many=True, source="answers", read_only=True)

    class Meta:
        model = Attempt
        fields = ["id", "quiz", "score", "correct_count", "question_count", "created_at", "results"]
        read_only_fields = fields
