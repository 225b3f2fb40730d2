"""Stage 2, retrieval: embeddings, the Chroma index, and ranked search over it."""
