"""The evaluation corpus (bench/corpus): present, licensed, extractable, made into material."""
