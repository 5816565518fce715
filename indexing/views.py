from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from documents.models import Document
from studyai.dispatch import dispatch

from .jobs import NotIndexable, reindex_job
from .models import IndexJob
from .search import SearchError, SemanticUnavailable, search
from .serializers import IndexJobSerializer, SearchParamsSerializer, SearchResponseSerializer
from .tasks import index_document


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class SearchView(APIView):
    """Ranked passages of your own documents: document, page, a snippet with the matched words
    marked, and a score."""

    @extend_schema(parameters=[SearchParamsSerializer], responses=SearchResponseSerializer)
    def get(self, request: Request) -> Response:
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        document_ids = p.get("document")
        if document_ids is not None:
            _check_owned(request.user, document_ids)
        try:
            results = search(
                request.user, p["q"], document_ids, mode=p.get("mode"), limit=p["page_size"], offset=(p["page"] - 1) * p["page_size"]
            )
        except SemanticUnavailable as exc:
            raise exceptions.ValidationError({"mode": [str(exc)]}) from None
        except SearchError as exc:
            raise exceptions.ValidationError({"q": [str(exc)]}) from None
        more = p["page"] * p["page_size"] < results.total or (not results.total_exact and len(results.hits) == p["page_size"])
        page = {
            "count": results.total,
            "count_exact": results.total_exact,
            "next": _page_url(request, p["page"] + 1) if more else None,
            "previous": _page_url(request, p["page"] - 1) if p["page"] > 1 else None,
            "mode": results.mode,
            "results": results.hits,
        }
        return Response(SearchResponseSerializer(page).data)


class ReindexView(APIView):
    """Index the document again (e.g. after a change of chunk settings). 202 with the job; a job
    already queued or running for it is returned instead of a second one. 409 while the document
    is not processed."""

    @extend_schema(request=None, responses={202: IndexJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(Document, pk=pk, owner=request.user)
        try:
            with transaction.atomic():  # the job and the task that runs it are kept together, or neither
                job, created = reindex_job(document)
                if created:
                    dispatch(index_document, document.pk, job.generation, job_id=job.pk, correlation_id=job.correlation_id)
        except NotIndexable as exc:
            raise Conflict(str(exc)) from None
        return Response(IndexJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class IndexJobListView(generics.ListAPIView):
    """The indexing runs of one of your documents, newest first."""

    serializer_class = IndexJobSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular builds the schema
            return IndexJob.objects.none()
        document = get_object_or_404(Document, pk=self.kwargs["pk"], owner=self.request.user)
        return IndexJob.objects.filter(document=document).order_by("-id")


def _check_owned(user: Any, document_ids: list[int]) -> None:
    """Unknown ids and other users' ids get the same answer: nothing tells them apart."""
    owned = set(Document.objects.filter(owner=user, pk__in=document_ids).values_list("pk", flat=True))
    missing = sorted(set(document_ids) - owned)
    if missing:
        raise exceptions.ValidationError({"document": [f"No document with id {', '.join(map(str, missing))}."]})


def _page_url(request: Request, page: int) -> str:
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if page == 1 else replace_query_param(url, "page", page)

