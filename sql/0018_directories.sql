-- Read interfaces of the residents and accounts modules (issue 10 item 2).
-- Other modules never name the persons, households or users tables: a point
-- lookup goes through residents.h / accounts.h (fk_person_get_in_scope,
-- fk_user_get, ...), and a list that labels or filters its own rows by a
-- person, household or user joins one of these views instead. The owning
-- module keeps them stable while it changes its tables. ID numbers and phones
-- are there only sealed (id_sealed, phone_sealed: open them with
-- fk_person_open, which holds the key) and password material not at all.
-- `merged_into` is NULL for a current person; a list of current people adds "merged_into IS NULL" (records made before a merge
-- keep the name of the merged person).
CREATE VIEW person_directory AS
    SELECT id, id_blind, id_sealed, phone_sealed, name, sex, birth_date, household_id, region,
           address, categories, merged_into, created_at, updated_at
    FROM persons;
CREATE VIEW household_directory AS
    SELECT id, region, address, head_person_id, created_at, updated_at
    FROM households;
CREATE VIEW user_directory AS
    SELECT id, username, display_name, role, region, region_prefix, disabled, created_at
    FROM users;
