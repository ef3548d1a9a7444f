-- REPLYCODE at end of message with the exact text checked (miltertest can check text only at EOM).
conn = mt.connect("inet:" .. port .. "@127.0.0.1", 20, 0.2)
if conn == nil then error("mt.connect() failed") end
if mt.conninfo(conn, "mail.example.org", "192.0.2.10") ~= nil then error("mt.conninfo() failed") end
if mt.mailfrom(conn, "<alice@example.org>") ~= nil then error("mt.mailfrom() failed") end
if mt.rcptto(conn, "<bob@example.com>") ~= nil then error("mt.rcptto() failed") end
if mt.eom(conn) ~= nil then error("mt.eom() failed") end
if mt.getreply(conn) ~= SMFIR_REPLYCODE then error("eom: expected REPLYCODE") end
if not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.25", "ptrguard: outbound identity not ready") then
  error("eom: SMTP reply text differs")
end
if mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.25", "something else") then
  error("eom_check accepts any text: the check above proves nothing")
end
mt.disconnect(conn)
