"""The web layer: the Flask app (:mod:`blackjanuary.web.app`), its blueprints, pages and HTTP policy."""
