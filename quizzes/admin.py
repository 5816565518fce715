from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet

from .models import Attempt, AttemptAnswer, Choice, DocumentTerms, DroppedQuestion, Question, Quiz


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
    fields = ["position", "text", "is_correct"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Questions can be edited or deleted; the source passage is shown beside them."""

    list_display = ["id", "quiz", "position", "type", "short_prompt", "answer", "document", "page_number", "source"]
    list_filter = ["type", "source"]
    search_fields = ["prompt", "answer", "quiz__title"]
    fields = [
        "quiz", "position", "type", "prompt", "answer", "accepted_answers", "explanation", "source",
        "document", "page_number", "char_start", "char_end", "evidence", "passage",
    ]
    readonly_fields = ["quiz", "type", "source", "document", "page_number", "char_start", "char_end", "evidence", "passage"]
    inlines = [ChoiceInline]

    @admin.display(description="prompt")
    def short_prompt(self, question: Question) -> str:
        return question.prompt[:80]


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
