"""Queries above the stores: the SPARQL protocol, the lexer and guards, data documents, result writing."""
