"""Quizzes, their questions (with options and the passage each cites), the questions the gates
dropped, graded attempts, and the per-document key-term cache the generator reads."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from documents.models import Document
from indexing.models import Chunk

from .generators.schema import Difficulty, QuestionType


class Quiz(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for a worker
        GENERATING = "generating"
        READY = "ready"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(max_length=300)
    documents = models.ManyToManyField(Document, related_name="quizzes")
    num_questions = models.PositiveSmallIntegerField()  # asked for
    question_types = models.JSONField()  # list of QuestionType values
    difficulty = models.CharField(max_length=10, choices=[(d.value, d.value) for d in Difficulty])
    seed = models.BigIntegerField()  # given or drawn at creation: a re-run makes the same quiz
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    generator = models.CharField(max_length=20, blank=True)  # offline | llm | llm+offline
    questions_done = models.PositiveSmallIntegerField(default=0)  # progress while generating
    shortfall_reason = models.TextField(blank=True)  # why there are fewer questions than asked
    notes = models.JSONField(default=list, blank=True)  # e.g. the LLM provider failed and why
    failure_reason = models.TextField(blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    # Of the request that asked for the quiz: what every event of its generation carries.
    correlation_id = models.CharField(max_length=128, blank=True)
    runs = models.PositiveIntegerField(default=0)  # generation runs started (a killed worker's re-run counts)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "quizzes"
        indexes = [models.Index(fields=["owner", "status"], name="quiz_owner_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()  # 1-based
    type = models.CharField(max_length=20, choices=[(t.value, t.value.replace("_", " ")) for t in QuestionType])
    prompt = models.TextField()
    # The correct option's text (multiple choice), "true"/"false", or the expected text.
    answer = models.CharField(max_length=200)
    accepted_answers = models.JSONField(default=list, blank=True)  # other forms graded as right
    explanation = models.TextField()
    source = models.CharField(max_length=10, default="offline")  # offline | llm
    # The citation. A copy of the chunk's place and text: a re-index replaces chunk rows, and a
    # quiz must still say where its questions came from.
    chunk = models.ForeignKey(Chunk, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    page_number = models.PositiveIntegerField()
    char_start = models.PositiveIntegerField()
    char_end = models.PositiveIntegerField()
    passage = models.TextField()
    evidence = models.TextField()  # the sentence of the passage the question is about

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [models.UniqueConstraint(fields=["quiz", "position"], name="question_unique_position")]

    def __str__(self) -> str:
        return f"Q{self.position} of quiz {self.quiz_id}: {self.prompt[:60]}"


class Choice(models.Model):
    """An option of a multiple-choice question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    is_correct = models.BooleanField(default=False)
    # Why this option is right or wrong; shown only in a graded attempt, never with the question.
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["question", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="choice_unique_position")]

    def __str__(self) -> str:
        return self.text


class DroppedQuestion(models.Model):
    """A question a quality gate refused while generating the quiz, and why (admin only)."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="dropped_questions")
    gate = models.CharField(max_length=40)
    reason = models.TextField()
    type = models.CharField(max_length=20)
    prompt = models.TextField()
    answer = models.CharField(max_length=200)
    options = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    page_number = models.PositiveIntegerField()
    passage = models.TextField()

    class Meta:
        ordering = ["quiz", "id"]

    def __str__(self) -> str:
        return f"{self.gate}: {self.prompt[:60]}"


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    correct_count = models.PositiveSmallIntegerField()
    question_count = models.PositiveSmallIntegerField()
    score = models.FloatField()  # percent correct, 0-100
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["quiz", "user"], name="attempt_quiz_user")]

    def __str__(self) -> str:
        return f"attempt {self.pk} on quiz {self.quiz_id}: {self.score:.0f}%"


class AttemptAnswer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField(null=True)  # as sent: a choice id, a boolean, text, or null
    is_correct = models.BooleanField()
    match = models.CharField(max_length=20, blank=True)  # exact | lenient | typo (how it was judged right)

    class Meta:
        ordering = ["attempt", "question__position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="attempt_answer_unique")]


class QuestionStats(models.Model):
    """Item analysis of a question over the submitted attempts (quizzes/item_analysis.py),
    recomputed with each submission: how hard it is, which options draw the answers, whether
    strong students get it right more often than weak ones, and a flag when it looks broken."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    answered = models.PositiveIntegerField(default=0)  # attempts that answered it (a skip counts, as wrong)
    correct = models.PositiveIntegerField(default=0)
    share_correct = models.FloatField(null=True, blank=True)  # correct / answered; null before any answer
    choice_counts = models.JSONField(default=dict, blank=True)  # {choice id: times picked} (multiple choice)
    # Share correct in the top 27% of attempts by score minus in the bottom 27%; null with too few.
    discrimination = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(default=False, db_index=True)
    flag_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "question stats"

    def __str__(self) -> str:
        return f"stats of question {self.question_id}"


class DocumentTerms(models.Model):
    """A document's key terms, computed once from its chunks. `fingerprint` identifies the chunk
    set and the algorithm; a re-index or a new algorithm makes it stale and it is recomputed."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="quiz_terms")
    fingerprint = models.CharField(max_length=64)
    terms = models.JSONField()  # [[key, text, kind, words, count, score, position], ...] best first
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "document terms"
