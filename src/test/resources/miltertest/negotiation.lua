-- Negotiation: the milter (events CONNECT+HELO, action ADDHDRS) must skip unwanted stages with NO*
-- flags and ask only for what it needs. Run with -D port=N.
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
-- Version, then (in this miltertest build) protocol and actions; nil = libmilter's defaults.
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("mt.negotiate() failed") end
if not mt.test_option(conn, SMFIP_NORCPT) then error("NORCPT not requested") end
if not mt.test_option(conn, SMFIP_NOBODY) then error("NOBODY not requested") end
if not mt.test_option(conn, SMFIP_NOHDRS) then error("NOHDRS not requested") end
if not mt.test_option(conn, SMFIP_NOEOH) then error("NOEOH not requested") end
if mt.test_option(conn, SMFIP_NOCONNECT) then error("NOCONNECT requested for a wanted event") end
if mt.test_option(conn, SMFIP_NOHELO) then error("NOHELO requested for a wanted event") end
if not mt.test_action(conn, SMFIF_ADDHDRS) then error("ADDHDRS not requested") end
if mt.test_action(conn, SMFIF_QUARANTINE) then error("QUARANTINE requested but not needed") end
if mt.test_action(conn, SMFIF_CHGBODY) then error("CHGBODY requested but not needed") end
if mt.conninfo(conn, "client.example.org", "192.0.2.10") ~= nil then error("mt.conninfo() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect: expected CONTINUE") end
if mt.helo(conn, "client.example.org") ~= nil then error("mt.helo() failed") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("helo: expected CONTINUE") end
mt.disconnect(conn)
