from rest_framework.routers import DefaultRouter

from .views import QuizViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("quizzes", QuizViewSet, basename="quiz")

urlpatterns = router.urls
