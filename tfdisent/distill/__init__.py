"""Feature-structure distillation (FSD): CKA, the three feature structures,
k-means memories, teacher/student adapters, GLUE and encoder pipelines."""
