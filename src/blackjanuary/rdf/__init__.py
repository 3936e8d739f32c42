"""RDF basics every layer shares: vocabulary, the formats, the IRIs, content negotiation, text segments."""
