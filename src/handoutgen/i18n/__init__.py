"""Translations: content segments and their status (translations.py), exchange with translators' tools
(exchange.py: PO, XLIFF), interface-string catalogs (catalogs.py, locale/), language names (languages.py)."""
