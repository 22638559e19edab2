"""One router per resource of the console."""
