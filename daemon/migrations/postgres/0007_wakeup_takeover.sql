-- Taking over a wakeup call from a daemon that died: how many times the pending call has been
-- claimed (a second claim is a takeover) and the attempt row its placed call is recorded under
-- (set once Asterisk accepted the originate), so the daemon that takes over can tell a call
-- that was placed from one that never was.
ALTER TABLE wakeup_calls ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wakeup_calls ADD COLUMN attempt_id BIGINT;
