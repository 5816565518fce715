from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet

from .models import Attempt, AttemptAnswer, Choice, DocumentTerms, DroppedQuestion, Question, QuestionStats, Quiz


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "type", "prompt", "answer", "page_number", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True  # edit a question (and its options) on its own page
    max_num = 0


class DroppedQuestionInline(admin.TabularInline):
    """What the quality gates refused while generating, and why."""

    model = DroppedQuestion
    fields = ["gate", "reason", "type", "prompt", "answer", "page_number", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "owner", "status", "num_questions", "question_count", "difficulty", "generator", "runs", "created_at"]
    list_filter = ["status", "difficulty", "generator"]
    search_fields = ["title", "owner__username"]
    readonly_fields = [
        "owner", "documents", "num_questions", "question_types", "difficulty", "seed", "status", "generator", "questions_done",
        "shortfall_reason", "notes", "failure_reason", "task_id", "runs", "created_at", "started_at", "finished_at",
    ]
    inlines = [QuestionInline, DroppedQuestionInline]

    @admin.display(description="questions")
    def question_count(self, quiz: Quiz) -> int:
        return quiz.questions.count()

    def get_queryset(self, request: Any) -> QuerySet[Quiz]:
        return super().get_queryset(request).select_related("owner")


class ChoiceFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """An edited multiple-choice question still has exactly one correct option."""
        super().clean()
        kept = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if kept and sum(bool(data.get("is_correct")) for data in kept) != 1:
            raise ValidationError("Exactly one option must be correct.")


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "text", "is_correct", "explanation"]
    extra = 0


class FlaggedFilter(admin.SimpleListFilter):
    """Questions the item analysis flagged (a question no one has attempted is not flagged)."""

    title = "flagged"
    parameter_name = "flagged"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: Any, queryset: QuerySet[Question]) -> QuerySet[Question]:
        if self.value() == "yes":
            return queryset.filter(stats__flagged=True)
        if self.value() == "no":
            return queryset.exclude(stats__flagged=True)
        return queryset


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Questions can be edited or deleted; the source passage is shown beside them, and the item
    analysis of the attempts (read-only fields, not an inline: an inline would add a formset
    that every edit must post)."""

    list_display = ["id", "quiz", "position", "type", "short_prompt", "answer", "document", "page_number", "source", "share_correct", "flagged"]
    list_filter = ["type", "source", FlaggedFilter]
    search_fields = ["prompt", "answer", "quiz__title"]
    fields = [
        "quiz", "position", "type", "prompt", "answer", "accepted_answers", "explanation", "source",
        "document", "page_number", "char_start", "char_end", "evidence", "passage",
        "answered", "share_correct", "choice_picks", "discrimination", "flagged", "flag_reason",
    ]
    readonly_fields = [
        "quiz", "type", "source", "document", "page_number", "char_start", "char_end", "evidence", "passage",
        "answered", "share_correct", "choice_picks", "discrimination", "flagged", "flag_reason",
    ]
    inlines = [ChoiceInline]

    def get_queryset(self, request: Any) -> QuerySet[Question]:
        return super().get_queryset(request).select_related("quiz", "document", "stats")

    @admin.display(description="prompt")
    def short_prompt(self, question: Question) -> str:
        return question.prompt[:80]

    @admin.display(description="answered")
    def answered(self, question: Question) -> int:
        stats = _stats(question)
        return stats.answered if stats else 0

    @admin.display(description="share correct")
    def share_correct(self, question: Question) -> str:
        stats = _stats(question)
        return f"{stats.share_correct:.2f}" if stats and stats.share_correct is not None else "-"

    @admin.display(description="choice picks")
    def choice_picks(self, question: Question) -> str:
        stats = _stats(question)
        if not stats:
            return "-"
        return ", ".join(
            f"{choice.text}{' (key)' if choice.is_correct else ''}: {stats.choice_counts.get(str(choice.pk), 0)}"
            for choice in question.choices.all()
        ) or "-"

    @admin.display(description="discrimination")
    def discrimination(self, question: Question) -> str:
        stats = _stats(question)
        return f"{stats.discrimination:+.2f}" if stats and stats.discrimination is not None else "-"

    @admin.display(description="flagged", boolean=True)
    def flagged(self, question: Question) -> bool:
        stats = _stats(question)
        return bool(stats and stats.flagged)

    @admin.display(description="flag reason")
    def flag_reason(self, question: Question) -> str:
        stats = _stats(question)
        return stats.flag_reason if stats and stats.flag_reason else "-"


def _stats(question: Question) -> QuestionStats | None:
    return getattr(question, "stats", None)  # none before the first attempt


@admin.register(QuestionStats)
class QuestionStatsAdmin(admin.ModelAdmin):
    """The item analysis of every question, computed from attempts: read-only."""

    list_display = ["question", "quiz", "answered", "share_correct", "discrimination", "flagged", "flag_reason", "updated_at"]
    list_filter = ["flagged"]
    search_fields = ["question__prompt", "question__quiz__title", "flag_reason"]
    readonly_fields = [
        "question", "answered", "correct", "share_correct", "choice_counts", "discrimination", "flagged", "flag_reason", "updated_at",
    ]

    def get_queryset(self, request: Any) -> QuerySet[QuestionStats]:
        return super().get_queryset(request).select_related("question__quiz")

    @admin.display(description="quiz")
    def quiz(self, stats: QuestionStats) -> Quiz:
        return stats.question.quiz

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DroppedQuestion)
class DroppedQuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "quiz", "gate", "reason", "type", "page_number", "source"]
    list_filter = ["gate", "type", "source"]
    search_fields = ["prompt", "reason"]
    readonly_fields = ["quiz", "gate", "reason", "type", "prompt", "answer", "options", "source", "document", "page_number", "passage"]


class AttemptAnswerInline(admin.TabularInline):
    model = AttemptAnswer
    fields = ["question", "response", "is_correct", "match"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "quiz", "user", "score", "correct_count", "question_count", "created_at"]
    search_fields = ["quiz__title", "user__username"]
    readonly_fields = ["quiz", "user", "score", "correct_count", "question_count", "created_at"]
    inlines = [AttemptAnswerInline]


@admin.register(DocumentTerms)
class DocumentTermsAdmin(admin.ModelAdmin):
    list_display = ["document", "computed_at"]
    readonly_fields = ["document", "fingerprint", "terms", "computed_at"]
