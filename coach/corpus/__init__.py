"""Stage 1, the corpus: the compendium, the seven panels and the cases, validated and chunked."""
