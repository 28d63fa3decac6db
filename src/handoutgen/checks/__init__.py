"""Content checks run by `handoutgen check` and `report`: the rules (content.py), reading-level
formulas (readability.py, data/), glyph coverage of the font stack (glyphs.py)."""
