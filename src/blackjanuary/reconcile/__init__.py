"""Reconciliation Service API (0.2 at ``/reconcile``, 1.0-draft at ``/reconcile/v1``) over one matching core.

``normalize`` folds names across languages and scripts, ``records`` reads the named things from the
store, ``index`` matches and scores, ``service`` holds what both versions share, and ``v02`` / ``v1``
are the Flask blueprints.
"""
