// Runs before every test file: the process time zone is UTC so nothing depends on the host's.
process.env.TZ = 'UTC';
