-- +goose Up
-- The referral source of a contact (CIN census code list, see codes.go),
-- kept in its own column so demand can be counted by source without reading
-- the referrer's JSON. Existing contacts get the same default intake now
-- applies (mash.DefaultReferralSource): anonymous 9, police notification 6,
-- otherwise from the recording user's agency kind, else 10 Unknown.
ALTER TABLE contacts ADD COLUMN source TEXT NOT NULL DEFAULT '';
UPDATE contacts SET source = CASE
    WHEN (referrer::jsonb ->> 'anonymous') = 'true' THEN '9'
    WHEN channel = 'police_notification' THEN '6'
    ELSE COALESCE((SELECT CASE a.kind
            WHEN 'police' THEN '6' WHEN 'education' THEN '2A' WHEN 'health' THEN '3F'
            WHEN 'housing' THEN '4' WHEN 'probation' THEN '7' WHEN 'youth_justice' THEN '5B'
            WHEN 'adult_social_care' THEN '5A' WHEN 'domestic_abuse_service' THEN '8'
            WHEN 'other' THEN '8' ELSE '10' END
        FROM users u JOIN agencies a ON a.id = u.agency_id WHERE u.id = contacts.created_by), '10')
    END
WHERE source = '';
UPDATE contacts SET referrer = (referrer::jsonb || jsonb_build_object('source', source))::text
WHERE NOT (referrer::jsonb ? 'source');
-- Measures read contacts by receipt time; the index covers every column
-- they count by (all but the narrative), so a range of receipts is read from
-- the index alone. The others cover the joins of the timeliness measures.
CREATE INDEX contacts_received ON contacts (received_at, cohort, source, channel, status, created_by,
    screened_at, closure_reason, concerns, id);
CREATE INDEX decisions_decided ON decisions (decided_at, contact_id);
-- Joins by contact read what they need from these alone, not the rows
-- (a contact row carries the narrative; ids are text, so a lookup by id is
-- a seek in the key's index and another in the table).
CREATE INDEX contacts_by_id ON contacts (id, cohort, received_at, closure_reason);
CREATE INDEX decisions_contact ON decisions (contact_id, outcomes, id);
CREATE INDEX rag_changes_rating ON rag_changes (contact_id, at, id, to_rag, due_at);
CREATE INDEX contact_subjects_main ON contact_subjects (contact_id, role, person_id);
CREATE INDEX info_requests_requested ON info_requests (requested_at, agency_id, due_at, contact_id, id);
CREATE INDEX agency_returns_outcome ON agency_returns (request_id, outcome, returned_at);
CREATE INDEX feedback_times ON feedback (contact_id, due_at, sent_at);
-- Screening decisions by when they were made; the open queue by state.
CREATE INDEX transitions_out ON transitions (from_status, at, to_status, contact_id);
CREATE INDEX contacts_open ON contacts (status, cohort, received_at, rag, due_at);
-- Re-referrals follow merges: the few merged person records.
CREATE INDEX persons_merged ON persons (merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX persons_merged;
DROP INDEX contacts_open;
DROP INDEX transitions_out;
DROP INDEX feedback_times;
DROP INDEX agency_returns_outcome;
DROP INDEX info_requests_requested;
DROP INDEX contact_subjects_main;
DROP INDEX rag_changes_rating;
DROP INDEX decisions_contact;
DROP INDEX contacts_by_id;
DROP INDEX decisions_decided;
DROP INDEX contacts_received;
ALTER TABLE contacts DROP COLUMN source;
