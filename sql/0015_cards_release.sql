-- A card turned yellow by home quarantine remembers its colour, so that the
-- end of the quarantine gives it back (issue 4 item 4: the card follows the
-- person's status both ways).
ALTER TABLE cards ADD COLUMN color_before_quarantine TEXT; -- red, blue, green or NULL
