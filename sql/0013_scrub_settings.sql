-- Per-tenant file policy (issue 7): what the scrub pool does with a
-- tenant's uploads.  Each organisation decides for itself, so these are
-- columns of its row, not keys of the platform's config.
--
--   unknown_files    'refuse' (default): a file no scrubber knows is not
--                    accepted; 'keep': it is stored as it came, marked
--                    "not scrubbed" for the handler to see.
--   flatten_pdf      every PDF page becomes a picture of itself (nothing
--                    of the file survives but what the pages show).
--   reporter_keeps_metadata
--                    a reporter may ask to keep a file as it is (to
--                    prove where and when a photo was taken); the page
--                    lists what identifying details stay.  Handlers'
--                    files are always cleaned.  Off by default.
ALTER TABLE tenants
	ADD COLUMN unknown_files text NOT NULL DEFAULT 'refuse'
		CHECK (unknown_files IN ('refuse', 'keep')),
	ADD COLUMN flatten_pdf boolean NOT NULL DEFAULT false,
	ADD COLUMN reporter_keeps_metadata boolean NOT NULL DEFAULT false;

GRANT SELECT (unknown_files, flatten_pdf, reporter_keeps_metadata)
	ON tenants TO ombud_intake, ombud_cases, ombud_scrub;
GRANT UPDATE (unknown_files, flatten_pdf, reporter_keeps_metadata)
	ON tenants TO ombud_cases;
