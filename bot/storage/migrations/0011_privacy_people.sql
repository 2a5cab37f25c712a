-- data class: identity. When a person last used Haven (identity retention runs from it)
-- and when they were shown the privacy notice (shown once per person).
ALTER TABLE person ADD COLUMN last_seen_at TEXT;
ALTER TABLE person ADD COLUMN notice_at TEXT;
-- data class: operational. When a platform state entry was last written, so expiring
-- entries (Matrix button controls) are purged after the operational retention.
ALTER TABLE platform_state ADD COLUMN updated_at TEXT;
