// Registers the classic-control environments (filled in with the envs themselves).
