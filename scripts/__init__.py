"""Operations tooling: infrastructure, databases, the process supervisor, demo data."""
