"""Safety: detection of concerns, the review queue and escalation."""
