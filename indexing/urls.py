from django.urls import URLPattern, URLResolver, path

from .views import IndexJobListView, ReindexView, SearchView

urlpatterns: list[URLPattern | URLResolver] = [
    path("search/", SearchView.as_view(), name="search"),
    path("documents/<int:pk>/reindex/", ReindexView.as_view(), name="document-reindex"),
    path("documents/<int:pk>/index-jobs/", IndexJobListView.as_view(), name="document-index-jobs"),
]
