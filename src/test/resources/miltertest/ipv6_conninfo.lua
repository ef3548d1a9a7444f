-- IPv6 CONNECT: the handler answers CONTINUE only if it got family 6 and address 2001:db8::25.
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
if mt.conninfo(conn, "v6.example.org", "2001:db8::25") ~= nil then error("mt.conninfo() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect: IPv6 client not understood") end
mt.disconnect(conn)
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() 2 failed") end
if mt.conninfo(conn, "v4.example.org", "192.0.2.25") ~= nil then error("mt.conninfo() 2 failed") end
if mt.getreply(conn) ~= SMFIR_REJECT then error("connect: IPv4 client should have been rejected by the check handler") end
mt.disconnect(conn, false)
