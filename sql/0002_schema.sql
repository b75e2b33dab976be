-- The data model (docs/crypto.md says what each bytea holds).
--
-- Tenant-owned tables carry tenant_id first in their primary key, so
-- that tenants can later be distributed by tenant_id (Citus-style)
-- without a redesign.  users, handler sessions and OTP challenges are
-- platform-wide: a lawyer serves many tenants.
--
-- Dates that describe what a reporter did are dates, never timestamps
-- (a minute can be matched against a company's proxy log).  Secrets are
-- stored only as ciphertext, sealed keys, hashes and public keys.

CREATE TYPE ombud_role AS ENUM ('admin', 'lawyer', 'tenant-user');
CREATE TYPE case_status AS ENUM ('new', 'acknowledged', 'investigating',
                                 'closed');
CREATE TYPE item_kind AS ENUM ('report', 'message', 'note');
CREATE TYPE author_side AS ENUM ('reporter', 'handler');
CREATE TYPE mfa_method AS ENUM ('sms', 'totp');

CREATE TABLE tenants (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug             text NOT NULL UNIQUE
	                 CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	retention_days   integer NOT NULL DEFAULT 60
	                 CHECK (retention_days BETWEEN 1 AND 3650),
	settings         jsonb NOT NULL DEFAULT '{}'
	                 CHECK (jsonb_typeof(settings) = 'object'),
	public_key       bytea NOT NULL CHECK (length(public_key) = 32),
	-- The tenant secret key sealed to the offline recovery key.
	recovery_public_key bytea NOT NULL
	                 CHECK (length(recovery_public_key) = 32),
	recovery_sealed  bytea NOT NULL,
	created_on       date NOT NULL DEFAULT current_date
);

CREATE TABLE users (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email            text NOT NULL
	                 CHECK (email = lower(email)
	                        AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'
	                        AND length(email) <= 254),
	phone            text CHECK (phone ~ '^\+[0-9]{6,15}$'),
	role             ombud_role NOT NULL,
	-- One Argon2id run over the password gives the verifier and the key
	-- that wraps sk_wrapped (lib/crypto.h).
	pw_salt          bytea NOT NULL CHECK (length(pw_salt) = 16),
	pw_opslimit      bigint NOT NULL CHECK (pw_opslimit > 0),
	pw_memlimit      bigint NOT NULL CHECK (pw_memlimit > 0),
	pw_verifier      bytea NOT NULL CHECK (length(pw_verifier) = 32),
	public_key       bytea NOT NULL CHECK (length(public_key) = 32),
	sk_wrapped       bytea NOT NULL,
	mfa              mfa_method NOT NULL DEFAULT 'sms',
	totp_wrapped     bytea,
	failed_logins    integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until     timestamptz,
	disabled         boolean NOT NULL DEFAULT false,
	created_at       timestamptz NOT NULL DEFAULT now(),
	UNIQUE (email)
);

CREATE TABLE memberships (
	tenant_id        bigint NOT NULL REFERENCES tenants,
	user_id          bigint NOT NULL REFERENCES users,
	-- The tenant secret key sealed to the user's public key.
	tenant_sk_sealed bytea NOT NULL,
	granted_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE cases (
	tenant_id        bigint NOT NULL REFERENCES tenants,
	id               bigint GENERATED ALWAYS AS IDENTITY,
	number           text NOT NULL CHECK (number ~ '^[0-9A-Z-]{1,32}$'),
	status           case_status NOT NULL DEFAULT 'new',
	category         text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
	opened_on        date NOT NULL DEFAULT current_date,
	-- EU Directive 2019/1937 art. 9(1)(b) and (f): acknowledge within
	-- 7 days; feedback within 3 months of the acknowledgement, or of
	-- the end of those 7 days when none was sent.
	ack_due          date GENERATED ALWAYS AS (opened_on + 7) STORED,
	acknowledged_on  date,
	feedback_due     date GENERATED ALWAYS AS
	                 ((coalesce(acknowledged_on, opened_on + 7)
	                   + interval '3 months')::date) STORED,
	closed_on        date,
	outcome          text CHECK (length(outcome) <= 100),
	assignee_id      bigint REFERENCES users,
	public_key       bytea NOT NULL CHECK (length(public_key) = 32),
	sk_sealed_tenant bytea NOT NULL,
	-- The receipt: a keyed hash for lookup (the key, the pepper, is not
	-- in the database), and the case secret key wrapped under an
	-- Argon2id key of the receipt.
	receipt_lookup   bytea NOT NULL CHECK (length(receipt_lookup) = 32),
	receipt_salt     bytea NOT NULL CHECK (length(receipt_salt) = 16),
	receipt_opslimit bigint NOT NULL CHECK (receipt_opslimit > 0),
	receipt_memlimit bigint NOT NULL CHECK (receipt_memlimit > 0),
	sk_wrapped_receipt bytea NOT NULL,
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, number),
	UNIQUE (tenant_id, receipt_lookup),
	CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);
CREATE INDEX cases_deadlines ON cases (tenant_id, status, ack_due, feedback_due);

CREATE TABLE items (
	tenant_id        bigint NOT NULL,
	case_id          bigint NOT NULL,
	id               bigint GENERATED ALWAYS AS IDENTITY,
	kind             item_kind NOT NULL,
	side             author_side NOT NULL,
	author_id        bigint REFERENCES users,
	-- A random item key sealed to the case public key; the content
	-- encrypted with it (AEAD, bound to case and item).
	key_sealed       bytea NOT NULL,
	ciphertext       bytea NOT NULL,
	created_on       date NOT NULL DEFAULT current_date,
	read_on          date,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id),
	CHECK ((side = 'reporter') = (author_id IS NULL)),
	CHECK (kind <> 'note' OR side = 'handler'),
	CHECK (kind <> 'report' OR side = 'reporter')
);
CREATE INDEX items_case ON items (tenant_id, case_id, id);

