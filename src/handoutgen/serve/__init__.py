"""``handoutgen serve``: a local, read-only preview of a workspace in the browser (see app.py)."""
