from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from studyai.throttling import FailOpenScopedRateThrottle

from .models import Document
from .serializers import DocumentSerializer, UploadSerializer
from .tasks import delete_document, reprocess
from .uploads import Duplicate, FileTooLarge, UploadRefused, accept_upload, too_large_message


class Refused(APIException):
    """An UploadRefused as an API error, with its status and code."""

    def __init__(self, refusal: UploadRefused) -> None:
        self.status_code = refusal.status
        super().__init__(detail=refusal.message, code=refusal.code)


class DocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Your documents. Upload with POST (multipart `file`, optional `title`); processing runs in
    the background and its progress arrives over /ws/notifications/."""

    serializer_class = DocumentSerializer
    queryset = Document.objects.none()  # for the schema; get_queryset() scopes to the user
    parser_classes = [MultiPartParser]
    filterset_fields = ["status", "content_type"]

    def get_queryset(self) -> Any:
        return Document.objects.filter(owner=self.request.user).order_by("-id")

    def get_throttles(self) -> list[Any]:
        if self.action == "create":
            self.throttle_scope = "uploads"
            return [FailOpenScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: DocumentSerializer,
            400: OpenApiResponse(description="no file, or an empty one"),
            409: OpenApiResponse(description="the same file again; `document_id` names the existing one"),
            413: OpenApiResponse(description="over MAX_UPLOAD_BYTES"),
            415: OpenApiResponse(description="a type we do not read, or content that does not match the name"),
        },
    )
    def create(self, request: Request) -> Response:
        # Refuse an oversized body before reading it.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.MAX_UPLOAD_BYTES + 64 * 1024:  # room for the multipart envelope
            raise Refused(FileTooLarge(too_large_message(declared)))
        serializer = UploadSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            document = accept_upload(request.user, upload, upload.name, serializer.validated_data.get("title"))
        except Duplicate as refusal:
            body = {"error": refusal.code, "message": refusal.message, "document_id": refusal.existing.pk}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except UploadRefused as refusal:
            raise Refused(refusal) from None
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Document) -> None:
        delete_document(instance)

    @extend_schema(request=None, responses={202: DocumentSerializer})
    @action(detail=True, methods=["post"])
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        document = reprocess(self.get_object())
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)
