"""From the files to a published build: sources, SHACL gate, dumps, VoID/DCAT, manifest, stats, exports."""
