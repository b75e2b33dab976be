-- TOTP as the second factor (issue 4).
--
-- users.totp_wrapped holds the authenticator secret sealed to the
-- handler's own public key (lib/crypto.h ob_secret_seal): a copy of the
-- database cannot compute a code.  The auth pool opens it with the
-- keypair that the half-signed-in session already holds.  Enrolment
-- keeps the new secret in totp_pending until one valid code confirms
-- it.  totp_last_step is the time step of the last code accepted: a
-- code is good once, and so is any code older than it.
ALTER TABLE users
	ADD COLUMN totp_pending bytea
		CHECK (length(totp_pending) = 97),
	ADD COLUMN totp_last_step bigint,
	ADD CONSTRAINT users_totp_wrapped_length
		CHECK (length(totp_wrapped) = 97),
	ADD CONSTRAINT users_totp_has_secret
		CHECK (mfa <> 'totp' OR totp_wrapped IS NOT NULL);

-- A challenge is a code sent by SMS (its hash) or a request for an app
-- code (no hash); either way it lives five minutes and counts tries.
ALTER TABLE otp_challenges
	ADD COLUMN method mfa_method NOT NULL DEFAULT 'sms',
	ALTER COLUMN code_hash DROP NOT NULL,
	ADD CONSTRAINT otp_challenges_hash_iff_sms
		CHECK ((method = 'sms') = (code_hash IS NOT NULL));

GRANT UPDATE (totp_pending, totp_last_step) ON users TO ombud_auth;
