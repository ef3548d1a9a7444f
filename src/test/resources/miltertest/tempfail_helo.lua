-- A handler that tempfails at HELO.
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
if mt.conninfo(conn, "mail.example.org", "192.0.2.10") ~= nil then error("mt.conninfo() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect: expected CONTINUE") end
if mt.helo(conn, "bogus.example.org") ~= nil then error("mt.helo() failed") end
if mt.getreply(conn) ~= SMFIR_TEMPFAIL then error("helo: expected TEMPFAIL") end
-- Postfix closes the socket after a HELO tempfail; so do we here (abruptly, as Postfix does).
mt.disconnect(conn, false)
