"""smallbert-viz."""
