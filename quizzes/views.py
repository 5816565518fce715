from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from documents.models import Document
from indexing.models import Chunk, IndexJob
from studyai import correlation

from .generators.schema import QuestionType
from .grading import InvalidAnswers, judge, parse_answers
from .item_analysis import recompute_quiz
from .models import Attempt, AttemptAnswer, Quiz
from .serializers import (
    AttemptRequestSerializer,
    AttemptSerializer,
    QuizRequestSerializer,
    QuizSerializer,
    QuizSummarySerializer,
)
from .tasks import enqueue_generation


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, message: str, code: str) -> None:
        super().__init__(detail=message, code=code)


class QuizViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your quizzes. Create one with POST: generation runs in the background (202), and its
    progress arrives over /ws/notifications/ as quiz.* events. Questions never show answers;
    post an attempt to have it graded."""

    filterset_fields = ["status", "difficulty"]
    queryset = Quiz.objects.none()  # for the schema; get_queryset() scopes to the user

    def get_queryset(self) -> QuerySet[Quiz]:
        queryset = (
            Quiz.objects.filter(owner=self.request.user)
            .annotate(question_count=Count("questions", distinct=True))
            .prefetch_related("documents")
            .order_by("-id")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("questions__choices", "questions__stats")
        return queryset

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return QuizSummarySerializer
        if self.action == "attempts":
            return AttemptSerializer
        return QuizSerializer

    @extend_schema(
        request=QuizRequestSerializer,
        responses={
            202: QuizSerializer,
            400: OpenApiResponse(description="invalid fields, or document ids that are not yours or do not exist (named)"),
            409: OpenApiResponse(description="a document is not processed or not indexed yet"),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = QuizRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        documents = _usable_documents(request.user, data["document_ids"])
        with transaction.atomic():
            quiz = Quiz.objects.create(
                owner=request.user,
                title=data.get("title") or _title(documents),
                num_questions=data["num_questions"],
                question_types=data.get("question_types") or [t.value for t in QuestionType],
                difficulty=data["difficulty"],
                seed=data["seed"] if "seed" in data else secrets.randbelow(2**31),
                correlation_id=correlation.current(),
            )
            quiz.documents.set(documents)
            enqueue_generation(quiz)
        quiz = self.get_queryset().get(pk=quiz.pk)
        headers = {"Location": f"/api/quizzes/{quiz.pk}/"}
        return Response(QuizSerializer(quiz).data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(methods=["GET"], responses={200: AttemptSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=AttemptRequestSerializer,
        responses={
            201: AttemptSerializer,
            400: OpenApiResponse(description="answers that do not fit the quiz: unknown, repeated, missing or of the wrong type (each named)"),
            409: OpenApiResponse(description="the quiz is not ready"),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def attempts(self, request: Request, pk: str | None = None) -> Response:
        """GET: your graded attempts at this quiz, newest first. POST `answers`, a list of
        {"question": <id>, "answer": <value>} with every question once: a choice id (multiple
        choice), true/false, or text; null skips a question. Returns the graded attempt."""
        quiz = self.get_object()
        if request.method == "GET":
            attempts = Attempt.objects.filter(quiz=quiz, user=request.user).prefetch_related("answers__question__choices")
            page = self.paginate_queryset(attempts)
            return self.get_paginated_response(AttemptSerializer(page, many=True).data)
        if quiz.status != Quiz.Status.READY:
            raise Conflict(f"Quiz {quiz.pk} is {quiz.status}: it can be attempted once it is ready.", "quiz_not_ready")
        questions = list(quiz.questions.prefetch_related("choices"))
        answers = request.data.get("answers") if isinstance(request.data, dict) else None
        try:
            given = parse_answers(questions, answers)
        except InvalidAnswers as exc:
            raise exceptions.ValidationError({"answers": exc.problems}) from None
        judgements = [judge(question, given[question.pk]) for question in questions]
        correct = sum(j.is_correct for j in judgements)
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz,
                user=request.user,
                correct_count=correct,
                question_count=len(questions),
                score=round(100 * correct / len(questions), 1) if questions else 0.0,
            )
            AttemptAnswer.objects.bulk_create(
                [
                    AttemptAnswer(attempt=attempt, question=j.question, response=j.response, is_correct=j.is_correct, match=j.match)
                    for j in judgements
                ]
            )
            # In the same transaction: the stats never disagree with the committed attempts.
            recompute_quiz(quiz.pk)
        attempt = Attempt.objects.prefetch_related("answers__question__choices").get(pk=attempt.pk)
        return Response(AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


def _usable_documents(user: Any, document_ids: list[int]) -> list[Document]:
    """The user's documents by id, all processed and indexed. Ids that do not exist and ids of
    other users' documents get the same 400 ("not found"): nothing tells them apart."""
    found = {document.pk: document for document in Document.objects.filter(owner=user, pk__in=document_ids)}
    missing = [str(i) for i in document_ids if i not in found]
    if missing:
        raise exceptions.ValidationError({"document_ids": [f"Document(s) {', '.join(missing)} not found."]})
    documents = [found[i] for i in document_ids]
    for document in documents:
        if document.status != Document.Status.PROCESSED:
            raise Conflict(
                f"Document {document.pk} is {document.status}: quizzes are made from processed documents only.", "document_not_ready"
            )
    indexed = set(Chunk.objects.filter(document_id__in=document_ids).values_list("document_id", flat=True).distinct())
    for document in documents:
        indexing = IndexJob.objects.filter(document=document, generation=document.generation, status__in=IndexJob.ACTIVE).exists()
        if document.pk not in indexed and indexing:
            raise Conflict(f"Document {document.pk} is still being indexed: try again when it is done.", "document_not_indexed")
    return documents


def _title(documents: list[Document]) -> str:
    first = documents[0].title
    return f"Quiz: {first}" if len(documents) == 1 else f"Quiz: {first} and {len(documents) - 1} more"
