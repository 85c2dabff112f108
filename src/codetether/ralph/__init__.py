"""Ralph: an autonomous loop that implements a PRD story by story, verified by the project's own checks."""
