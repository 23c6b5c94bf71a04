-- Prosody 0.12 configuration for boshd development and tests.
--
-- This is a TEMPLATE: `scripts/prosody start` copies it into its run
-- directory (default .run/prosody) and replaces the placeholders (names
-- in capitals between double at-signs) below. Do not point Prosody at this
-- file directly.
--
-- What it sets up, and why:
--   * one VirtualHost "localhost" with accounts alice/bob (registered by the
--     script), reachable only on 127.0.0.1;
--   * plain-TCP c2s by default, so boshd can talk to it without TLS;
--   * optionally STARTTLS required (--tls-required) to exercise boshd's
--     STARTTLS path;
--   * optionally Prosody's own BOSH (--bosh-port) as a known-good connection
--     manager to validate the test client and compare behaviour;
--   * nothing else: no s2s, no offline storage (a lost message must show up
--     as lost, not be stored and delivered later), no rate limits.
--
-- Prosody config files are Lua. Note that an option, once assigned, cannot
-- be read back by name (assignments go into Prosody's config store, not into
-- Lua variables), which is why values used twice are kept in locals.

---------- Filled in by scripts/prosody ----------
local run_dir      = "@@DIR@@"          -- absolute path of the run directory
local c2s_port     = @@C2S_PORT@@       -- plain c2s (STARTTLS only with tls_required)
local tls_required = @@TLS_REQUIRED@@   -- true: load mod_tls, insist on STARTTLS
local bosh_port    = @@BOSH_PORT@@      -- 0: Prosody's own http/BOSH stays off
local as_root      = @@RUN_AS_ROOT@@    -- true when started by root (sandboxes, CI)
local log_level    = "@@LOG_LEVEL@@"    -- debug, info, warn or error

---------- Process ----------
-- The script runs `prosody -F` in the background itself; -F already means
-- "do not daemonize", this option only documents it.
daemonize = false
-- Prosody refuses to run as root unless told to; in the sandbox we are root
-- and there is no 'prosody' user switch wanted (files live in run_dir).
run_as_root = as_root
pidfile = run_dir .. "/prosody.pid"
data_path = run_dir .. "/data"
-- Where Prosody looks for certificates (the default, "certs" under the
-- config directory, does not exist and would only log an error).
certificates = run_dir
log = {
	{ levels = { min = log_level }, to = "file", filename = run_dir .. "/prosody.log" };
}

---------- Network: loopback only ----------
interfaces = { "127.0.0.1" }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { c2s_port }
-- No direct-TLS (XEP-0368) or legacy SSL listener.
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }

---------- Modules ----------
-- Auto-loaded by Prosody anyway: posix, presence, message, iq, c2s
-- (plus s2s, s2s_auth_certs and offline, disabled below).
local modules = {
	"roster";    -- clients fetch their roster on login
	"saslauth";  -- SASL: SCRAM-SHA-1 (and PLAIN, see below)
	"disco";     -- service discovery
	"ping";      -- XEP-0199; the e2e client pings to sync
	"time";
	"version";
	-- What browser clients such as Converse.js expect of a server: without
	-- blocking, Converse waits forever to open a chat with someone outside
	-- the roster.
	"blocklist"; -- XEP-0191 blocking
	"carbons";   -- XEP-0280 message carbons
	"smacks";    -- XEP-0198 stream management (core in Prosody 0.12)
}
if tls_required then
	modules[#modules + 1] = "tls"
end
if bosh_port ~= 0 then
	modules[#modules + 1] = "bosh"  -- pulls in mod_http
end
modules_enabled = modules

-- s2s: loopback test host, never federates. offline: see header comment.
modules_disabled = { "s2s"; "s2s_auth_certs"; "offline" }

---------- Authentication ----------
authentication = "internal_hashed"
-- boshd talks to Prosody over plain TCP on loopback; allow SASL PLAIN there
-- (Strophe still prefers SCRAM when it is offered, which it always is).
allow_unencrypted_plain_auth = true

if tls_required then
	-- The certificate is self-signed for "localhost", made by the script
	-- with `openssl req -x509`.
	ssl = {
		certificate = run_dir .. "/localhost.crt";
		key = run_dir .. "/localhost.key";
	}
	c2s_require_encryption = true
else
	c2s_require_encryption = false
end

---------- HTTP / BOSH (only with --bosh-port) ----------
if bosh_port ~= 0 then
	http_interfaces = { "127.0.0.1" }
	http_ports = { bosh_port }
	-- No https listener (it would take 5281 and want a certificate).
	https_ports = { }
	https_interfaces = { }
	-- Clients on loopback: treat BOSH as secure, so that a TLS-required
	-- setup still lets BOSH clients authenticate over plain http.
	consider_bosh_secure = true
	-- CORS for browser tests served from another origin (0.12 syntax;
	-- cross_domain_bosh is deprecated and ignored).
	http_cors_override = { bosh = { enabled = true } }
end

---------- Virtual host ----------
VirtualHost "localhost"
