"""Patient packets: read a roster (roster.py), make a packet per row (run.py), keep the manifest
(manifest.py)."""
