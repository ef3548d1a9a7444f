-- Header added at end of message (action ADDHDRS negotiated).
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
if mt.conninfo(conn, "mail.example.org", "192.0.2.10") ~= nil then error("mt.conninfo() failed") end
if mt.mailfrom(conn, "<alice@example.org>") ~= nil then error("mt.mailfrom() failed") end
if mt.rcptto(conn, "<bob@example.com>") ~= nil then error("mt.rcptto() failed") end
if mt.header(conn, "Subject", "hi") ~= nil then error("mt.header() failed") end
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_ACCEPT then error("eom: expected ACCEPT") end
if not mt.eom_check(conn, MT_HDRADD, "X-PTRGuard", "pass identity=default") then
  error("eom: X-PTRGuard header not added")
end
if mt.getheader(conn, "X-PTRGuard", 0) ~= "pass identity=default" then error("header value differs") end
mt.disconnect(conn)
