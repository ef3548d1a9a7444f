-- A whole transaction with macros, then a second message on the same connection, all CONTINUE.
-- The handler answers REJECT at CONNECT unless it saw the j and {client_ptr} macros.
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
local function expect(step, want)
  local got = mt.getreply(conn)
  if got ~= want then error(step .. ": expected " .. string.char(want) .. ", got " .. string.char(got)) end
end
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.net", "{client_ptr}", "mail.example.org")
if mt.conninfo(conn, "mail.example.org", "192.0.2.10") ~= nil then error("mt.conninfo() failed") end
expect("connect", SMFIR_CONTINUE)
if mt.helo(conn, "mail.example.org") ~= nil then error("mt.helo() failed") end
expect("helo", SMFIR_CONTINUE)
mt.macro(conn, SMFIC_MAIL, "i", "4AbC1", "{auth_authen}", "alice")
if mt.mailfrom(conn, "<alice@example.org>", "SIZE=100") ~= nil then error("mt.mailfrom() failed") end
expect("mail", SMFIR_CONTINUE)
mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "bob@example.com")
if mt.rcptto(conn, "<bob@example.com>") ~= nil then error("mt.rcptto() failed") end
expect("rcpt", SMFIR_CONTINUE)
if mt.data(conn) ~= nil then error("mt.data() failed") end
expect("data", SMFIR_CONTINUE)
if mt.header(conn, "From", "alice@example.org") ~= nil then error("mt.header() failed") end
expect("header", SMFIR_CONTINUE)
if mt.header(conn, "Subject", "test 100%") ~= nil then error("mt.header() failed") end
expect("header", SMFIR_CONTINUE)
if mt.eoh(conn) ~= nil then error("mt.eoh() failed") end
expect("eoh", SMFIR_CONTINUE)
if mt.bodystring(conn, "Hello\r\n") ~= nil then error("mt.bodystring() failed") end
expect("body", SMFIR_CONTINUE)
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
expect("eom", SMFIR_CONTINUE)
if mt.abort(conn) ~= nil then error("mt.abort() failed") end
-- second message on the same connection
if mt.mailfrom(conn, "<carol@example.org>") ~= nil then error("mt.mailfrom() 2 failed") end
expect("mail 2", SMFIR_CONTINUE)
if mt.rcptto(conn, "<dave@example.com>") ~= nil then error("mt.rcptto() 2 failed") end
expect("rcpt 2", SMFIR_CONTINUE)
if mt.eom(conn) ~= nil then error("mt.eom() 2 failed") end
expect("eom 2", SMFIR_CONTINUE)
mt.disconnect(conn)
