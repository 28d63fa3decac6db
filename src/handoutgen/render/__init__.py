"""Render stages: handout and cover data to HTML (html.py), HTML to tagged PDF bytes (pdf.py)."""
