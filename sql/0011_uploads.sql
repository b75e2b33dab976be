-- Uploads (issue 7): a reporter's files tell the handlers, without
-- content, that the reporter has written (ombud_notify_handlers, as a
-- message does).
GRANT EXECUTE ON FUNCTION ombud_notify_handlers(bigint, bigint, text, text)
	TO ombud_scrub;