CREATE TABLE files (
	tenant_id        bigint NOT NULL,
	case_id          bigint NOT NULL,
	id               bigint GENERATED ALWAYS AS IDENTITY,
	side             author_side NOT NULL,
	author_id        bigint REFERENCES users,
	key_sealed       bytea NOT NULL,
	-- secretstream header; name, type and scrub report encrypted as
	-- one AEAD blob with the file key.
	stream_header    bytea NOT NULL,
	meta_ciphertext  bytea NOT NULL,
	size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
	chunks           integer NOT NULL DEFAULT 0 CHECK (chunks >= 0),
	complete         boolean NOT NULL DEFAULT false,
	created_on       date NOT NULL DEFAULT current_date,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id),
	CHECK ((side = 'reporter') = (author_id IS NULL))
);
CREATE INDEX files_case ON files (tenant_id, case_id);

CREATE TABLE file_chunks (
	tenant_id        bigint NOT NULL,
	file_id          bigint NOT NULL,
	seq              integer NOT NULL CHECK (seq >= 0),
	data             bytea NOT NULL,
	PRIMARY KEY (tenant_id, file_id, seq),
	FOREIGN KEY (tenant_id, file_id) REFERENCES files (tenant_id, id)
	    ON DELETE CASCADE
);

-- Case history: every change of status, assignee, category or
-- deadline.  The reporter's own submission is never rewritten.
CREATE TABLE case_events (
	tenant_id        bigint NOT NULL,
	case_id          bigint NOT NULL,
	id               bigint GENERATED ALWAYS AS IDENTITY,
	actor_id         bigint REFERENCES users,
	at               timestamptz NOT NULL DEFAULT now(),
	field            text NOT NULL CHECK (field IN ('status', 'assignee',
	                 'category', 'acknowledged_on', 'closed_on', 'outcome')),
	old_value        text,
	new_value        text,
	PRIMARY KEY (tenant_id, id),
	FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id)
);
CREATE INDEX case_events_case ON case_events (tenant_id, case_id, id);

-- Handler sessions: the browser holds a random token; here are its hash
-- and the handler's secret key wrapped under a key derived from it.
CREATE TABLE sessions (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	sk_wrapped       bytea,
	mfa_done         boolean NOT NULL DEFAULT false,
	created_at       timestamptz NOT NULL DEFAULT now(),
	last_seen_at     timestamptz NOT NULL DEFAULT now(),
	expires_at       timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Reporter sessions: the same, holding the case secret key.  Rows live
-- 30 minutes idle at most and are deleted when they expire.
CREATE TABLE reporter_sessions (
	tenant_id        bigint NOT NULL,
	case_id          bigint NOT NULL,
	token_hash       bytea NOT NULL CHECK (length(token_hash) = 32),
	case_sk_wrapped  bytea NOT NULL,
	expires_at       timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, token_hash),
	FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id)
	    ON DELETE CASCADE
);

CREATE TABLE otp_challenges (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	session_id       bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
	code_hash        bytea NOT NULL CHECK (length(code_hash) = 32),
	attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	expires_at       timestamptz NOT NULL,
	used             boolean NOT NULL DEFAULT false
);
CREATE INDEX otp_challenges_session ON otp_challenges (session_id);

-- Mail and SMS waiting to be sent.  Bodies never carry case content.
CREATE TABLE outbox (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id        bigint REFERENCES tenants,
	channel          text NOT NULL CHECK (channel IN ('mail', 'sms')),
	recipient        text NOT NULL CHECK (length(recipient) <= 254),
	subject          text CHECK (length(subject) <= 200),
	body             text NOT NULL CHECK (length(body) <= 4000),
	created_at       timestamptz NOT NULL DEFAULT now(),
	next_attempt_at  timestamptz NOT NULL DEFAULT now(),
	attempts         integer NOT NULL DEFAULT 0,
	sent_at          timestamptz,
	expires_at       timestamptz NOT NULL DEFAULT now() + interval '2 days'
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
