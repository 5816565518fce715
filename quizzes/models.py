"""Models of the quizzes app (built in its own issue)."""
